"""Run a fairness audit: what the lists in `AuditData` did to groups of people and providers.

`run_audit(data, policy)` measures, with the metrics of `tactful.metrics` only:

* accuracy and quality by group: each list's top-k accuracy, averaged per person first (a
  person shown ten lists counts once, like a person shown one), then per group of each
  attribute the policy names (Ekstrand et al. 2018), with the gap between groups;
* exposure: position-weighted exposure per item and per provider group against the group's
  catalog share, the Gini coefficient of item exposure and the most exposed items;
* popularity bias: average popularity, long-tail share, intra-list diversity, novelty and
  miscalibration (each also averaged per person first) and catalog coverage;
* targeting: per segment and attribute, eligible, served and converted rates by group with
  the four-fifths rule;

then holds each figure against the policy's thresholds (`tactful.fairness.checks`). The
result is a frozen `AuditResult`; `as_dict()` is the JSON stored and rendered.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from tactful import metrics
from tactful.fairness.checks import (
    Check,
    SegmentReport,
    figure_checks,
    finite,
    provider_checks,
    quality_checks,
    targeting_checks,
)
from tactful.fairness.data import AuditData
from tactful.fairness.policy import AuditPolicy
from tactful.fairness.validate import Checked, validated
from tactful.metrics import GroupBreakdown

FloatArray = npt.NDArray[np.float64]
TOP_ITEMS = 20
LORENZ_POINTS = 101


@dataclass(frozen=True)
class AuditResult:
    audit_id: str
    source: str
    label: str
    window_start: datetime | None
    window_end: datetime | None
    started_at: datetime
    seconds: float
    policy: dict[str, Any]
    counts: dict[str, int]
    accuracy: dict[str, float | None]
    quality: dict[str, GroupBreakdown]
    exposure: dict[str, Any]
    popularity: dict[str, float | None]
    targeting: tuple[SegmentReport, ...]
    checks: tuple[Check, ...]

    @property
    def alert(self) -> bool:
        """True when any check crossed its threshold."""
        return any(check.crossed for check in self.checks)

    @property
    def crossed(self) -> list[dict[str, Any]]:
        """The crossed checks, as in `as_dict()`."""
        return [check.as_dict() for check in self.checks if check.crossed]

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready result (no NaN or infinity: a missing figure is None)."""
        return {
            "audit_id": self.audit_id,
            "source": self.source,
            "label": self.label,
            "window": {"start": _iso(self.window_start), "end": _iso(self.window_end)},
            "started_at": self.started_at.isoformat(),
            "seconds": self.seconds,
            "policy": self.policy,
            "counts": dict(self.counts),
            "accuracy": dict(self.accuracy),
            "quality": {name: breakdown.as_dict() for name, breakdown in self.quality.items()},
            "exposure": self.exposure,
            "popularity": dict(self.popularity),
            "targeting": [segment.as_dict() for segment in self.targeting],
            "checks": [check.as_dict() for check in self.checks],
            "alert": self.alert,
        }


def run_audit(
    data: AuditData,
    policy: AuditPolicy,
    *,
    audit_id: str | None = None,
    started_at: datetime | None = None,
) -> AuditResult:
    """Measure `data` under `policy`; `InvalidInput` naming the field if `data` is malformed."""
    clock = time.perf_counter()
    started = started_at if started_at is not None else datetime.now(UTC)
    checked = validated(data, policy.measure.k)
    measure = policy.measure

    per_list = metrics.per_user_ranking(checked.lists, checked.relevant, measure.k)
    per_person = {name: _per_person(values, checked) for name, values in per_list.items()}
    accuracy = {name: finite(v) for name, v in metrics.mean_ranking(per_person).items()}
    quality: dict[str, GroupBreakdown] = {
        attribute: metrics.by_group(
            per_person, data.attributes[attribute], attribute, min_users=measure.min_group_size
        )
        for attribute in measure.attributes
        if attribute in data.attributes
    }
    names, groups, exposure = _exposure(data, checked, policy)
    popularity = _popularity(data, checked, policy)
    segments = _targeting(data, policy)

    bounds = policy.thresholds.bounds()
    checks: list[Check] = []
    if "quality_ratio" in bounds:
        checks += quality_checks(quality, measure.k, *bounds["quality_ratio"])
    if "provider_exposure_ratio" in bounds:
        checks += provider_checks(
            names, groups, measure.min_provider_items, *bounds["provider_exposure_ratio"]
        )
    checks += figure_checks(bounds, exposure["gini"], popularity)
    if "adverse_impact_ratio" in bounds:
        checks += targeting_checks(segments, *bounds["adverse_impact_ratio"])

    counts = {
        "lists": checked.lists.shape[0],
        "people": len(data.people),
        "items": checked.n_items,
        "providers": len(names),
        "segments": len(data.segments),
    }
    counts.update({key: value for key, value in data.counts.items() if key not in counts})
    return AuditResult(
        audit_id=audit_id if audit_id is not None else str(uuid.uuid4()),
        source=data.source,
        label=data.label,
        window_start=data.window_start,
        window_end=data.window_end,
        started_at=started,
        seconds=time.perf_counter() - clock,
        policy={
            "measure": measure.model_dump(mode="json"),
            "thresholds": policy.thresholds.model_dump(mode="json"),
        },
        counts=counts,
        accuracy=accuracy,
        quality=quality,
        exposure=exposure,
        popularity=popularity,
        targeting=segments,
        checks=tuple(checks),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _per_person(per_list: FloatArray, checked: Checked) -> FloatArray:
    """Each person's mean over their lists' values (NaN: no list of theirs has a value)."""
    known = ~np.isnan(per_list)
    person = checked.list_person[known]
    sums = np.bincount(person, weights=per_list[known], minlength=checked.n_people)
    counts = np.bincount(person, minlength=checked.n_people).astype(np.float64)
    out = np.full(checked.n_people, np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def _person_mean(per_list: FloatArray, checked: Checked) -> float | None:
    """The mean over people of their per-person means; None when nobody has a value."""
    values = _per_person(per_list, checked)
    kept = values[~np.isnan(values)]
    return finite(float(kept.mean())) if kept.size else None


def _exposure(
    data: AuditData, checked: Checked, policy: AuditPolicy
) -> tuple[list[str], metrics.GroupExposure, dict[str, Any]]:
    measure = policy.measure
    weights = metrics.position_weights(measure.k, measure.position_weights, measure.patience)
    per_item = metrics.item_exposure(checked.lists, checked.n_items, weights)
    names = sorted(set(data.providers))
    number = {name: n for n, name in enumerate(names)}
    item_group = np.array([number[p] for p in data.providers], dtype=np.int64)
    groups = metrics.group_exposure(per_item, item_group, len(names))
    total = float(per_item.sum())
    order = np.argsort(-per_item, kind="stable")[:TOP_ITEMS]  # ties: lower column first
    top = [
        {
            "item_id": str(data.item_ids[i]),
            "exposure": float(per_item[i]),
            "share": float(per_item[i]) / total,
        }
        for i in order
        if per_item[i] > 0
    ]
    shown = checked.lists.shape[0] > 0
    summary = {
        "position_weights": measure.position_weights,
        "k": measure.k,
        # With no list shown there is no distribution of exposure to judge.
        "gini": finite(metrics.gini(per_item)) if shown else None,
        "providers": {"names": names, **groups.as_dict()},
        "top_items": top,
        "lorenz": _lorenz(per_item) if shown else None,
    }
    return names, groups, summary


def _lorenz(per_item: FloatArray, points: int = LORENZ_POINTS) -> dict[str, list[float]]:
    """The Lorenz curve of item exposure at `points` evenly spaced shares of the catalog:
    the share of exposure the least exposed `items` share of items get (Gini = 1 - 2 x the
    area under it), thinned so the stored result stays small for any catalog size."""
    ordered = np.sort(per_item)
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    total = cumulative[-1]
    items = np.linspace(0.0, 1.0, points)
    at = np.interp(items * ordered.size, np.arange(ordered.size + 1), cumulative)
    exposure = at / total if total > 0 else items
    return {
        "items": [round(float(v), 6) for v in items],
        "exposure": [round(float(v), 6) for v in exposure],
    }


def _popularity(data: AuditData, checked: Checked, policy: AuditPolicy) -> dict[str, float | None]:
    lists, popularity = checked.lists, checked.popularity
    tail = metrics.long_tail_mask(popularity, policy.measure.head_share)
    histories = checked.history[checked.list_person]  # each list against its person's history
    per_list = {
        "average_popularity": metrics.per_user_average_popularity(lists, popularity),
        "long_tail_share": metrics.per_user_long_tail_share(lists, tail),
        "intra_list_diversity": metrics.per_user_intra_list_diversity(lists, checked.categories),
        "novelty": metrics.per_user_novelty(lists, popularity, data.population),
        "miscalibration": metrics.per_user_miscalibration(lists, histories, checked.categories),
    }
    out = {name: _person_mean(values, checked) for name, values in per_list.items()}
    # Coverage of no lists at all is not 0 % of the catalog but not measured.
    out["coverage"] = (
        finite(metrics.catalog_coverage(lists, checked.n_items)) if lists.shape[0] else None
    )
    order = (
        "average_popularity",
        "long_tail_share",
        "coverage",
        "intra_list_diversity",
        "novelty",
        "miscalibration",
    )
    return {name: out[name] for name in order}


def _targeting(data: AuditData, policy: AuditPolicy) -> tuple[SegmentReport, ...]:
    # Reports flag groups at the policy's floor; without one, at the four-fifths rule's.
    threshold = policy.thresholds.adverse_impact_ratio or 0.8
    attributes: list[str] = [a for a in policy.measure.attributes if a in data.attributes]
    out = []
    for segment in data.segments:
        reports: dict[str, metrics.TargetingReport] = {}
        for attribute in attributes:
            labels = data.attributes[attribute]
            reports[attribute] = metrics.targeting(
                [labels[int(p)] for p in segment.person],
                segment.eligible,
                segment.served,
                segment.converted,
                attribute,
                observed=segment.observed,
                threshold=threshold,
                min_group_size=policy.measure.min_group_size,
            )
        out.append(SegmentReport(segment.kind, segment.name, reports))
    return tuple(out)
