"""Exposure, provider-group shares and Gini against small examples worked out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import numpy.typing as npt
import pytest

from tactful.errors import InvalidInput
from tactful.metrics.exposure import (
    exposure_gini,
    gini,
    group_exposure,
    item_exposure,
    position_weights,
)


def _table(lists: list[list[int]], width: int) -> npt.NDArray[np.int64]:
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for row, items in enumerate(lists):
        out[row, : len(items)] = items
    return out


def test_log_weights_are_the_dcg_discount() -> None:
    w = position_weights(4)
    assert w == pytest.approx([1.0, 1 / math.log2(3), 0.5, 1 / math.log2(5)], abs=1e-15)


def test_geometric_weights_follow_patience() -> None:
    assert position_weights(3, "geometric", patience=0.5) == pytest.approx([1.0, 0.5, 0.25])
    assert position_weights(3, "geometric", patience=1.0) == pytest.approx([1.0, 1.0, 1.0])
    assert position_weights(0).shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"k": -1}, "k"),
        ({"k": 3, "kind": "geometric", "patience": 0.0}, "patience"),
        ({"k": 3, "kind": "geometric", "patience": 1.5}, "patience"),
        ({"k": 3, "kind": "zipf"}, "kind"),
    ],
)
def test_bad_weights_are_rejected(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        position_weights(**kwargs)  # type: ignore[arg-type]
    assert caught.value.errors[0].field == field


def test_item_exposure_by_hand() -> None:
    # Lists [0, 1] and [1, 2, pad]; weights 1, 1/log2(3), 0.5.
    table = _table([[0, 1], [1, 2]], 3)
    w = position_weights(3)
    second = 1 / math.log2(3)
    got = item_exposure(table, 4, w)
    assert got == pytest.approx([1.0, second + 1.0, second, 0.0])


def test_exposure_sums_to_weights_times_filled_slots() -> None:
    rng = np.random.default_rng(7)
    n_items, k = 50, 10
    lists = [list(rng.permutation(n_items)[: rng.integers(0, k + 1)]) for _ in range(40)]
    table = _table(lists, k)
    w = position_weights(k, "geometric", patience=0.7)
    filled = (table != -1).sum(axis=0)
    assert item_exposure(table, n_items, w).sum() == pytest.approx(float(np.dot(w, filled)))


def test_permuting_users_changes_nothing() -> None:
    rng = np.random.default_rng(11)
    table = np.stack([rng.permutation(30)[:5] for _ in range(25)]).astype(np.int64)
    w = position_weights(5)
    shuffled = table[rng.permutation(len(table))]
    np.testing.assert_allclose(item_exposure(shuffled, 30, w), item_exposure(table, 30, w))
    assert exposure_gini(shuffled, 30, w) == pytest.approx(exposure_gini(table, 30, w))


def test_item_exposure_rejects_wrong_weights() -> None:
    table = _table([[0, 1]], 2)
    with pytest.raises(InvalidInput):
        item_exposure(table, 3, np.array([1.0]))
    with pytest.raises(InvalidInput):
        item_exposure(table, 3, np.array([1.0, -0.5]))
    with pytest.raises(InvalidInput):
        item_exposure(table, 1, np.array([1.0, 0.5]))  # item 1 outside a 1-item catalog


def test_group_exposure_by_hand() -> None:
    second = 1 / math.log2(3)
    exposure = np.array([1.0, 1.0 + second, second, 0.0])
    result = group_exposure(exposure, np.array([0, 0, 1, 1]), 2)
    total = 2.0 + 2 * second
    assert result.exposure == pytest.approx((2.0 + second, second))
    assert result.exposure_share == pytest.approx(((2.0 + second) / total, second / total))
    assert result.items == (2, 2)
    assert result.catalog_share == pytest.approx((0.5, 0.5))
    assert result.ratio == pytest.approx((2 * (2.0 + second) / total, 2 * second / total))
    assert sum(result.exposure_share) == pytest.approx(1.0)


def test_group_shares_sum_to_one_and_empty_group_has_no_ratio() -> None:
    rng = np.random.default_rng(3)
    exposure = rng.random(40)
    groups = rng.integers(0, 3, size=40)  # group 3 has no items
    result = group_exposure(exposure, groups, 4)
    assert sum(result.exposure_share) == pytest.approx(1.0)
    assert sum(result.catalog_share) == pytest.approx(1.0)
    assert result.items[3] == 0
    assert math.isnan(result.ratio[3])
    as_json = json.loads(json.dumps(result.as_dict()))
    assert as_json["ratio"][3] is None
    assert as_json["items"] == list(result.items)


def test_no_exposure_gives_undefined_shares() -> None:
    result = group_exposure(np.zeros(3), np.array([0, 1, 1]), 2)
    assert all(math.isnan(v) for v in result.exposure_share)
    assert result.as_dict()["exposure_share"] == [None, None]


@pytest.mark.parametrize(
    ("exposure", "groups", "n_groups"),
    [
        ([1.0, 2.0], [0, 2], 2),  # group number out of range
        ([1.0, 2.0], [0], 2),  # length mismatch
        ([1.0, -2.0], [0, 1], 2),  # negative exposure
        ([1.0, 2.0], [0.0, 1.0], 2),  # not integer
        ([1.0, 2.0], [0, 1], 0),
    ],
)
def test_group_exposure_rejects_bad_input(
    exposure: list[float], groups: list[float], n_groups: int
) -> None:
    with pytest.raises(InvalidInput) as caught:
        group_exposure(np.array(exposure), np.array(groups), n_groups)
    assert caught.value.errors


def test_gini_known_answers() -> None:
    assert gini(np.full(5, 3.0)) == 0.0
    assert gini(np.zeros(4)) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)  # (n - 1) / n
    # [1, 2, 3, 4]: sum of |xi - xj| over ordered pairs is 20, / (2 n^2 mean = 80) = 0.25.
    assert gini(np.array([4.0, 1.0, 3.0, 2.0])) == pytest.approx(0.25)


def test_gini_matches_mean_absolute_difference() -> None:
    x = np.random.default_rng(5).random(37)
    mad = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert gini(x) == pytest.approx(mad, rel=1e-12)
    assert gini(x * 10) == pytest.approx(gini(x), rel=1e-12)  # scale-free


def test_gini_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        gini(np.array([]))
    with pytest.raises(InvalidInput):
        gini(np.array([1.0, -1.0]))


def test_exposure_gini_of_one_item_for_everyone() -> None:
    table = _table([[2], [2], [2]], 1)
    assert exposure_gini(table, 4, position_weights(1)) == pytest.approx(0.75)
