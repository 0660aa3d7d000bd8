"""Each recommender against numbers worked out by hand or by a direct numpy computation."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse

from tactful.candidates.base import History, Interactions, top_k
from tactful.candidates.ease import EASEConfig, EASERecommender
from tactful.candidates.itemknn import ItemKNNConfig, ItemKNNRecommender
from tactful.candidates.popularity import PopularityConfig, PopularityRecommender
from tactful.candidates.registry import build
from tactful.errors import InvalidInput


def _history(items: list[int], weights: list[float] | None = None) -> History:
    w = weights if weights is not None else [1.0] * len(items)
    return History(np.array(items, dtype=np.int64), np.array(w, dtype=np.float32))


def _dense(matrix: list[list[float]]) -> Interactions:
    """Subjects s0.. and items i0.. from a dense matrix (zeros are absent)."""
    triples = [
        (f"s{r}", f"i{c}", value)
        for r, row in enumerate(matrix)
        for c, value in enumerate(row)
        if value != 0
    ]
    return Interactions.from_triples(triples, item_ids=[f"i{c}" for c in range(len(matrix[0]))])


# -- popularity -------------------------------------------------------------------------


@pytest.fixture
def popularity_data() -> Interactions:
    return Interactions.from_triples(
        [
            ("a", "x", 1.0),
            ("a", "y", 5.0),
            ("b", "x", 1.0),
            ("b", "z", 1.0),
            ("c", "x", 2.0),
            ("c", "z", 1.0),
            ("d", "y", 4.0),
            ("e", "z", -1.0),  # a dislike: not counted, subtracts from the sum
        ],
        item_ids=["w", "x", "y", "z"],  # nobody touched w
    )


def test_popularity_counts_subjects(popularity_data: Interactions) -> None:
    model = PopularityRecommender(PopularityConfig(weighting="count")).fit(popularity_data)
    scores = model.score(History.empty())
    np.testing.assert_array_equal(scores, [0.0, 3.0, 2.0, 2.0])
    # y and z tie on 2: the lower index comes first
    assert top_k(scores, 4).tolist() == [1, 2, 3, 0]
    assert model.because(_history([1]), 2) is None


def test_popularity_sums_weights(popularity_data: Interactions) -> None:
    model = PopularityRecommender(PopularityConfig(weighting="sum")).fit(popularity_data)
    scores = model.score(_history([1, 2]))
    np.testing.assert_array_equal(scores, [0.0, 4.0, 9.0, 1.0])
    assert top_k(scores, 4).tolist() == [2, 1, 3, 0]


# -- itemknn ----------------------------------------------------------------------------

# Four subjects, three items. Column norms √3, √3, √2; co-occurrences 0·1 = 2, 0·2 = 2,
# 1·2 = 1; so cos(0,1) = 2/3, cos(0,2) = 2/√6, cos(1,2) = 1/√6.
KNN_MATRIX = [
    [1.0, 1.0, 0.0],
    [1.0, 0.0, 1.0],
    [1.0, 1.0, 1.0],
    [0.0, 1.0, 0.0],
]
C01, C02, C12 = 2 / 3, 2 / math.sqrt(6), 1 / math.sqrt(6)


def _similarity(model: ItemKNNRecommender) -> npt.NDArray[np.float32]:
    arrays = model.arrays()
    n = model.n_items
    sim = sparse.csr_array(
        (arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]), shape=(n, n)
    )
    return np.asarray(sim.toarray(), dtype=np.float32)


def test_itemknn_cosine_by_hand() -> None:
    model = ItemKNNRecommender(ItemKNNConfig(neighbors=5)).fit(_dense(KNN_MATRIX))
    expected = [[0.0, C01, C02], [C01, 0.0, C12], [C02, C12, 0.0]]
    np.testing.assert_allclose(_similarity(model), expected, rtol=1e-6)

    history = _history([0, 1])
    np.testing.assert_allclose(model.score(history), [C01, C01, C02 + C12], rtol=1e-6)
    assert model.because(history, 2) == 0  # 2/√6 from item 0 beats 1/√6 from item 1
    assert model.because(history, 0) == 1  # item 0 is no neighbour of itself
    assert model.because(_history([0]), 0) is None


def test_itemknn_keeps_the_nearest_neighbours_per_item() -> None:
    model = ItemKNNRecommender(ItemKNNConfig(neighbors=1)).fit(_dense(KNN_MATRIX))
    expected = [[0.0, 0.0, C02], [C01, 0.0, 0.0], [C02, 0.0, 0.0]]
    np.testing.assert_allclose(_similarity(model), expected, rtol=1e-6)


def test_itemknn_neighbour_ties_go_to_the_lower_index() -> None:
    model = ItemKNNRecommender(ItemKNNConfig(neighbors=1)).fit(_dense([[1, 1, 0], [1, 0, 1]]))
    c = 1 / math.sqrt(2)  # cos(0,1) = cos(0,2); cos(1,2) = 0
    expected = [[0.0, c, 0.0], [c, 0.0, 0.0], [c, 0.0, 0.0]]
    np.testing.assert_allclose(_similarity(model), expected, rtol=1e-6)


def test_itemknn_shrinkage() -> None:
    model = ItemKNNRecommender(ItemKNNConfig(shrinkage=2.0)).fit(_dense(KNN_MATRIX))
    s01, s02, s12 = 2 / (3 + 2), 2 / (math.sqrt(6) + 2), 1 / (math.sqrt(6) + 2)
    expected = [[0.0, s01, s02], [s01, 0.0, s12], [s02, s12, 0.0]]
    np.testing.assert_allclose(_similarity(model), expected, rtol=1e-6)


def test_itemknn_weighted_cosine_matches_numpy() -> None:
    x = np.array([[5, 3, 0, 1], [4, 0, 0, 1], [1, 1, 0, 5], [0, 1, 5, 4]], dtype=np.float64)
    model = ItemKNNRecommender(ItemKNNConfig(binarize=False)).fit(_dense(x.tolist()))
    norms = np.linalg.norm(x, axis=0)
    expected = (x.T @ x) / np.outer(norms, norms)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(_similarity(model), expected, rtol=1e-6)

    history = _history([0, 3], [2.0, 0.5])
    np.testing.assert_allclose(
        model.score(history), 2.0 * expected[0] + 0.5 * expected[3], rtol=1e-6
    )


# -- EASE -------------------------------------------------------------------------------


def test_ease_weights_match_the_closed_form(rng: np.random.Generator) -> None:
    x = (rng.random((12, 6)) < 0.4).astype(np.float64)
    x[0] = 1.0  # every item has at least one interaction
    l2 = 3.0
    model = EASERecommender(EASEConfig(l2=l2)).fit(_dense(x.tolist()))

    # Steck (2019), eq. 8: B = I - P · diagMat(1 ⊘ diag(P)), with P = (XᵀX + λI)⁻¹.
    p = np.linalg.inv(x.T @ x + l2 * np.eye(6))
    expected = np.eye(6) - p @ np.diag(1.0 / np.diag(p))
    weights = model.arrays()["weights"]
    assert weights.dtype == np.float32
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.diag(weights), 0.0)

    history = _history([1, 4])
    np.testing.assert_allclose(
        model.score(history), expected[1] + expected[4], rtol=1e-5, atol=1e-6
    )


def test_ease_binarizes_weights() -> None:
    graded = [[5.0, 2.0, 0.0], [1.0, 0.0, 3.0], [4.0, 4.0, 4.0]]
    binary = [[1.0 if v else 0.0 for v in row] for row in graded]
    a = EASERecommender(EASEConfig(l2=1.0)).fit(_dense(graded))
    b = EASERecommender(EASEConfig(l2=1.0)).fit(_dense(binary))
    np.testing.assert_array_equal(a.arrays()["weights"], b.arrays()["weights"])
    np.testing.assert_array_equal(a.score(_history([0], [5.0])), b.score(_history([0])))


def _co_occurrence() -> Interactions:
    """Items 0 and 1 always go together; 2 and 3 are far more popular on their own."""
    baskets = [[0, 1]] * 5 + [[2]] * 20 + [[3]] * 20 + [[2, 4]] * 10
    triples = [(f"s{n}", f"i{i}", 1.0) for n, basket in enumerate(baskets) for i in basket]
    return Interactions.from_triples(triples, item_ids=[f"i{i}" for i in range(5)])


@pytest.mark.parametrize("name", ["ease", "itemknn"])
def test_the_co_occurring_item_ranks_first(name: str) -> None:
    model = build(name, None).fit(_co_occurrence())
    history = _history([0])
    exclude = np.zeros(5, dtype=bool)
    exclude[0] = True
    assert top_k(model.score(history), 1, exclude).tolist() == [1]
    assert model.because(history, 1) == 0
    assert model.because(history, 2) is None


def test_build_reports_the_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        build("ease", {"l2": -1})
    assert [e.field for e in caught.value.errors] == ["config.l2"]
    with pytest.raises(InvalidInput) as caught:
        build("itemknn", {"neighbors": 0, "shrinkage": float("nan")})
    assert sorted(e.field for e in caught.value.errors) == ["config.neighbors", "config.shrinkage"]
    with pytest.raises(InvalidInput) as caught:
        build("nope", None)
    assert [e.field for e in caught.value.errors] == ["name"]
