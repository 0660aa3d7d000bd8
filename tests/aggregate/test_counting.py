"""Contribution bounding: no one counts more than allowed, and adding or removing one person
changes the released vector by at most the sensitivity OpenDP is told (property test)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from tactful.privacy import counting


def _matrix(cells: list[tuple[int, int, float]], rows: int, cols: int) -> sparse.csr_array:
    if not cells:
        return sparse.csr_array(np.zeros((rows, cols), dtype=np.float32))
    r, c, w = zip(*cells, strict=True)
    return sparse.csr_array(
        (np.array(w, dtype=np.float32), (np.array(r), np.array(c))), shape=(rows, cols)
    )


def _bounded(matrix: sparse.csr_array, subjects: list[str], max_items: int) -> sparse.csr_array:
    items = [f"i{n}" for n in range(matrix.shape[1])]
    return counting.bound_contributions(
        matrix, max_items, counting.stable_keys(subjects), counting.stable_keys(items)
    )


def test_each_person_counts_at_most_max_items_their_strongest_first() -> None:
    # Row 0: ten items, weights 1..10; row 1: three items; row 2: nothing.
    cells = [(0, j, float(j + 1)) for j in range(10)] + [(1, j, 4.0) for j in range(3)]
    bounded = _bounded(_matrix(cells, 3, 12), ["a", "b", "c"], 4)
    assert sorted(bounded[[0]].indices.tolist()) == [6, 7, 8, 9]  # the four strongest
    assert sorted(bounded[[1]].indices.tolist()) == [0, 1, 2]
    assert bounded[[2]].nnz == 0
    assert set(bounded.data.tolist()) == {1}


def test_ties_are_broken_by_the_ids_alone_not_by_row_order() -> None:
    ties = [(0, j, 1.0) for j in range(30)]
    alone = _bounded(_matrix(ties, 1, 30), ["ana"], 5)
    # The same person after another one: same row content, same choice.
    shifted = [(1, j, 1.0) for j in range(30)] + [(0, 0, 2.0)]
    after = _bounded(_matrix(shifted, 2, 30), ["zed", "ana"], 5)
    assert alone[[0]].indices.tolist() == after[[1]].indices.tolist()
    # Not simply the lowest columns.
    assert sorted(alone[[0]].indices.tolist()) != [0, 1, 2, 3, 4]


def test_the_layout_counts_cohorts_and_population_and_splits_back() -> None:
    bounded = sparse.csr_array(
        (np.ones(5, dtype=np.int64), ([0, 0, 1, 2, 2], [0, 1, 1, 2, 3])), shape=(4, 4)
    )
    layout = counting.Layout(cohorts=2, items=4, weight=3)
    vector = layout.counts(bounded, np.array([0, 1, -1, 0]))
    blocks = vector.reshape(3, 5)
    assert blocks[0].tolist() == [1, 1, 0, 0, 3]  # row 0 (row 3 counts nothing)
    assert blocks[1].tolist() == [0, 1, 0, 0, 3]  # row 1
    assert blocks[2].tolist() == [1, 2, 1, 1, 9]  # everyone with an item
    counts, sizes, population, size = layout.split(vector - 2)
    assert counts.min() >= 0
    assert population.min() >= 0
    assert sizes.tolist() == [0, 0]
    assert size == 2


people = st.lists(
    st.tuples(
        st.lists(st.tuples(st.integers(0, 14), st.sampled_from([1.0, 2.0, 4.0])), max_size=25),
        st.integers(-1, 3),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(population=people, max_items=st.integers(1, 8), extra=st.integers(0, 11))
def test_one_person_moves_the_vector_by_at_most_the_sensitivity(
    population: list[tuple[list[tuple[int, float]], int]], max_items: int, extra: int
) -> None:
    """D and D without one person: the L1 distance of their true vectors is within d_in."""
    removed = extra % len(population)
    weight = counting.size_weight(max_items)
    layout = counting.Layout(cohorts=4, items=15, weight=weight)

    def vector(who: list[int]) -> np.ndarray:
        cells = [(r, j, w) for r, n in enumerate(who) for j, w in population[n][0]]
        ids = [f"s{n}" for n in who]
        bounded = _bounded(_matrix(cells, len(who), 15), ids, max_items)
        return layout.counts(bounded, np.array([population[n][1] for n in who]))

    everyone = list(range(len(population)))
    without = [n for n in everyone if n != removed]
    distance = int(np.abs(vector(everyone) - vector(without)).sum())
    assert distance <= counting.sensitivity(max_items, weight, cohorts=4)
