"""Per-group means and gaps, worked out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tactful.errors import InvalidInput
from tactful.metrics import Gap, GroupBreakdown, GroupStats, by_group

NAN = math.nan


def test_means_and_gap_by_hand() -> None:
    per_user = {
        "ndcg": np.array([1.0, 0.5, 0.0, 0.25, NAN, 0.75]),
        "precision": np.array([0.2, 0.4, 0.0, 0.0, 0.1, 0.9]),
    }
    labels = ["a", "a", "b", "b", "a", None]
    result = by_group(per_user, labels, "age_band")
    # Group a = users 0, 1, 4; group b = users 2, 3; user 5 has no label and is left out.
    # ndcg:      a = (1.0 + 0.5) / 2 = 0.75 (user 4 has no value); b = (0 + 0.25) / 2 = 0.125
    # precision: a = (0.2 + 0.4 + 0.1) / 3 = 0.2333333;           b = (0 + 0) / 2 = 0
    assert result.attribute == "age_band"
    assert list(result.groups) == ["a", "b"]
    a, b = result.groups["a"], result.groups["b"]
    assert (a.users, b.users) == (3, 2)
    assert a.counts == {"ndcg": 2, "precision": 3}
    assert a.metrics["ndcg"] == pytest.approx(0.75)
    assert b.metrics["ndcg"] == pytest.approx(0.125)
    assert a.metrics["precision"] == pytest.approx(0.7 / 3)
    assert b.metrics["precision"] == 0.0
    # ndcg gap: best a 0.75, worst b 0.125, difference 0.625, ratio 0.125 / 0.75 = 1/6
    gap = result.gaps["ndcg"]
    assert isinstance(gap, Gap)
    assert (gap.metric, gap.best_group, gap.worst_group) == ("ndcg", "a", "b")
    assert (gap.best, gap.worst, gap.difference) == (0.75, 0.125, 0.625)
    assert gap.ratio == pytest.approx(1 / 6)
    # precision gap: ratio 0 / 0.2333 = 0
    gap = result.gaps["precision"]
    assert (gap.best_group, gap.worst_group, gap.ratio) == ("a", "b", 0.0)
    assert gap.difference == pytest.approx(0.7 / 3)


def test_ratio_is_nan_when_the_best_mean_is_zero() -> None:
    result = by_group({"recall": np.zeros(4)}, ["x", "y", "x", "y"], "region")
    gap = result.gaps["recall"]
    assert gap.difference == 0.0
    assert math.isnan(gap.ratio)
    # Ties go to the group whose name sorts first, for both ends.
    assert (gap.best_group, gap.worst_group) == ("x", "x")


def test_small_groups_are_reported_but_not_in_the_gap() -> None:
    # a: 3 users, mean 0.5; b: 2 users, mean 0.1; c: 1 user, mean 1.0.
    per_user = {"ndcg": np.array([0.4, 0.5, 0.6, 0.0, 0.2, 1.0])}
    labels = ["a", "a", "a", "b", "b", "c"]
    everyone = by_group(per_user, labels, "segment")
    assert (everyone.gaps["ndcg"].best_group, everyone.gaps["ndcg"].worst_group) == ("c", "b")
    result = by_group(per_user, labels, "segment", min_users=2)
    assert result.groups["c"] == GroupStats(1, {"ndcg": 1.0}, {"ndcg": 1})
    gap = result.gaps["ndcg"]
    assert (gap.best_group, gap.worst_group) == ("a", "b")
    assert gap.best == pytest.approx(0.5)
    assert gap.worst == pytest.approx(0.1)
    # min_users counts users with a value: a has 3 users but only 1 with a recall value.
    per_user["recall"] = np.array([NAN, NAN, 0.9, 0.3, 0.1, 0.5])
    result = by_group(per_user, labels, "segment", min_users=2)
    assert result.groups["a"].counts["recall"] == 1
    # only b is eligible for recall: no gap with fewer than two groups
    assert "recall" not in result.gaps
    assert "ndcg" in result.gaps


def test_labels_from_numpy_with_missing_values() -> None:
    per_user = {"hit_rate": np.array([1.0, 0.0, 1.0, 1.0])}
    labels = np.array([1, 2, np.nan, 2], dtype=object)
    result = by_group(per_user, labels, "cohort")
    assert list(result.groups) == ["1", "2"]
    assert result.groups["2"].metrics["hit_rate"] == 0.5
    floats = by_group(per_user, np.array([0.0, np.nan, 1.0, 1.0]), "cohort")
    assert list(floats.groups) == ["0.0", "1.0"]


def test_as_dict_is_json_ready() -> None:
    per_user = {"ndcg": np.array([NAN, 0.5, 0.0]), "mrr": np.array([0.0, 0.0, 0.0])}
    result = by_group(per_user, ["a", "b", "b"], "gender")
    data = result.as_dict()
    text = json.dumps(data, allow_nan=False)  # no NaN may reach the JSON
    assert json.loads(text) == data
    assert data["groups"]["a"] == {
        "users": 1,
        "metrics": {"ndcg": None, "mrr": 0.0},
        "counts": {"ndcg": 0, "mrr": 1},
    }
    assert data["gaps"]["mrr"]["ratio"] is None
    assert "ndcg" not in data["gaps"]  # only b has an ndcg value
    assert isinstance(result, GroupBreakdown)


def test_bad_input_is_rejected() -> None:
    per_user = {"ndcg": np.array([0.1, 0.2, 0.3])}
    with pytest.raises(InvalidInput):
        by_group(per_user, ["a", "b"], "x")  # two labels for three users
    with pytest.raises(InvalidInput):
        by_group(per_user, ["a", "b", "c", "d"], "x")
    with pytest.raises(InvalidInput):
        by_group(per_user, "abc", "x")  # a string is not a list of labels
    with pytest.raises(InvalidInput):
        by_group(per_user, np.array([["a", "b", "c"]]), "x")  # 2-D
    with pytest.raises(InvalidInput):
        by_group(per_user, ["a", "b", "c"], "x", min_users=0)
    with pytest.raises(InvalidInput):
        by_group({"ndcg": np.zeros(3), "mrr": np.zeros(2)}, ["a", "b", "c"], "x")
    with pytest.raises(InvalidInput):
        by_group({"ndcg": np.zeros((3, 1))}, ["a", "b", "c"], "x")


def test_no_metrics_still_counts_users() -> None:
    result = by_group({}, ["a", None, "a"], "x")
    assert result.groups == {"a": GroupStats(2, {}, {})}
    assert result.gaps == {}
