"""Accuracy by user group: per-group means of per-user metrics and the gap between groups.

This is the disaggregated evaluation of Mitchell et al., "Model Cards for Model Reporting"
(FAT* 2019), applied to recommendation as in Ekstrand et al., "All The Cool Kids, How Do
They Fit In?: Popularity and Demographic Biases in Recommender Evaluation and
Effectiveness" (FAT* 2018): group users by one attribute, average each per-user metric
within each group, and report the spread between the best- and worst-served groups.

Rules:

* A user whose label is None (or a float NaN) belongs to no group and is left out.
* For each metric, a user whose value is NaN (e.g. no relevant item) is left out of that
  metric only; `GroupStats.users` counts every labelled user of the group, and
  `GroupStats.counts` says how many of them each metric's mean is over.
* A group whose count for a metric is below `min_users` is still reported with its mean,
  but takes no part in that metric's gap: a mean over a handful of users says little.
* The gap compares the eligible group with the highest mean ("best") with the one with the
  lowest mean ("worst"); ties go to the group whose name sorts first. `best`/`worst` mean
  highest/lowest, which is the right reading for accuracy; for a metric where lower is
  better (popularity, miscalibration), read them the other way round. A metric with fewer
  than two eligible groups has no gap entry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tactful.errors import InvalidInput
from tactful.metrics._lists import check_per_user


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class GroupStats:
    """One group: how many labelled users it has and the mean of each metric over them."""

    users: int
    metrics: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)  # users with a value, per metric

    def as_dict(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "metrics": {name: _json_number(v) for name, v in self.metrics.items()},
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class Gap:
    """The spread of one metric between the groups with the highest and the lowest mean."""

    metric: str
    best_group: str
    worst_group: str
    best: float
    worst: float
    difference: float  # best - worst
    ratio: float  # worst / best; NaN when best is 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "best_group": self.best_group,
            "worst_group": self.worst_group,
            "best": _json_number(self.best),
            "worst": _json_number(self.worst),
            "difference": _json_number(self.difference),
            "ratio": _json_number(self.ratio),
        }


@dataclass(frozen=True)
class GroupBreakdown:
    """Per-group metric means for one user attribute, and the gap for each metric."""

    attribute: str
    groups: dict[str, GroupStats]
    gaps: dict[str, Gap]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; NaN and infinite numbers become None."""
        return {
            "attribute": self.attribute,
            "groups": {name: stats.as_dict() for name, stats in self.groups.items()},
            "gaps": {name: gap.as_dict() for name, gap in self.gaps.items()},
        }


def _is_missing(label: object) -> bool:
    if label is None:
        return True
    return isinstance(label, float | np.floating) and math.isnan(float(label))


def _gap(metric: str, means: Mapping[str, float]) -> Gap | None:
    """The gap among the given group means (already filtered to eligible groups)."""
    if len(means) < 2:
        return None
    names = sorted(means)
    best_group = max(names, key=lambda n: means[n])  # first maximum in name order
    worst_group = min(names, key=lambda n: means[n])
    best, worst = means[best_group], means[worst_group]
    ratio = worst / best if best != 0 else math.nan
    return Gap(metric, best_group, worst_group, best, worst, best - worst, ratio)


def by_group(
    per_user: Mapping[str, npt.NDArray[np.float64]],
    labels: Sequence[str | None] | npt.NDArray[Any],
    attribute: str,
    min_users: int = 1,
) -> GroupBreakdown:
    """Break per-user metrics down by a user attribute (one label per user, None = unknown).

    `per_user` maps metric names to arrays with one value per user (NaN = no value), as from
    `per_user_ranking`. Labels that are not strings are turned into strings. See the module
    docstring for the exclusion, `min_users` and gap rules.
    """
    if isinstance(min_users, bool) or not isinstance(min_users, int | np.integer) or min_users < 1:
        raise InvalidInput(f"min_users must be a positive integer, got {min_users!r}.")
    metrics = check_per_user(per_user)
    if isinstance(labels, str | bytes):
        raise InvalidInput("labels must be a sequence of labels, one per user, not a string.")
    if isinstance(labels, np.ndarray) and labels.ndim != 1:
        raise InvalidInput("labels must be 1-D, one label per user.")
    label_list: list[object] = list(labels)
    n_users = len(label_list)
    for name, values in metrics.items():
        if len(values) != n_users:
            raise InvalidInput(
                f"labels has {n_users} entries but metric {name!r} has {len(values)} users."
            )

    members: dict[str, list[int]] = {}
    for user, label in enumerate(label_list):
        if not _is_missing(label):
            members.setdefault(str(label), []).append(user)

    groups: dict[str, GroupStats] = {}
    for name in sorted(members):
        index = np.asarray(members[name], dtype=np.int64)
        means: dict[str, float] = {}
        counts: dict[str, int] = {}
        for metric, values in metrics.items():
            kept = values[index]
            kept = kept[~np.isnan(kept)]
            counts[metric] = int(kept.size)
            means[metric] = float(kept.mean()) if kept.size else math.nan
        groups[name] = GroupStats(users=int(index.size), metrics=means, counts=counts)

    gaps: dict[str, Gap] = {}
    for metric in metrics:
        eligible = {
            name: stats.metrics[metric]
            for name, stats in groups.items()
            if stats.counts[metric] >= min_users and not math.isnan(stats.metrics[metric])
        }
        gap = _gap(metric, eligible)
        if gap is not None:
            gaps[metric] = gap
    return GroupBreakdown(attribute=attribute, groups=groups, gaps=gaps)
