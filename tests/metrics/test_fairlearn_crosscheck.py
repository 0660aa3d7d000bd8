"""`by_group` and `targeting` against fairlearn's `MetricFrame`, to 1e-9.

fairlearn knows nothing of ranked lists, but disaggregating per-user values by group is the
same computation: pass the per-user values as y_true and a metric that averages y_true, and
`MetricFrame.by_group` is the per-group mean, `difference("between_groups")` the largest
minus the smallest and `ratio("between_groups")` the smallest over the largest, which is
`Gap.difference` and `Gap.ratio`. Users with NaN (nothing relevant) or no label are dropped
first, as `by_group` drops them; with a `min_users` floor, only groups that reach it take
part in the gap, so only they are given to fairlearn for the between-groups figures.

Targeting's served rate is fairlearn's `selection_rate`; its worst adverse-impact ratio,
when every group is large enough to be the reference, is `demographic_parity_ratio`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fairlearn.metrics import MetricFrame, demographic_parity_ratio, selection_rate

from tactful import metrics
from tactful.fairness.data import AuditData
from tactful.fairness.offline import offline_audit_data
from tests.conftest import DATASETS, need_service

TOLERANCE = 1e-9


def _mean_of_truth(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(y_true))


def assert_by_group_matches_fairlearn(
    per_user: Mapping[str, npt.NDArray[np.float64]],
    labels: Sequence[str | None],
    min_users: int,
) -> int:
    """Compare every metric's group means and gap with fairlearn; return the gaps compared."""
    ours = metrics.by_group(per_user, labels, "attribute", min_users=min_users)
    labelled = np.array([label is not None for label in labels])
    names = np.array([label if label is not None else "" for label in labels], dtype=object)
    compared = 0
    for metric, values in per_user.items():
        keep = labelled & ~np.isnan(values)
        frame = MetricFrame(
            metrics=_mean_of_truth,
            y_true=values[keep],
            y_pred=values[keep],
            sensitive_features=list(names[keep]),
        )
        theirs = frame.by_group
        with_values = {n: s for n, s in ours.groups.items() if s.counts[metric] > 0}
        assert set(with_values) == set(theirs.index)
        for name, stats in with_values.items():
            assert stats.metrics[metric] == pytest.approx(theirs[name], abs=TOLERANCE)

        eligible = [n for n, s in with_values.items() if s.counts[metric] >= min_users]
        if len(eligible) < 2:
            assert metric not in ours.gaps
            continue
        big = keep & np.isin(names, eligible)
        frame = MetricFrame(
            metrics=_mean_of_truth,
            y_true=values[big],
            y_pred=values[big],
            sensitive_features=list(names[big]),
        )
        gap = ours.gaps[metric]
        assert gap.difference == pytest.approx(
            frame.difference(method="between_groups"), abs=TOLERANCE
        )
        assert gap.ratio == pytest.approx(frame.ratio(method="between_groups"), abs=TOLERANCE)
        compared += 1
    return compared


def assert_targeting_matches_fairlearn(
    labels: Sequence[str | None], eligible: Any, served: Any, converted: Any
) -> None:
    """Each rate per group is fairlearn's selection rate; the worst ratio its parity ratio."""
    report = metrics.targeting(labels, eligible, served, converted, "a", min_group_size=1)
    known = np.array([label is not None for label in labels])
    groups = [label for label in labels if label is not None]
    outcomes = {
        "eligible": (np.asarray(eligible)[known], known[known]),
        "served": (np.asarray(served)[known], known[known]),
        # converted is a rate among those served
        "converted": (
            (np.asarray(converted) & np.asarray(served))[known],
            np.asarray(served)[known],
        ),
    }
    for rate, (hits, among) in outcomes.items():
        selected = hits[among].astype(int)
        sensitive = [g for g, keep in zip(groups, among, strict=True) if keep]
        frame = MetricFrame(
            metrics=selection_rate,
            y_true=selected,
            y_pred=selected,
            sensitive_features=sensitive,
        )
        impact = report.impact[rate]
        for name, value in frame.by_group.items():
            assert impact.groups[str(name)].rate == pytest.approx(value, abs=TOLERANCE)
        worst = min(g.ratio for g in impact.groups.values() if g.ratio is not None)
        parity = demographic_parity_ratio(selected, selected, sensitive_features=sensitive)
        assert worst == pytest.approx(parity, abs=TOLERANCE)


# -- seeded synthetic users ------------------------------------------------------------------


def _synthetic(rng: np.random.Generator) -> tuple[dict[str, Any], list[str | None]]:
    n = 600
    labels: list[str | None] = list(
        rng.choice(["a", "b", "c", "d"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    )
    for i in rng.choice(n, size=25, replace=False):
        labels[int(i)] = None
    shift = {"a": 0.0, "b": 0.1, "c": -0.15, "d": 0.05, None: 0.0}
    base = np.array([0.4 + shift[label] for label in labels])
    per_user = {
        "ndcg": np.clip(base + rng.normal(0, 0.2, n), 0, 1),
        "recall": np.clip(base + rng.normal(0, 0.3, n), 0, 1),
        "hit_rate": (rng.random(n) < base + 0.3).astype(np.float64),
    }
    for values in per_user.values():
        values[rng.random(n) < 0.1] = np.nan  # users with nothing relevant
    return per_user, labels


def test_by_group_matches_fairlearn_on_seeded_users(rng: np.random.Generator) -> None:
    per_user, labels = _synthetic(rng)
    assert assert_by_group_matches_fairlearn(per_user, labels, min_users=1) == 3


def test_by_group_gap_with_a_floor_matches_fairlearn_on_the_groups_above_it(
    rng: np.random.Generator,
) -> None:
    per_user, labels = _synthetic(rng)
    # c (about 100 users with values, the worst served) and d (about 50) are below a
    # floor of 110, so the gap is between a and b only.
    everyone = metrics.by_group(per_user, labels, "x", min_users=1)
    assert everyone.gaps["ndcg"].worst_group == "c"
    assert everyone.groups["c"].counts["ndcg"] < 110 <= everyone.groups["b"].counts["ndcg"]
    assert assert_by_group_matches_fairlearn(per_user, labels, min_users=110) == 3
    gap = metrics.by_group(per_user, labels, "x", min_users=110).gaps["ndcg"]
    assert {gap.best_group, gap.worst_group} == {"a", "b"}


def test_targeting_matches_fairlearn_on_seeded_people(rng: np.random.Generator) -> None:
    n = 800
    labels: list[str | None] = list(rng.choice(["x", "y", "z"], size=n))
    labels[3] = None
    group_bias = np.array([{"x": 0.0, "y": -0.2, "z": 0.1, None: 0.0}[g] for g in labels])
    eligible = rng.random(n) < 0.9 + group_bias / 4
    served = eligible & (rng.random(n) < 0.6 + group_bias)
    converted = rng.random(n) < 0.3 + group_bias / 2
    assert_targeting_matches_fairlearn(labels, eligible, served, converted)


# -- ml-100k: EASE's top-10 through the evaluation harness -----------------------------------


@pytest.fixture(scope="module")
def ml100k() -> AuditData:
    if not (DATASETS / "ml-100k" / "u.data").is_file():
        need_service(f"MovieLens ml-100k not found in {DATASETS}")
    return offline_audit_data("msr-ml100k", datasets_dir=Path(DATASETS))


@pytest.mark.slow
@pytest.mark.parametrize("attribute", ["gender", "age_band", "occupation"])
def test_by_group_matches_fairlearn_on_ml100k(ml100k: AuditData, attribute: str) -> None:
    per_user = metrics.per_user_ranking(ml100k.lists, ml100k.relevant, 10)
    labels = list(ml100k.attributes[attribute])
    # The protocol's floor (20 users): occupation's smallest groups drop out of the gap.
    assert assert_by_group_matches_fairlearn(per_user, labels, min_users=20) == 6


@pytest.mark.slow
@pytest.mark.parametrize("genre", ["drama", "comedy", "children's"])
def test_targeting_matches_fairlearn_on_ml100k(ml100k: AuditData, genre: str) -> None:
    segment = next(s for s in ml100k.segments if s.name == genre)
    labels = list(ml100k.attributes["age_band"])
    assert_targeting_matches_fairlearn(
        [labels[int(p)] for p in segment.person],
        segment.eligible,
        segment.served,
        segment.converted,
    )
