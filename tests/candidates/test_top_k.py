"""Properties of `top_k`, checked against a full sort."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st

from tactful.candidates.base import top_k

# Few distinct values, so ties are common; NaN and infinities included.
SCORE = st.sampled_from([0.0, 1.0, 2.0, -1.0, float("nan"), float("inf"), float("-inf")])


def _reference(
    scores: npt.NDArray[np.float32], k: int, exclude: npt.NDArray[np.bool_]
) -> list[int]:
    keyed = [(-float(s), i) for i, s in enumerate(scores) if np.isfinite(s) and not exclude[i]]
    return [i for _, i in sorted(keyed)[: max(k, 0)]]


@given(
    st.lists(st.tuples(SCORE, st.booleans()), max_size=60),
    st.integers(min_value=-1, max_value=70),
)
def test_top_k_equals_a_full_stable_sort(cells: list[tuple[float, bool]], k: int) -> None:
    scores = np.array([s for s, _ in cells], dtype=np.float32)
    exclude = np.array([e for _, e in cells], dtype=bool)
    result = top_k(scores, k, exclude)
    assert result.dtype == np.int64
    assert result.tolist() == _reference(scores, k, exclude)


def test_top_k_breaks_ties_at_the_boundary_by_lower_index() -> None:
    scores = np.zeros(1000, dtype=np.float32)
    scores[500] = 1.0
    assert top_k(scores, 3).tolist() == [500, 0, 1]
    assert top_k(np.array([0.0, 0.0, 1.0, 2.0], dtype=np.float32), 3).tolist() == [3, 2, 0]
