"""The HTML report of one fairness audit: alert, checks, plots with their numbers, trend.

Input is the JSON-ready result (`AuditResult.as_dict()`, the contract stored in
`fairness_audits.result`) and, for the trend, earlier results of the same source and
label. The page is self-contained and printable (see `tactful.reports.page`): every plot
is an inline SVG with a text alternative and a table of the same numbers next to it,
because a table is what a reviewer quotes. Missing figures (null in the result) print as
"n/a"; a section the result lacks prints as empty rather than failing, so an old stored
result still renders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from tactful.errors import InvalidInput
from tactful.fairness.policy import BOUND_KINDS
from tactful.reports import plots
from tactful.reports.page import environment, is_number, number, percent

METRIC_LABELS = {
    "ndcg": "nDCG",
    "precision": "Precision",
    "recall": "Recall",
    "map": "MAP",
    "mrr": "MRR",
    "hit_rate": "Hit rate",
}
POPULARITY_LABELS = {
    "average_popularity": "Average recommendation popularity (interactions per item)",
    "long_tail_share": "Long-tail share of recommended items",
    "coverage": "Catalog coverage",
    "intra_list_diversity": "Intra-list diversity",
    "novelty": "Novelty (bits)",
    "miscalibration": "Miscalibration (KL divergence)",
}
CHECK_LABELS = {
    "quality_ratio": "Quality ratio between groups",
    "provider_exposure_ratio": "Provider exposure ratio",
    "exposure_gini": "Gini of item exposure",
    "coverage": "Catalog coverage",
    "long_tail_share": "Long-tail share",
    "miscalibration": "Miscalibration",
    "adverse_impact_ratio": "Adverse-impact ratio (four-fifths rule)",
}
BOUNDS = BOUND_KINDS
_META = ("audit_id", "source", "label", "started_at", "seconds")
_CHECK_KEYS = ("check", "scope", "value", "bound", "threshold", "crossed", "message")
# Flagged segment x attribute plots at most, those with the lowest adverse-impact ratio:
# each costs about a tenth of a second to draw, and the tables list every pair.
TARGETING_PLOTS = 6
TARGETING_UNFLAGGED = 2  # plots when nothing is flagged
_NA = Markup('<span class="na">n/a</span>')


def render_audit(result: Mapping[str, Any], history: Sequence[Mapping[str, Any]] = ()) -> str:
    """A self-contained HTML page for `result` (an `AuditResult.as_dict()`); `history` holds
    earlier results of the same source and label, newest first, for the trend."""
    if not isinstance(result, Mapping):
        raise InvalidInput("An audit report needs an audit result (a JSON object).")
    earlier = [run for run in history if isinstance(run, Mapping)]
    template = environment().get_template("audit_report.html")
    return template.render(**_view(result, earlier))


def _section(result: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = result.get(key)
    return value if isinstance(value, Mapping) else {}


def _crossed(value: object, threshold: object, bound: str | None) -> bool | None:
    """Whether `value` is past `threshold`; None when either is missing."""
    if not is_number(value) or not is_number(threshold) or bound is None:
        return None
    return value < threshold if bound == "min" else value > threshold


def _view(result: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    policy = _section(result, "policy")
    measure = _section(policy, "measure")
    thresholds = _section(policy, "thresholds")
    checks = [
        {key: c.get(key) for key in _CHECK_KEYS}
        for c in result.get("checks") or []
        if isinstance(c, Mapping)
    ]
    ordered = sorted(checks, key=lambda c: not c.get("crossed"))  # stable: crossed first
    return {
        "r": {key: result.get(key) for key in _META},
        "counts": dict(_section(result, "counts")),
        "window": _section(result, "window"),
        "alert": bool(result.get("alert")),
        "crossed": [c for c in ordered if c.get("crossed")],
        "checks": ordered,
        "check_labels": CHECK_LABELS,
        "accuracy": _accuracy(result, measure),
        "quality": _quality(result, measure, thresholds),
        "exposure": _exposure(result, measure, thresholds),
        "popularity": _popularity(result, thresholds),
        "targeting": _targeting(result),
        "trend": _trend(result, history, thresholds),
        "measure": dict(measure),
        "thresholds": [
            {
                "name": name,
                "label": CHECK_LABELS.get(name, name),
                "bound": BOUNDS.get(name),
                "value": value,
            }
            for name, value in thresholds.items()
        ],
    }


def _k(measure: Mapping[str, Any], result: Mapping[str, Any]) -> int:
    k = measure.get("k", _section(result, "exposure").get("k"))
    return int(k) if is_number(k) else 10


def _accuracy(result: Mapping[str, Any], measure: Mapping[str, Any]) -> list[dict[str, Any]]:
    k = _k(measure, result)
    suffix = {m: ("" if m == "mrr" else f"@{k}") for m in METRIC_LABELS}
    return [
        {"label": METRIC_LABELS.get(name, name) + suffix.get(name, ""), "value": value}
        for name, value in _section(result, "accuracy").items()
    ]


def _quality(
    result: Mapping[str, Any], measure: Mapping[str, Any], thresholds: Mapping[str, Any]
) -> list[dict[str, Any]]:
    k = _k(measure, result)
    min_size = int(measure.get("min_group_size", 1))
    threshold = thresholds.get("quality_ratio")
    limit = float(threshold) if is_number(threshold) else None
    out = []
    for attribute, breakdown in _section(result, "quality").items():
        if not isinstance(breakdown, Mapping):
            continue
        groups: Mapping[str, Any] = breakdown.get("groups") or {}
        first: Mapping[str, Any] = next(iter(groups.values()), {})
        metrics = list(first.get("metrics") or {})
        rows = [
            {
                "group": name,
                "users": stats.get("users"),
                "small": (stats.get("users") or 0) < min_size,
                "means": [stats.get("metrics", {}).get(m) for m in metrics],
            }
            for name, stats in groups.items()
        ]
        gaps = [
            {
                **gap,
                "label": METRIC_LABELS.get(metric, metric),
                "crossed": _crossed(gap.get("ratio"), limit, "min"),
            }
            for metric, gap in (breakdown.get("gaps") or {}).items()
        ]
        chart = plots.quality_chart(
            str(attribute), breakdown, k=k, min_size=min_size, threshold=limit
        )
        out.append(
            {
                "attribute": attribute,
                "chart": chart,
                "metrics": [METRIC_LABELS.get(m, m) for m in metrics],
                "rows": rows,
                "gaps": gaps,
                "min_size": min_size,
            }
        )
    return out


def _exposure(
    result: Mapping[str, Any], measure: Mapping[str, Any], thresholds: Mapping[str, Any]
) -> dict[str, Any]:
    exposure = _section(result, "exposure")
    providers = _section(exposure, "providers")
    names = list(providers.get("names") or [])
    floor = thresholds.get("provider_exposure_ratio")
    fewest = measure.get("min_provider_items", 1)
    min_items = int(fewest) if is_number(fewest) else 1
    limit = float(floor) if is_number(floor) else None

    def column(key: str) -> list[Any]:
        values = list(providers.get(key) or [])
        return values + [None] * (len(names) - len(values))

    rows = [
        {
            "name": name,
            "item_count": items,
            "exposure": value,
            "exposure_share": share,
            "catalog_share": catalog,
            "ratio": ratio,
            "crossed": _crossed(ratio, limit, "min"),
            "judged": not (is_number(items) and items < min_items),
        }
        for name, items, value, share, catalog, ratio in zip(
            names,
            column("items"),
            column("exposure"),
            column("exposure_share"),
            column("catalog_share"),
            column("ratio"),
            strict=True,
        )
    ]
    full = {"names": names, **{key: column(key) for key in _PROVIDER_KEYS}}
    top = [item for item in exposure.get("top_items") or [] if isinstance(item, Mapping)]
    gini = exposure.get("gini")
    gini_limit = thresholds.get("exposure_gini")
    n_items = _section(result, "counts").get("items")
    lorenz = exposure.get("lorenz")
    return {
        "k": exposure.get("k"),
        "weights": exposure.get("position_weights"),
        "gini": gini,
        "gini_threshold": gini_limit,
        "gini_crossed": _crossed(gini, gini_limit, "max"),
        "providers": rows,
        "provider_threshold": limit,
        "min_items": min_items,
        "provider_chart": plots.exposure_chart(full, threshold=limit, min_items=min_items),
        "top_items": top,
        "top_chart": plots.top_items_chart(
            top,
            gini=gini if is_number(gini) else None,
            threshold=float(gini_limit) if is_number(gini_limit) else None,
            n_items=int(n_items) if is_number(n_items) and n_items > 0 else None,
        ),
        "lorenz_chart": (
            plots.lorenz_chart(lorenz, gini=gini if is_number(gini) else None)
            if isinstance(lorenz, Mapping)
            else None
        ),
    }


_PROVIDER_KEYS = ("exposure", "exposure_share", "items", "catalog_share", "ratio")


def _popularity(result: Mapping[str, Any], thresholds: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, value in _section(result, "popularity").items():
        threshold = thresholds.get(name)
        bound = BOUNDS.get(name) if threshold is not None else None
        rows.append(
            {
                "label": POPULARITY_LABELS.get(name, name),
                "value": value,
                "bound": bound,
                "threshold": threshold,
                "crossed": _crossed(value, threshold, bound),
            }
        )
    return rows


def _targeting(result: Mapping[str, Any]) -> dict[str, Any]:
    segments = []
    flagged: list[tuple[str, str, Mapping[str, Any]]] = []
    others: list[tuple[str, str, Mapping[str, Any]]] = []
    for entry in result.get("targeting") or []:
        if not isinstance(entry, Mapping):
            continue
        kind, name = str(entry.get("kind", "")), str(entry.get("segment", ""))
        attributes = []
        for attribute, report in (entry.get("reports") or {}).items():
            if not isinstance(report, Mapping):
                continue
            impact: Mapping[str, Any] = report.get("impact") or {}
            rows = [
                _targeting_row(group, counts, impact)
                for group, counts in (report.get("groups") or {}).items()
            ]
            references = {
                rate: (impact.get(rate) or {}).get("reference_group") for rate in plots.RATE_TITLES
            }
            attributes.append(
                {"attribute": attribute, "report": report, "rows": rows, "references": references}
            )
            target = flagged if report.get("any_flagged") else others
            target.append((kind, name, report))
        segments.append({"kind": kind, "segment": name, "attributes": attributes})
    flagged.sort(key=lambda pair: _lowest_flagged_ratio(pair[2]))  # stable: ties in order
    chosen = flagged[:TARGETING_PLOTS] if flagged else others[:TARGETING_UNFLAGGED]
    charts = [c for c in (plots.targeting_chart(*args) for args in chosen) if c is not None]
    return {
        "segments": segments,
        "charts": charts,
        "flagged": len(flagged),
        "left_out": max(len(flagged) - TARGETING_PLOTS, 0),
    }


def _lowest_flagged_ratio(report: Mapping[str, Any]) -> float:
    """The lowest adverse-impact ratio of a flagged group in `report` (the worst
    exclusion it shows), for drawing the worst pairs first."""
    ratios = [
        float(entry["ratio"])
        for rate in (report.get("impact") or {}).values()
        if isinstance(rate, Mapping)
        for entry in (rate.get("groups") or {}).values()
        if isinstance(entry, Mapping) and entry.get("flagged") and is_number(entry.get("ratio"))
    ]
    return min(ratios, default=math.inf)


def _shown(text: str) -> str:
    """A formatted figure for a table cell, "n/a" marked as missing."""
    return _NA if text == "n/a" else text


def _targeting_row(group: str, counts: Any, impact: Mapping[str, Any]) -> dict[str, Any]:
    """One group's row of a targeting table, its cells formatted here: the tables hold a
    row per segment, attribute and group (a thousand in the demo), and formatting them
    through template macros took longer than drawing a chart."""
    counts = counts if isinstance(counts, Mapping) else {}
    cells = []
    for rate in plots.RATE_TITLES:
        entry = (impact.get(rate) or {}).get("groups", {}).get(group, {})
        cells.append(
            {
                "count": _shown(number(counts.get(rate))),
                "rate": _shown(percent(entry.get("rate"))),
                "ratio": _shown(number(entry.get("ratio"), 2)),
                "flagged": bool(entry.get("flagged")),
                "too_small": bool(entry.get("too_small")),
            }
        )
    return {"group": group, "n": _shown(number(counts.get("n"))), "cells": cells}


# --- trend ------------------------------------------------------------------------------


def _when(run: Mapping[str, Any]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(run.get("started_at")))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _worst_ratio(run: Mapping[str, Any]) -> float | None:
    ratios = [
        float(gap["ratio"])
        for breakdown in _section(run, "quality").values()
        if isinstance(breakdown, Mapping)
        for gap in (breakdown.get("gaps") or {}).values()
        if isinstance(gap, Mapping) and is_number(gap.get("ratio"))
    ]
    return min(ratios) if ratios else None


def _figure(run: Mapping[str, Any], section: str, key: str) -> float | None:
    value = _section(run, section).get(key)
    return float(value) if is_number(value) else None


def _trend(
    result: Mapping[str, Any], history: Sequence[Mapping[str, Any]], thresholds: Mapping[str, Any]
) -> dict[str, Any]:
    current = result.get("audit_id")
    earlier = [run for run in history if current is None or run.get("audit_id") != current]
    dated = [(when, run) for run in [*reversed(earlier), result] if (when := _when(run))]
    dated.sort(key=lambda pair: pair[0])  # stable: same instant keeps history order
    runs = [run for _, run in dated]
    rows = [
        {
            "when": run.get("started_at"),
            "audit_id": run.get("audit_id"),
            "ndcg": _figure(run, "accuracy", "ndcg"),
            "gini": _figure(run, "exposure", "gini"),
            "coverage": _figure(run, "popularity", "coverage"),
            "long_tail_share": _figure(run, "popularity", "long_tail_share"),
            "worst_ratio": _worst_ratio(run),
            "crossed": sum(
                1 for c in run.get("checks") or [] if isinstance(c, Mapping) and c.get("crossed")
            ),
            "current": run is result,
        }
        for run in runs
    ]

    def limit(name: str) -> float | None:
        value = thresholds.get(name)
        return float(value) if is_number(value) else None

    k = _k(_section(_section(result, "policy"), "measure"), result)
    series = [
        plots.Series(f"nDCG@{k}", "mean per person", [r["ndcg"] for r in rows]),
        plots.Series(
            "Gini of item exposure",
            "0 equal, 1 unequal",
            [r["gini"] for r in rows],
            limit("exposure_gini"),
            "max",
        ),
        plots.Series(
            "Catalog coverage",
            "share of catalog",
            [r["coverage"] for r in rows],
            limit("coverage"),
            "min",
        ),
        plots.Series(
            "Long-tail share",
            "share of items shown",
            [r["long_tail_share"] for r in rows],
            limit("long_tail_share"),
            "min",
        ),
        plots.Series(
            "Worst quality ratio",
            "worst ÷ best group",
            [r["worst_ratio"] for r in rows],
            limit("quality_ratio"),
            "min",
        ),
        plots.Series("Crossed checks", "number of checks", [r["crossed"] for r in rows]),
    ]
    chart = plots.trend_chart([when for when, _ in dated], series)
    return {"rows": rows, "chart": chart, "undated": len(earlier) + 1 - len(runs)}
