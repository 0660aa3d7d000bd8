"""An audit's figures against the policy's thresholds: one `Check` per figure and scope.

Every check carries its value, the bound it was held to and one sentence a reader of the
report can act on. A figure that could not be measured (None: no lists, no exposure, a
best group scoring 0) is reported but never counted as crossed: an alert must point at
something that was measured.

The adverse-impact checks take their verdict from `tactful.metrics.targeting`, which
compares in exact rational arithmetic (20/30 against 25/30 is exactly 0.8 and passes), so
a check and the report's flags never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tactful.metrics import GroupBreakdown, GroupExposure, TargetingReport

Bound = Literal["min", "max"]

METRIC_LABELS = {
    "ndcg": "nDCG",
    "precision": "precision",
    "recall": "recall",
    "map": "MAP",
    "mrr": "MRR",
    "hit_rate": "hit rate",
}
_RATE_VERBS = {
    "eligible": "was made eligible at",
    "served": "was served at",
    "converted": "converted, once served (where engagement is seen), at",
}


@dataclass(frozen=True)
class Check:
    check: str  # the threshold's name in the policy
    scope: str  # what was measured, e.g. "gender: ndcg" or "provider: 1990s"
    value: float | None
    bound: Bound
    threshold: float
    crossed: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "scope": self.scope,
            "value": self.value,
            "bound": self.bound,
            "threshold": self.threshold,
            "crossed": self.crossed,
            "message": self.message,
        }


@dataclass(frozen=True)
class SegmentReport:
    """The targeting reports of one segment, one per attribute of people."""

    kind: str
    segment: str
    reports: Mapping[str, TargetingReport]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "segment": self.segment,
            "reports": {name: report.as_dict() for name, report in self.reports.items()},
        }


def finite(value: float | None) -> float | None:
    """The value, or None when it is missing, NaN or infinite."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def is_crossed(value: float | None, bound: Bound, threshold: float) -> bool:
    if value is None:
        return False
    return value < threshold if bound == "min" else value > threshold


def shown(value: float, threshold: float, fmt: str) -> str:
    """`value` in format `fmt` (".2f", ".1%"), with more decimals when it would otherwise
    read the same as a different threshold (0.9514 against 0.95 shows as 0.951)."""
    kind, digits = fmt[-1], int(fmt.strip(".%f"))
    text = format(value, f".{digits}{kind}")
    while value != threshold and text == format(threshold, f".{digits}{kind}") and digits < 6:
        digits += 1
        text = format(value, f".{digits}{kind}")
    return text


def _threshold(threshold: float, fmt: str) -> str:
    """The threshold in format `fmt`, with the decimals it needs to be read exactly."""
    kind, digits = fmt[-1], int(fmt.strip(".%f"))
    scale = 100.0 if kind == "%" else 1.0
    text = format(threshold, f".{digits}{kind}")
    while digits < 6 and float(text.rstrip("%")) != round(threshold * scale, 6):
        digits += 1
        text = format(threshold, f".{digits}{kind}")
    return text


def _limit(bound: Bound, threshold: str, crossed: bool) -> str:
    word = "floor" if bound == "min" else "ceiling"
    if crossed:
        return f"{'below' if bound == 'min' else 'above'} the {word} of {threshold}"
    return f"the {word} is {threshold}"


def _check(
    name: str,
    scope: str,
    value: float | None,
    bound: Bound,
    threshold: float,
    said: str,
    fmt: str,
    crossed: bool | None = None,
) -> Check:
    """A check whose message is `said` then the threshold (in format `fmt`); `crossed`
    overrides the float comparison when the caller has an exact verdict."""
    value = finite(value)
    if crossed is None:
        crossed = is_crossed(value, bound, threshold)
    message = f"{said}; {_limit(bound, _threshold(threshold, fmt), crossed)}."
    return Check(name, scope, value, bound, threshold, crossed, message)


def quality_checks(
    quality: Mapping[str, GroupBreakdown], k: int, bound: Bound, threshold: float
) -> list[Check]:
    """Per attribute and accuracy metric with a gap: the worst group's share of the best's."""
    out = []
    for attribute, breakdown in quality.items():
        for metric, gap in breakdown.gaps.items():
            label = f"{METRIC_LABELS.get(metric, metric)}@{k}"
            ratio = finite(gap.ratio)
            if ratio is None:
                said = f"By {attribute}, no group got any {label}, so no ratio is defined"
            else:
                said = (
                    f"By {attribute}, {gap.worst_group} got {shown(ratio, threshold, '.2f')} "
                    f"of {gap.best_group}'s {label}"
                )
            out.append(
                _check(
                    "quality_ratio", f"{attribute}: {metric}", ratio, bound, threshold, said, ".2f"
                )
            )
    return out


def provider_checks(
    names: Sequence[str], groups: GroupExposure, min_items: int, bound: Bound, threshold: float
) -> list[Check]:
    """Per provider group with at least `min_items` catalog items: exposure / catalog share."""
    out = []
    for index, name in enumerate(names):
        if groups.items[index] < max(min_items, 1):
            continue
        ratio = finite(groups.ratio[index])
        share = finite(groups.exposure_share[index])
        catalog = groups.catalog_share[index]
        if ratio is None or share is None:
            said = f"No list showed any item, so provider {name} has no exposure ratio"
        else:
            said = (
                f"Provider {name} got {share:.1%} of the exposure for {catalog:.1%} of the "
                f"catalog, a ratio of {shown(ratio, threshold, '.2f')}"
            )
        out.append(
            _check(
                "provider_exposure_ratio", f"provider: {name}", ratio, bound, threshold, said, ".2f"
            )
        )
    return out


def figure_checks(
    bounds: Mapping[str, tuple[Bound, float]], gini: float | None, popularity: Mapping[str, Any]
) -> list[Check]:
    """The catalog-wide figures: Gini of exposure, coverage, long-tail share, calibration."""
    figures: dict[str, tuple[str, float | None, str, str]] = {
        "exposure_gini": ("catalog", gini, "The Gini coefficient of item exposure is {}", ".2f"),
        "coverage": (
            "catalog",
            popularity.get("coverage"),
            "{} of the catalog was recommended at least once",
            ".1%",
        ),
        "long_tail_share": (
            "lists",
            popularity.get("long_tail_share"),
            "{} of the recommended items are from the long tail",
            ".1%",
        ),
        "miscalibration": (
            "lists",
            popularity.get("miscalibration"),
            "The lists' mean miscalibration against their people's histories is {}",
            ".2f",
        ),
    }
    out = []
    for name, (scope, value, sentence, fmt) in figures.items():
        if name not in bounds:
            continue
        bound, threshold = bounds[name]
        number = finite(value)
        if number is None:
            said = f"{name.replace('_', ' ').capitalize()} could not be measured (no usable list)"
        else:
            said = sentence.format(shown(number, threshold, fmt))
        out.append(_check(name, scope, number, bound, threshold, said, fmt))
    return out


def targeting_checks(
    segments: Sequence[SegmentReport], bound: Bound, threshold: float
) -> list[Check]:
    """Per segment, attribute and rate: the lowest ratio among groups large enough to judge.

    One check per rate rather than per group keeps a run over many segments readable (a
    genre-by-occupation audit has hundreds of groups); its message names every group below
    the floor, and the per-group ratios stay in the targeting reports.
    """
    out = []
    for segment in segments:
        where = f"{segment.kind} {segment.segment}"
        for attribute, report in segment.reports.items():
            for rate, impact in report.impact.items():
                judged = {
                    group: standing.ratio
                    for group, standing in sorted(impact.groups.items())
                    if not standing.too_small and standing.ratio is not None
                }
                if not judged:
                    continue
                worst = min(judged, key=lambda group: judged[group])
                ratio = shown(judged[worst], threshold, ".2f")
                said = (
                    f"In {where}, {attribute} {worst} {_RATE_VERBS.get(rate, rate)} "
                    f"{ratio} of the rate of {impact.reference_group}"
                )
                others = [g for g in impact.flagged if g != worst and g in judged]
                if others:
                    listed = ", ".join(f"{g} {judged[g]:.2f}" for g in others)
                    said += f" (also below the floor: {listed})"
                # The report was made with this threshold (unless it is 0, which no ratio
                # can fall below), so its exact verdict is the check's.
                out.append(
                    _check(
                        "adverse_impact_ratio",
                        f"{where} / {attribute} / {rate}",
                        judged[worst],
                        bound,
                        threshold,
                        said,
                        ".2f",
                        crossed=bool(impact.flagged) and threshold > 0,
                    )
                )
    return out
