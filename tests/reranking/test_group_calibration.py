"""Group-aware calibration: popularity bands, target mixes worked out by hand, the same list
as Steck's calibration when the target is the history, and a fairer mix as the weight grows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tactful.candidates.base import top_k
from tactful.errors import InvalidInput
from tactful.reranking import make_config
from tactful.reranking.calibration import CalibrationConfig, calibrate
from tactful.reranking.group_calibration import (
    HEAD,
    MID,
    TAIL,
    GroupCalibrationConfig,
    catalog_shares,
    group_calibrate,
    history_mix,
    popularity_bands,
    target_mix,
)

H, M, T = HEAD, MID, TAIL


def test_popularity_bands_by_share_of_interactions() -> None:
    # Total 20. Head: the shortest most-popular prefix reaching 20% (4): [10]. Tail: the
    # shortest least-popular prefix reaching 4: 0 + 1 + 1 + 3 = 5, so popularity <= 3.
    assert popularity_bands([10, 5, 3, 1, 1, 0]).tolist() == [H, M, T, T, T, T]
    # Wider bands: head reaches 10 with [10]; tail reaches 10 with 0+1+1+3+5.
    assert popularity_bands([10, 5, 3, 1, 1, 0], head=0.5, tail=0.5).tolist() == [
        H, T, T, T, T, T,
    ]  # fmt: skip
    # Ties fall on the same side, and the head wins an overlap: total 21, the head needs
    # 4.2 and takes every 5; the tail reaches 4.2 at the first 5, so it would take all.
    assert popularity_bands([5, 5, 5, 5, 1, 0, 0]).tolist() == [H, H, H, H, T, T, T]
    # Items nobody touched are tail, even with tail = 0; with no interactions all are.
    assert popularity_bands([6, 3, 1, 0], tail=0.0).tolist() == [H, M, M, T]
    assert popularity_bands([0, 0, 0]).tolist() == [T, T, T]


def test_mixes_worked_out_by_hand() -> None:
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 2, -1, -1])
    # Catalog: 4, 3 and 1 of the 8 columns with a group.
    assert catalog_shares(groups).tolist() == pytest.approx([0.5, 0.375, 0.125])
    # History: columns 0, 1, 4 (7 has group 2; 8 has none), column 0 twice.
    assert history_mix(groups, [0, 0, 1, 4, 8]).tolist() == pytest.approx([2 / 3, 1 / 3, 0])
    # Blends: .75 * (2/3, 1/3, 0) + .25 * (.5, .375, .125).
    assert target_mix(groups, [0, 1, 4], 0.25).tolist() == pytest.approx([0.625, 0.34375, 0.03125])
    assert target_mix(groups, [0, 1, 4], 0.0).tolist() == pytest.approx([2 / 3, 1 / 3, 0])
    assert target_mix(groups, [0, 1, 4], 1.0).tolist() == pytest.approx([0.5, 0.375, 0.125])
    # No grouped history: the catalog when fairness counts, else no target at all.
    assert target_mix(groups, [8], 0.3).tolist() == pytest.approx([0.5, 0.375, 0.125])
    assert target_mix(groups, [], 0.0).tolist() == [0.0, 0.0, 0.0]


def test_calibrated_popularity_brings_in_the_bands_of_the_history() -> None:
    # Columns 0-5 are the candidates: rel 1, .9, .8, .7, .1, 0; bands H H H H M T.
    # History 6 (H) and 7 (T): target (.5, 0, .5). Step 1 takes 0. Step 2 with lambda .5:
    #   item 1 (H): .5 * 1.9 - .5 * KL(p, (.995, .005)) = .95 - .5 * 1.9585 = -.0293
    #   item 5 (T): .5 * 1.0 - .5 * KL(p, (.5, .5)) = .5 - 0 = .5
    # so the tail item, last by score, comes in.
    scores = np.array([1.0, 0.9, 0.8, 0.7, 0.1, 0.0, 0.0, 0.0])
    groups = np.array([H, H, H, H, M, T, H, T])
    seen = np.zeros(8, dtype=np.bool_)
    seen[[6, 7]] = True
    config = GroupCalibrationConfig(lambda_=0.5, pool=6)
    assert group_calibrate(scores, groups, 2, config, [6, 7], seen).tolist() == [0, 5]
    assert top_k(scores, 2, seen).tolist() == [0, 1]
    # A history all in the head keeps the plain list.
    assert group_calibrate(scores, groups, 2, config, [6], seen).tolist() == [0, 1]
    fair = GroupCalibrationConfig(lambda_=0.9, fairness_weight=1.0, pool=6)
    # Catalog: 5 H, 1 M, 2 T of 8 -> (.625, .125, .25). A list of 4 at lambda .9 follows it:
    # two H, one M, one T.
    got = group_calibrate(scores, groups, 4, fair, [6], seen).tolist()
    assert sorted(groups[got].tolist()) == [H, H, M, T]


def test_fairness_weight_zero_is_stecks_calibration_with_groups_as_categories() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        scores = rng.random(80)
        groups = rng.integers(-1, 4, 80)
        history = rng.choice(80, 8, replace=False)
        exclude = rng.random(80) < 0.2
        ours = group_calibrate(
            scores, groups, 10, GroupCalibrationConfig(lambda_=0.7, pool=40), history, exclude
        )
        steck = calibrate(
            scores, groups, 10, CalibrationConfig(lambda_=0.7, pool=40), history, exclude
        )
        assert ours.tolist() == steck.tolist()


def test_a_higher_fairness_weight_brings_the_list_closer_to_the_catalog() -> None:
    rng = np.random.default_rng(1)
    n_items, k = 300, 10
    groups = rng.integers(0, 3, n_items)  # roughly a third each
    catalog = catalog_shares(groups)
    gaps = []
    for weight in (0.0, 0.5, 1.0):
        config = GroupCalibrationConfig(lambda_=0.95, fairness_weight=weight, pool=100)
        user_rng = np.random.default_rng(2)
        total = 0.0
        for _ in range(40):
            history = user_rng.choice(np.flatnonzero(groups == 0), 10, replace=False)
            scores = user_rng.random(n_items) + 0.5 * (groups == 0)  # group 0 favoured
            seen = np.zeros(n_items, dtype=np.bool_)
            seen[history] = True
            got = group_calibrate(scores, groups, k, config, history, seen)
            mix = np.bincount(groups[got], minlength=3) / k
            total += float(np.abs(mix - catalog).sum())
        gaps.append(total / 40)
    assert gaps[0] > gaps[1] > gaps[2]
    # L1 distance from the catalog mix: about 1.35 (all group 0), .75, then .15.
    assert gaps[2] < 0.25


@settings(max_examples=80, deadline=None)
@given(
    scores=hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-5, 5)),
    data=st.data(),
    lambda_=st.floats(0.0, 1.0),
    weight=st.floats(0.0, 1.0),
)
def test_property_valid_lists(
    scores: np.ndarray, data: st.DataObject, lambda_: float, weight: float
) -> None:
    n = len(scores)
    groups = np.array(data.draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n)))
    exclude = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    history = data.draw(st.lists(st.integers(0, n - 1), max_size=8))
    k = data.draw(st.integers(0, n))
    config = GroupCalibrationConfig(lambda_=lambda_, fairness_weight=weight, pool=n)
    got = group_calibrate(scores, groups, k, config, history, exclude)
    items = got.tolist()
    assert len(items) == len(set(items)) == min(k, int((~exclude).sum()))
    assert not exclude[got].any()


@pytest.mark.parametrize(
    "values", [{"lambda_": 2.0}, {"fairness_weight": -0.1}, {"fairness_weight": 1.1}, {"pool": 0}]
)
def test_bad_config_is_invalid_input(values: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="config"):
        make_config(GroupCalibrationConfig, values)


def test_bad_arguments_are_invalid_input() -> None:
    config = GroupCalibrationConfig(pool=5)
    with pytest.raises(InvalidInput, match="groups"):
        group_calibrate(np.zeros(5), np.zeros(4, dtype=np.int64), 2, config, [])
    with pytest.raises(InvalidInput, match="groups"):
        group_calibrate(np.zeros(5), np.zeros(5), 2, config, [])
    with pytest.raises(InvalidInput, match="history"):
        group_calibrate(np.zeros(5), np.zeros(5, dtype=np.int64), 2, config, [-1])
    with pytest.raises(InvalidInput, match="popularity"):
        popularity_bands([1.0, -1.0])
    with pytest.raises(InvalidInput, match="tail"):
        popularity_bands([1.0], tail=1.5)
