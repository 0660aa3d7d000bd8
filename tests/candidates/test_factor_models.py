"""ALS and BPR: request-time fold-in checked against direct computations and `implicit`."""

from __future__ import annotations

import warnings
from itertools import pairwise, product
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse
from scipy.special import expit

from tactful.candidates.als import ALSConfig, ALSRecommender
from tactful.candidates.base import History, Interactions
from tactful.candidates.bpr import BPRConfig, BPRRecommender, _fill_level, _with_negative_row
from tactful.candidates.registry import build
from tactful.errors import InvalidInput

UNTOUCHED = (30, 31)  # the synthetic data's items nobody interacted with


def _history(items: list[int], weights: list[float] | None = None) -> History:
    w = weights if weights is not None else [1.0] * len(items)
    return History(np.array(items, dtype=np.int64), np.array(w, dtype=np.float32))


def _row(matrix: sparse.csr_array, row: int) -> History:
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return History(
        matrix.indices[start:end].astype(np.int64), matrix.data[start:end].astype(np.float32)
    )


@pytest.fixture
def als(interactions: Interactions) -> ALSRecommender:
    config = ALSConfig(factors=8, regularization=2.0, alpha=3.0, iterations=10, binarize=False)
    return ALSRecommender(config).fit(interactions)


@pytest.fixture
def bpr(interactions: Interactions) -> BPRRecommender:
    config = BPRConfig(factors=8, learning_rate=0.05, iterations=40, negative_flattening=2.0)
    return BPRRecommender(config).fit(interactions)


def _confidence(model: ALSRecommender, history: History) -> dict[int, float]:
    """Per distinct positive item, c = 1 + alpha * (summed weight, or 1 when binarized)."""
    summed: dict[int, float] = {}
    for item, weight in zip(history.items.tolist(), history.weights.tolist(), strict=True):
        summed[item] = summed.get(item, 0.0) + weight
    cfg = model.config
    return {i: 1.0 + cfg.alpha * (1.0 if cfg.binarize else w) for i, w in summed.items() if w > 0}


# -- ALS --------------------------------------------------------------------------------


def test_als_fold_in_is_the_closed_form_user_step(als: ALSRecommender) -> None:
    y = als.arrays()["item_factors"].astype(np.float64)
    lam = als.config.regularization
    history = _history([3, 3, 12, 5, 31, 7], [2.0, 1.0, 0.0, 4.0, 1.0, -2.0])
    conf = _confidence(als, history)  # 3 -> 1 + 3*3; 12 and 7 dropped
    assert sorted(conf) == [3, 5, 31]
    a = y.T @ y + lam * np.eye(y.shape[1])
    b = np.zeros(y.shape[1])
    for item, c in conf.items():
        a += (c - 1.0) * np.outer(y[item], y[item])
        b += c * y[item]
    expected = y @ np.linalg.solve(a, b)
    np.testing.assert_allclose(als.score(history), expected, rtol=1e-5, atol=1e-6)


def test_als_fold_in_matches_implicits_recalculated_user(
    als: ALSRecommender, interactions: Interactions
) -> None:
    """implicit's own `recommend(..., recalculate_user=True)` solves the same user step."""
    from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]

    reference = AlternatingLeastSquares(
        factors=als.config.factors, regularization=als.config.regularization, alpha=1.0
    )
    reference.item_factors = als.arrays()["item_factors"]
    n = interactions.n_items
    for subject in (0, 1, 7, 30, 59):
        history = _row(interactions.matrix, subject)
        conf = _confidence(als, history)  # implicit takes the confidences themselves
        cols = np.array(sorted(conf), dtype=np.int32)
        data = np.array([conf[c] for c in cols.tolist()], dtype=np.float32)
        row = sparse.csr_matrix((data, cols, np.array([0, len(cols)])), shape=(1, n))
        ids, scores = reference.recommend(
            0, row, N=n, recalculate_user=True, filter_already_liked_items=False
        )
        ours = als.score(history)
        np.testing.assert_allclose(scores, ours[ids], rtol=1e-4, atol=1e-5)
        # the same ranking, wherever the scores are not tied within float32 noise
        ranked = ours[ids]
        assert np.all(ranked[:-1] >= ranked[1:] - 1e-5)


def test_als_contributions_add_up_to_the_score(als: ALSRecommender) -> None:
    history = _history([0, 4, 9, 9, 20], [1.0, 2.0, 1.0, 1.0, 5.0])
    everything = np.arange(als.n_items, dtype=np.int64)
    entries, terms = als.contributions(history, everything)
    assert entries.tolist() == [0, 4, 9, 20]
    np.testing.assert_allclose(terms.sum(axis=0), als.score(history), rtol=1e-5, atol=1e-6)
    for item in everything.tolist():
        best = int(np.argmax(terms[:, item]))
        expected = int(entries[best]) if terms[best, item] > 0 else None
        assert als.because(history, item) == expected


def test_als_fit_is_deterministic_with_threads(interactions: Interactions) -> None:
    first = ALSRecommender().fit(interactions).arrays()
    second = ALSRecommender().fit(interactions).arrays()
    other_seed = ALSRecommender(ALSConfig(seed=43)).fit(interactions).arrays()
    np.testing.assert_array_equal(first["item_factors"], second["item_factors"])
    assert not np.array_equal(first["item_factors"], other_seed["item_factors"])


# -- BPR --------------------------------------------------------------------------------


def _objective(model: BPRRecommender, history: History, x: npt.NDArray[np.float64]) -> float:
    """BPR's per-subject objective, summed over every (history item, outside item) pair."""
    arrays = model.arrays()
    y, b = arrays["item_factors"].astype(np.float64), arrays["item_bias"].astype(np.float64)
    taken = np.unique(history.items[history.weights > 0])
    outside = np.setdiff1d(np.arange(len(y)), taken)
    s = y @ x + b
    diff = s[taken][:, None] - s[outside][None, :]
    lam = model.config.regularization
    return float(np.mean(np.log(expit(diff))) - 0.5 * lam * x @ x)


def _with_steps(model: BPRRecommender, steps: int) -> BPRRecommender:
    other = BPRRecommender(model.config.model_copy(update={"fold_in_steps": steps}))
    other.item_ids = model.item_ids
    other.restore(model.arrays())
    return other


def test_bpr_fold_in_climbs_the_subject_objective(bpr: BPRRecommender) -> None:
    history = _history([0, 3, 6, 9, 14])
    batch = sparse.csr_array(
        (history.weights, (np.zeros(5, dtype=np.int64), history.items)), shape=(1, bpr.n_items)
    )
    values = [_objective(bpr, history, np.zeros(bpr.config.factors))]
    for steps in (1, 2, 3, 5, 8, 13):
        x = _with_steps(bpr, steps).subject_factors(batch)[0]
        values.append(_objective(bpr, history, x))
    assert all(later > earlier for earlier, later in pairwise(values))


def test_bpr_fold_in_converges_to_the_subject_optimum(bpr: BPRRecommender) -> None:
    """Many steps reach the maximum: the objective's gradient vanishes there."""
    history = _history([1, 2, 5, 8])
    batch = sparse.csr_array(
        (history.weights, (np.zeros(4, dtype=np.int64), history.items)), shape=(1, bpr.n_items)
    )
    x = _with_steps(bpr, 200).subject_factors(batch)[0]
    step = 1e-5
    gradient = [
        (_objective(bpr, history, x + step * unit) - _objective(bpr, history, x - step * unit))
        / (2 * step)
        for unit in np.eye(len(x))
    ]
    np.testing.assert_allclose(gradient, 0.0, atol=1e-6)


def test_bpr_scores_are_factors_times_fold_in_plus_bias(bpr: BPRRecommender) -> None:
    history = _history([2, 4, 4, 17, UNTOUCHED[0]], [1.0, 1.0, 3.0, 2.0, 1.0])
    arrays = bpr.arrays()
    batch = sparse.csr_array(
        (history.weights, (np.zeros(5, dtype=np.int64), history.items)), shape=(1, bpr.n_items)
    )
    x = bpr.subject_factors(batch)[0]
    expected = arrays["item_factors"].astype(np.float64) @ x + arrays["item_bias"]
    np.testing.assert_allclose(bpr.score(history), expected, rtol=1e-5, atol=1e-6)


def test_bpr_contributions_add_up_to_the_score_less_bias(bpr: BPRRecommender) -> None:
    history = _history([0, 5, 11, 11, 22, 29], [1.0, 2.0, 1.0, 1.0, 5.0, 1.0])
    everything = np.arange(bpr.n_items, dtype=np.int64)
    entries, terms = bpr.contributions(history, everything)
    assert entries.tolist() == [0, 5, 11, 22, 29]
    bias = bpr.arrays()["item_bias"].astype(np.float64)
    np.testing.assert_allclose(terms.sum(axis=0) + bias, bpr.score(history), rtol=1e-5, atol=1e-5)
    for item in everything.tolist():
        best = int(np.argmax(terms[:, item]))
        expected = int(entries[best]) if terms[best, item] > 0 else None
        assert bpr.because(history, item) == expected


def test_bpr_weights_count_in_the_fold_in_only_when_not_binarized(
    interactions: Interactions,
) -> None:
    plain = BPRRecommender(BPRConfig(factors=6, iterations=10)).fit(interactions)
    weighted = BPRRecommender(BPRConfig(factors=6, iterations=10, binarize=False))
    weighted.item_ids = plain.item_ids
    weighted.restore(plain.arrays())
    light, heavy = _history([0, 10], [1.0, 1.0]), _history([0, 10], [1.0, 5.0])
    np.testing.assert_array_equal(plain.score(light), plain.score(heavy))
    assert not np.array_equal(weighted.score(light), weighted.score(heavy))
    np.testing.assert_array_equal(weighted.score(light), plain.score(light))


def test_the_negative_row_flattens_draws_towards_uniform() -> None:
    x = sparse.csr_array(
        (np.ones(7, dtype=np.float32), ([0, 0, 1, 1, 2, 2, 2], [0, 1, 0, 2, 0, 1, 3])),
        shape=(3, 5),
    )  # item counts 3, 2, 1, 1, 0
    padded = _with_negative_row(x, 2.0)  # 14 extra entries to spread
    assert padded.shape == (4, 5)
    np.testing.assert_array_equal(padded[:3].toarray(), x.toarray())
    extra = np.bincount(padded.indices[padded.indptr[3] :], minlength=5)
    assert extra.tolist() == [1, 2, 3, 3, 4]  # filled to level 4; item 0 still present once
    totals = np.bincount(padded.indices, minlength=5)
    assert totals.tolist() == [4, 4, 4, 4, 4]
    popularity = np.bincount(_with_negative_row(x, 0.0).indices, minlength=5)
    assert popularity.tolist() == [4, 3, 2, 2, 1]  # only the one entry per item


@pytest.mark.parametrize(
    ("counts", "budget", "level"),
    [
        ([3, 2, 1, 1, 0], 0, 0),
        ([3, 2, 1, 1, 0], 1, 1),
        ([3, 2, 1, 1, 0], 12, 3),
        ([3, 2, 1, 1, 0], 13, 4),
        ([5], 7, 12),
    ],
)
def test_fill_level(counts: list[int], budget: int, level: int) -> None:
    c = np.array(counts, dtype=np.int64)
    assert _fill_level(c, budget) == level
    assert np.maximum(0, level - c).sum() <= budget < np.maximum(0, level + 1 - c).sum()


# -- both -------------------------------------------------------------------------------


@pytest.fixture(params=["als", "bpr"])
def factor_model(
    request: pytest.FixtureRequest, als: ALSRecommender, bpr: BPRRecommender
) -> ALSRecommender | BPRRecommender:
    return als if request.param == "als" else bpr


def test_an_empty_history_scores_zero_like_the_other_personal_models(
    factor_model: ALSRecommender | BPRRecommender, interactions: Interactions
) -> None:
    ease = build("ease").fit(interactions)
    np.testing.assert_array_equal(ease.score(History.empty()), 0.0)
    np.testing.assert_array_equal(factor_model.score(History.empty()), 0.0)
    # zero and negative weights leave nothing to fold in either
    np.testing.assert_array_equal(factor_model.score(_history([1, 2], [0.0, -1.0])), 0.0)
    assert factor_model.because(History.empty(), 0) is None


def test_items_nobody_touched_do_not_break_anything(
    factor_model: ALSRecommender | BPRRecommender,
) -> None:
    for item in UNTOUCHED:
        scores = factor_model.score(_history([item]))
        assert np.all(np.isfinite(scores))
        assert factor_model.because(_history([item, 0]), item) in (None, item, 0)
    scores = factor_model.score_batch(sparse.csr_array(np.eye(32, dtype=np.float32)))
    assert np.all(np.isfinite(scores))


def test_the_next_score_reflects_a_withdrawn_signal(
    factor_model: ALSRecommender | BPRRecommender,
) -> None:
    """Nothing is kept per subject: a history without an item scores as if never seen."""
    full, reduced = _history([0, 3, 10, 20]), _history([0, 3, 20])
    fresh = type(factor_model)(factor_model.config)  # type: ignore[arg-type]
    fresh.item_ids = factor_model.item_ids
    fresh.restore(factor_model.arrays())
    factor_model.score(full)
    np.testing.assert_array_equal(factor_model.score(reduced), fresh.score(reduced))
    assert 10 not in factor_model.because_many(reduced, np.arange(32, dtype=np.int64))


def test_saved_arrays_hold_nothing_per_subject(
    factor_model: ALSRecommender | BPRRecommender, interactions: Interactions
) -> None:
    more = Interactions(
        np.concatenate([interactions.subject_ids, np.array(["extra-1", "extra-2"])]),
        interactions.item_ids,
        sparse.csr_array(sparse.vstack([interactions.matrix, interactions.matrix[:2]])),
    )
    bigger = type(factor_model)(factor_model.config).fit(more)  # type: ignore[arg-type]
    shapes = {k: v.shape for k, v in factor_model.arrays().items()}
    assert shapes == {k: v.shape for k, v in bigger.arrays().items()}
    f = factor_model.config.factors
    expected = {"item_factors": (32, f), "gram": (f, f)}
    if isinstance(factor_model, BPRRecommender):
        expected["item_bias"] = (32,)
    assert shapes == expected
    assert factor_model.arrays()["item_factors"].dtype == np.float32


def test_restore_refuses_malformed_arrays(factor_model: ALSRecommender | BPRRecommender) -> None:
    good = factor_model.arrays()

    def broken(**changes: Any) -> dict[str, npt.NDArray[Any]]:
        return {**good, **changes}

    f = factor_model.config.factors
    cases = [
        {k: v for k, v in good.items() if k != "item_factors"},
        broken(item_factors=good["item_factors"][:-1]),
        broken(item_factors=good["item_factors"].astype(np.float64)),
        broken(item_factors=np.full_like(good["item_factors"], np.nan)),
        broken(gram=good["gram"][:-1]),
        broken(gram=good["gram"] * 2.0),  # does not match the factors
        broken(gram=np.eye(f)),
    ]
    if isinstance(factor_model, BPRRecommender):
        cases.append(broken(item_bias=good["item_bias"][:-1]))
    for arrays in cases:
        fresh = type(factor_model)(factor_model.config)  # type: ignore[arg-type]
        fresh.item_ids = factor_model.item_ids
        with pytest.raises(InvalidInput):
            fresh.restore(arrays)


def test_score_batch_refuses_the_wrong_width(
    factor_model: ALSRecommender | BPRRecommender,
) -> None:
    with pytest.raises(InvalidInput):
        factor_model.score_batch(sparse.csr_array(np.ones((2, 31), dtype=np.float32)))


def test_fit_is_quiet(interactions: Interactions) -> None:
    """No progress bar, no BLAS-threads warning from implicit, no CSR-type warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ALSRecommender().fit(interactions)
        BPRRecommender(BPRConfig(iterations=5)).fit(interactions)


@pytest.mark.parametrize(
    ("cls", "limit"), [(ALSRecommender, 80), (BPRRecommender, 16)], ids=["als", "bpr"]
)
def test_search_space_is_a_small_grid_of_valid_configs(
    cls: type[ALSRecommender] | type[BPRRecommender], limit: int
) -> None:
    space = cls.search_space
    assert set(space) <= set(cls.config_type.model_fields)
    combinations = list(product(*space.values()))
    assert 1 < len(combinations) <= limit
    defaults = cls.config_type()
    for values in combinations:
        cls.config_type.model_validate(dict(zip(space, values, strict=True)))
    for field, values in space.items():
        # the default sits inside the grid, not beyond its ends
        assert min(values) <= getattr(defaults, field) <= max(values), field


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("als", {"factors": 0}),
        ("als", {"regularization": 0.0}),
        ("als", {"alpha": -1.0}),
        ("als", {"iterations": 0}),
        ("als", {"seed": -1}),
        ("bpr", {"learning_rate": 0.0}),
        ("bpr", {"negative_flattening": -0.5}),
        ("bpr", {"fold_in_steps": 0}),
        ("bpr", {"regularization": float("nan")}),
    ],
)
def test_configs_reject_out_of_range_values(name: str, config: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        build(name, config)
    assert [e.field for e in caught.value.errors] == [f"config.{next(iter(config))}"]
