"""Calibrated re-ranking against top-k, a list worked out by hand, and the metric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse

from tactful.candidates.base import top_k
from tactful.errors import InvalidInput
from tactful.metrics import per_user_miscalibration
from tactful.reranking import category_flags, make_config
from tactful.reranking.calibration import CalibrationConfig, calibrate

A, B = 0, 1


def _miscalibration(lists: list[list[int]], histories: list[list[int]], flags: object) -> float:
    n_items = np.asarray(flags).shape[0]
    k = max(len(items) for items in lists)
    table = np.full((len(lists), k), -1, dtype=np.int64)
    for row, items in enumerate(lists):
        table[row, : len(items)] = items
    rows = [r for r, h in enumerate(histories) for _ in h]
    cols = [c for h in histories for c in h]
    history = sparse.csr_array((np.ones(len(cols)), (rows, cols)), shape=(len(histories), n_items))
    values = per_user_miscalibration(table, history, sparse.csr_array(np.asarray(flags)))
    return float(np.nanmean(values))


def test_lambda_zero_is_top_k() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        scores = rng.random(80).astype(np.float32)
        cats = rng.integers(0, 5, 80)
        exclude = rng.random(80) < 0.2
        history = rng.choice(80, 10, replace=False)
        got = calibrate(scores, cats, 10, CalibrationConfig(lambda_=0.0, pool=40), history, exclude)
        assert got.tolist() == top_k(scores, 10, exclude).tolist()


def test_kl_term_brings_in_the_minority_category() -> None:
    # History: three items of A, one of B, so p = (.75, .25). rel = [1, .9, .8, .1, 0].
    # Step 1 takes item 0 (A). Step 2 with lambda = .5:
    #   item 1 (A): .5 * 1.9 - .5 * KL(p, (.9975, .0025)) = .95 - .5 * .9374 = .4813
    #   item 3 (B): .5 * 1.1 - .5 * KL(p, (.5025, .4975)) = .55 - .5 * .1283 = .4858
    # so the B item, fourth by score, comes in.
    scores = np.array([1.0, 0.9, 0.8, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0], dtype=np.float32)
    cats = np.array([A, A, A, B, A, A, A, A, B])
    history = np.array([5, 6, 7, 8])
    exclude = np.zeros(9, dtype=np.bool_)
    exclude[history] = True
    config = CalibrationConfig(lambda_=0.5, pool=5)
    assert top_k(scores, 2, exclude).tolist() == [0, 1]
    assert calibrate(scores, cats, 2, config, history, exclude).tolist() == [0, 3]
    # A stronger pull towards relevance keeps the plain top two.
    assert calibrate(
        scores, cats, 2, CalibrationConfig(lambda_=0.3, pool=5), history, exclude
    ).tolist() == [0, 1]


def test_multi_category_items_share_their_weight() -> None:
    # History is one item of {A, B}: p = (.5, .5). An {A, B} item matches it exactly.
    scores = np.array([1.0, 0.95, 0.0, 0.0])
    got = calibrate(
        scores, [{A}, {A, B}, {B}, {A, B}], 1, CalibrationConfig(lambda_=0.9, pool=3), np.array([3])
    )
    assert got.tolist() == [1]


def test_no_categorised_history_gives_top_k() -> None:
    scores = np.random.default_rng(2).random(30).astype(np.float32)
    cats = np.array([-1] * 5 + [0, 1, 2] * 8 + [0])
    got = calibrate(scores, cats, 5, CalibrationConfig(lambda_=1.0, pool=30), np.array([0, 1]))
    assert got.tolist() == top_k(scores, 5).tolist()


def test_lowers_miscalibration_on_random_data() -> None:
    rng = np.random.default_rng(3)
    n_items, n_users, k = 200, 60, 10
    flags = category_flags(
        [set(rng.choice(6, rng.integers(1, 3), replace=False).tolist()) for _ in range(n_items)],
        n_items,
    )
    # Scores favour category 0, histories are mixed: top-k is miscalibrated.
    plain, calibrated, histories = [], [], []
    for _ in range(n_users):
        history = rng.choice(n_items, 15, replace=False)
        scores = rng.random(n_items) + 0.5 * flags[:, 0]
        seen = np.zeros(n_items, dtype=np.bool_)
        seen[history] = True
        plain.append(top_k(scores.astype(np.float32), k, seen).tolist())
        calibrated.append(
            calibrate(
                scores, flags, k, CalibrationConfig(lambda_=0.5, pool=100), history, seen
            ).tolist()
        )
        histories.append(history.tolist())
    before = _miscalibration(plain, histories, flags)
    after = _miscalibration(calibrated, histories, flags)
    assert after < 0.7 * before


@settings(max_examples=80, deadline=None)
@given(
    scores=hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-5, 5)),
    data=st.data(),
    lambda_=st.floats(0.0, 1.0),
)
def test_property_valid_lists_and_a_first_pick_no_worse_calibrated(
    scores: np.ndarray, data: st.DataObject, lambda_: float
) -> None:
    n = len(scores)
    cats = np.array(data.draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n)))
    exclude = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    history = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8)))
    k = data.draw(st.integers(0, n))
    got = calibrate(scores, cats, k, CalibrationConfig(lambda_=lambda_, pool=n), history, exclude)
    items = got.tolist()
    assert len(items) == len(set(items)) == min(k, int((~exclude).sum()))
    assert not exclude[got].any()
    # With lambda = 1 the first pick is the best calibrated single item: never worse than
    # top-k's first item by the metric.
    flags = category_flags(cats, n)
    p_has = flags[np.unique(history)].sum() > 0
    if k >= 1 and items and p_has:
        best = calibrate(scores, cats, 1, CalibrationConfig(lambda_=1.0, pool=n), history, exclude)
        first = top_k(scores.astype(np.float32), 1, exclude)
        if flags[best].sum() > 0 and flags[first].sum() > 0:
            ours = _miscalibration([best.tolist()], [history.tolist()], flags)
            theirs = _miscalibration([first.tolist()], [history.tolist()], flags)
            assert ours <= theirs + 1e-9


@pytest.mark.parametrize("values", [{"lambda_": 2.0}, {"lambda_": -1.0}, {"pool": -3}])
def test_bad_config_is_invalid_input(values: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="config"):
        make_config(CalibrationConfig, values)


def test_pool_smaller_than_k_and_bad_history_are_invalid_input() -> None:
    scores, cats = np.zeros(10), np.zeros(10, dtype=np.int64)
    with pytest.raises(InvalidInput, match="pool"):
        calibrate(scores, cats, 5, CalibrationConfig(pool=4), np.array([0]))
    with pytest.raises(InvalidInput, match="history"):
        calibrate(scores, cats, 5, CalibrationConfig(pool=10), np.array([10]))
