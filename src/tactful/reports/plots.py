"""The plots of the fairness audit report, drawn from the JSON-ready audit result.

Each `*_chart` function takes sections of an `AuditResult.as_dict()` and returns a `Chart`:
the inline SVG (with a text alternative listing the plotted numbers) and a caption. Each
`draw_*` function builds the matplotlib `Figure` alone, so a figure can also be saved as
PNG to look at. Conventions, for a printed page read by someone who may not see colours
apart: Okabe-Ito colours, thresholds as dashed dark lines named in the legend, groups too
small to judge in hatched grey and said so in their label, values written on the bars when
there are few, units on every axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from markupsafe import Markup
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.typing import LineStyleType

from tactful.reports.page import (
    FIGURE_WIDTH,
    MUTED,
    OKABE_ITO,
    THRESHOLD,
    is_number,
    plain,
    plotting,
    svg,
)

MAX_BARS = 30  # rows a bar chart shows before keeping only the worst
ANNOTATE = 10  # rows up to which values are written on the bars
QUALITY_PLOTTED = (
    ("ndcg", "nDCG", OKABE_ITO["blue"]),
    ("hit_rate", "Hit rate", OKABE_ITO["orange"]),
)
RATE_TITLES = {
    "eligible": "Eligible\n(% of group)",
    "served": "Served\n(% of group)",
    "converted": "Converted\n(% of served)",
}
TIMES = "\N{MULTIPLICATION SIGN}"
_HATCH = "///"
_SMALL_EDGE = "#6B6B6B"
_CLEAR: dict[str, Any] = {"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.85}


@dataclass(frozen=True)
class Chart:
    svg: Markup
    caption: str


def _chart(draw: Callable[[], Figure], caption: str, alt: str) -> Chart:
    with plotting():
        return Chart(svg(draw(), f"{caption} {alt}"), caption)


def _value(value: object) -> float:
    return float(value) if is_number(value) else math.nan


def _short(text: object, limit: int = 28) -> str:
    label = str(text)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _listing(pairs: Sequence[tuple[str, str]], limit: int = 12) -> str:
    shown = ", ".join(f"{name} {value}" for name, value in pairs[:limit])
    more = len(pairs) - limit
    return shown + (f", and {more} more (see the table)" if more > 0 else "")


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def _height(rows: int, per_row: float, extra: float) -> float:
    return float(min(max(extra + rows * per_row, 2.6), 9.5))


def _annotate(ax: Axes, y: float, value: float, text: str, offset: float) -> None:
    if not math.isnan(value):
        ax.text(value + offset, y, text, va="center", ha="left", fontsize=9, bbox=_CLEAR, zorder=4)


def _title(fig: Figure, text: str) -> None:
    """The figure's title, left-aligned over the whole width (an axes title would start
    after the group labels and run off the right edge)."""
    fig.suptitle(text, x=0.01, ha="left", fontweight="bold", fontsize=11)


def _threshold_line(label: str) -> Line2D:
    return Line2D([], [], color=THRESHOLD, linestyle="--", linewidth=1.4, label=label)


def _small_patch(label: str) -> Patch:
    return Patch(facecolor=MUTED, edgecolor=_SMALL_EDGE, hatch=_HATCH, label=label)


# --- quality by group -------------------------------------------------------------------


def draw_quality(
    attribute: str, breakdown: Mapping[str, Any], *, k: int, min_size: int, threshold: float | None
) -> Figure:
    """nDCG and hit rate per group of one attribute, as paired horizontal bars, with each
    metric's floor (threshold x best group) dashed."""
    groups: Mapping[str, Any] = breakdown.get("groups", {})
    gaps: Mapping[str, Any] = breakdown.get("gaps", {})
    names = list(groups)
    n = len(names)
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.5, 1.9)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n, dtype=np.float64)
    bars: list[Any] = []
    floors: list[Any] = []
    top = 0.0
    for j, (metric, label, colour) in enumerate(QUALITY_PLOTTED):
        values = np.array([_value(groups[g]["metrics"].get(metric)) for g in names])
        counts = [int(groups[g].get("counts", {}).get(metric, groups[g]["users"])) for g in names]
        small = np.array([c < min_size for c in counts], dtype=bool)
        pos = y - 0.2 + 0.4 * j
        shown = np.nan_to_num(values)
        ax.barh(pos[~small], shown[~small], height=0.38, color=colour, label=f"{label}@{k}")
        ax.barh(
            pos[small],
            shown[small],
            height=0.38,
            color=MUTED,
            edgecolor=_SMALL_EDGE,
            hatch=_HATCH,
        )
        bars.append(Patch(color=colour, label=f"{label}@{k}"))
        if n <= ANNOTATE:
            for p, v in zip(pos, values, strict=True):
                _annotate(ax, float(p), float(v), _fmt(float(v)), 0.005)
                if math.isnan(v):
                    ax.text(0.005, p, "n/a", va="center", fontsize=9)
        top = max(top, float(np.nanmax(values, initial=0.0)))
        gap = gaps.get(metric)
        if threshold is not None and gap and is_number(gap.get("best")):
            floor = threshold * float(gap["best"])
            line_style: LineStyleType = "--" if j == 0 else ":"
            ax.axvline(floor, color=colour, linestyle=line_style, linewidth=1.8, zorder=3)
            floors.append(
                Line2D(
                    [],
                    [],
                    color=colour,
                    linestyle=line_style,
                    linewidth=1.8,
                    label=f"{label} floor: {threshold:g} {TIMES} best = {floor:.3f}",
                )
            )
    if any(int(groups[g]["users"]) < min_size for g in names):
        bars.append(_small_patch(f"Too small to judge (< {min_size} people)"))
    labels = []
    for g in names:
        users = int(groups[g]["users"])
        note = ", too small" if users < min_size else ""
        labels.append(f"{plain(_short(g))} (n={users:,}{note})")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(top * 1.18, 0.05))
    ax.set_xlabel("Mean per person (scale 0 to 1)")
    ax.grid(axis="y", visible=False)
    ratios = [
        f"{label} {_fmt(_value(gaps[m].get('ratio')), 2)}"
        for m, label, _ in QUALITY_PLOTTED
        if m in gaps
    ]
    floor_text = f" (floor {threshold:g})" if threshold is not None else ""
    subtitle = (
        f"worst/best group ratio{floor_text}: " + ", ".join(ratios).replace("Hit", "hit")
        if ratios
        else "no ratio: fewer than two groups large enough to judge"
    )
    _title(fig, f"Quality by {plain(attribute)}\n{subtitle}")
    # Column-major legend: the bars in the first column, their floors in the second.
    fig.legend(handles=bars + floors, loc="outside lower center", ncols=2, frameon=False)
    return fig


def quality_chart(
    attribute: str, breakdown: Mapping[str, Any], *, k: int, min_size: int, threshold: float | None
) -> Chart | None:
    groups: Mapping[str, Any] = breakdown.get("groups", {})
    if not groups:
        return None
    caption = (
        f"nDCG@{k} and hit rate@{k} per {attribute} group (mean per person). Groups with "
        f"fewer than {min_size} people are hatched grey and take no part in the ratio."
    )
    pairs = [
        (
            str(name),
            "nDCG "
            + _fmt(_value(g["metrics"].get("ndcg")))
            + ", hit rate "
            + _fmt(_value(g["metrics"].get("hit_rate"))),
        )
        for name, g in groups.items()
    ]
    return _chart(
        lambda: draw_quality(attribute, breakdown, k=k, min_size=min_size, threshold=threshold),
        caption,
        "Values: " + _listing(pairs, limit=8) + ".",
    )


# --- provider exposure ------------------------------------------------------------------


def _provider_rows(providers: Mapping[str, Any]) -> tuple[list[int], bool]:
    """Indices of the providers to plot (all, or the MAX_BARS lowest ratios) and whether
    some were left out."""
    names = list(providers.get("names", []))
    order = list(range(len(names)))
    if len(order) <= MAX_BARS:
        return order, False
    ratio = [_value(r) for r in providers.get("ratio", [])]
    order.sort(key=lambda i: (math.isnan(ratio[i]), ratio[i]))
    return order[:MAX_BARS], True


def draw_exposure(
    providers: Mapping[str, Any], *, threshold: float | None, min_items: int = 1
) -> Figure:
    """Per provider group: exposure share against catalog share (left) and their ratio with
    the floor dashed (right). Groups with fewer than `min_items` catalog items are not
    judged: their ratio is hatched grey."""
    rows, _ = _provider_rows(providers)
    names = [providers["names"][i] for i in rows]
    exposure = np.array([_value(providers["exposure_share"][i]) for i in rows]) * 100
    catalog = np.array([_value(providers["catalog_share"][i]) for i in rows]) * 100
    ratio = np.array([_value(providers["ratio"][i]) for i in rows])
    items = [providers["items"][i] for i in rows]
    few = np.array([is_number(c) and c < min_items for c in items], dtype=bool)
    n = len(rows)
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.45, 2.0)), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    y = np.arange(n, dtype=np.float64)
    left.barh(y - 0.2, np.nan_to_num(exposure), 0.38, color=OKABE_ITO["blue"])
    left.barh(y + 0.2, np.nan_to_num(catalog), 0.38, color=OKABE_ITO["orange"])
    under = np.array([threshold is not None and r < threshold for r in ratio], dtype=bool)
    under &= ~few
    colours = [OKABE_ITO["vermillion"] if u else OKABE_ITO["green"] for u in under]
    right.barh(y[~few], np.nan_to_num(ratio[~few]), 0.6, color=np.array(colours)[~few])
    right.barh(
        y[few], np.nan_to_num(ratio[few]), 0.6, color=MUTED, edgecolor=_SMALL_EDGE, hatch=_HATCH
    )
    if n <= ANNOTATE:
        for i in range(n):
            _annotate(left, y[i] - 0.2, exposure[i], f"{exposure[i]:.1f}%", 0.5)
            _annotate(left, y[i] + 0.2, catalog[i], f"{catalog[i]:.1f}%", 0.5)
            _annotate(right, y[i], ratio[i], _fmt(ratio[i], 2), 0.02)
            if math.isnan(ratio[i]):
                right.text(0.02, y[i], "n/a", va="center", fontsize=9)
    handles: list[Any] = [
        Patch(color=OKABE_ITO["blue"], label="Share of exposure"),
        Patch(color=OKABE_ITO["orange"], label="Share of catalog"),
        Patch(color=OKABE_ITO["green"], label="Ratio at or above the floor"),
    ]
    if under.any():
        handles.append(Patch(color=OKABE_ITO["vermillion"], label="Ratio under the floor"))
    if few.any():
        handles.append(_small_patch(f"Not judged: < {min_items} items"))
    if threshold is not None:
        right.axvline(threshold, color=THRESHOLD, linestyle="--", linewidth=1.4, zorder=3)
        handles.append(_threshold_line(f"Floor: ratio {threshold:g}"))
    right.axvline(1.0, color=THRESHOLD, linestyle=":", linewidth=1.2, zorder=3)
    handles.append(
        Line2D([], [], color=THRESHOLD, linestyle=":", linewidth=1.2, label="Parity: ratio 1")
    )
    labels = [
        plain(_short(name))
        + (" (no items)" if not math.isfinite(r) else " (too few items)" if small else "")
        for name, r, small in zip(names, ratio, few, strict=True)
    ]
    left.set_yticks(y, labels)
    left.invert_yaxis()
    top = float(np.nanmax(np.concatenate([exposure, catalog, [1.0]])))
    left.set_xlim(0, top * 1.22)
    right.set_xlim(0, max(float(np.nanmax(np.append(ratio, 1.0))) * 1.22, 1.2))
    left.set_xlabel("Share (%)")
    right.set_xlabel("Exposure ÷ catalog share")
    left.set_title("Exposure and catalog share", loc="left")
    right.set_title("Ratio", loc="left")
    for ax in (left, right):
        ax.grid(axis="y", visible=False)
    right.tick_params(axis="y", length=0)  # a tick beside "0.00" would read as a minus sign
    _title(fig, "Exposure by provider group")
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    return fig


def exposure_chart(
    providers: Mapping[str, Any], *, threshold: float | None, min_items: int = 1
) -> Chart | None:
    if not providers.get("names"):
        return None
    rows, cut = _provider_rows(providers)
    caption = (
        "Each provider group's share of the position-weighted exposure against its share of "
        "the catalog, and their ratio (1 = seen in proportion to its size)."
    )
    if min_items > 1:
        caption += f" Groups with fewer than {min_items} items are shown but not judged."
    if cut:
        caption += (
            f" Only the {len(rows)} groups with the lowest ratio are drawn; all are in the table."
        )
    pairs = [
        (
            str(providers["names"][i]),
            f"exposure {_fmt(_value(providers['exposure_share'][i]) * 100, 1)}%, catalog "
            f"{_fmt(_value(providers['catalog_share'][i]) * 100, 1)}%, ratio "
            f"{_fmt(_value(providers['ratio'][i]), 2)}",
        )
        for i in rows
    ]
    return _chart(
        lambda: draw_exposure(providers, threshold=threshold, min_items=min_items),
        caption,
        "Values: " + _listing(pairs, limit=8) + ".",
    )


# --- item exposure ----------------------------------------------------------------------


def draw_top_items(
    top_items: Sequence[Mapping[str, Any]],
    *,
    gini: float | None,
    threshold: float | None,
    n_items: int | None,
) -> Figure:
    """The most exposed items' shares of all exposure, the Gini in the title and the share
    every item would get under perfect equality dashed."""
    n = len(top_items)
    shares = np.array([_value(item.get("share")) for item in top_items]) * 100
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.3, 1.9)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n, dtype=np.float64)
    ax.barh(y, np.nan_to_num(shares), 0.7, color=OKABE_ITO["blue"])
    for i in range(n):
        _annotate(ax, y[i], shares[i], f"{shares[i]:.2f}%", float(np.nanmax(shares)) * 0.01)
    handles: list[Any] = [Patch(color=OKABE_ITO["blue"], label="Share of all exposure")]
    if n_items:
        equal = 100.0 / n_items
        ax.axvline(equal, color=THRESHOLD, linestyle="--", linewidth=1.4, zorder=3)
        handles.append(_threshold_line(f"Equal share: 1/{n_items:,} = {equal:.3g}%"))
    ax.set_yticks(y, [plain(_short(item.get("item_id"), 32)) for item in top_items])
    ax.invert_yaxis()
    ax.set_xlim(0, float(np.nanmax(np.append(shares, 0.01))) * 1.2)
    ax.set_xlabel("Share of all position-weighted exposure (%)")
    ax.grid(axis="y", visible=False)
    limit = f" (alert above {threshold:g})" if threshold is not None else ""
    _title(fig, f"The {n} most exposed items\nGini of item exposure: {_fmt(_value(gini))}{limit}")
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig


def top_items_chart(
    top_items: Sequence[Mapping[str, Any]],
    *,
    gini: float | None,
    threshold: float | None,
    n_items: int | None,
) -> Chart | None:
    if not top_items:
        return None
    caption = (
        f"The {len(top_items)} items with the most position-weighted exposure and their "
        f"share of it; the Gini coefficient of exposure over the whole catalog is "
        f"{_fmt(_value(gini))} (0: every item seen equally, near 1: a few items take all)."
    )
    pairs = [
        (str(item.get("item_id")), f"{_fmt(_value(item.get('share')) * 100, 2)}%")
        for item in top_items
    ]
    return _chart(
        lambda: draw_top_items(top_items, gini=gini, threshold=threshold, n_items=n_items),
        caption,
        "Values: " + _listing(pairs) + ".",
    )


def draw_lorenz(lorenz: Mapping[str, Sequence[float]], *, gini: float | None) -> Figure:
    """The Lorenz curve of item exposure (optional `exposure.lorenz` of the result)."""
    x = np.array([_value(v) for v in lorenz["items"]]) * 100
    y = np.array([_value(v) for v in lorenz["exposure"]]) * 100
    fig = Figure(figsize=(FIGURE_WIDTH * 0.7, FIGURE_WIDTH * 0.6), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 100], [0, 100], color=THRESHOLD, linestyle="--", linewidth=1.2, label="Equality")
    ax.plot(x, y, color=OKABE_ITO["blue"], linewidth=2, label="Item exposure")
    ax.fill_between(x, y, x, color=OKABE_ITO["sky"], alpha=0.3, linewidth=0)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Items, least exposed first (cumulative %)")
    ax.set_ylabel("Exposure (cumulative %)")
    ax.set_title(f"Lorenz curve of item exposure\nGini {_fmt(_value(gini))}", loc="left")
    ax.legend(loc="upper left", frameon=False)
    return fig


def lorenz_chart(lorenz: Mapping[str, Any], *, gini: float | None) -> Chart | None:
    items, shares = lorenz.get("items"), lorenz.get("exposure")
    if not items or not shares or len(items) != len(shares):
        return None
    half = int(np.searchsorted(np.asarray(items, dtype=np.float64), 0.5))
    held = _value(shares[min(half, len(shares) - 1)])
    caption = (
        "Lorenz curve of item exposure: the share of all exposure the least exposed items "
        "receive together; the further below the diagonal, the more unequal "
        f"(Gini {_fmt(_value(gini))})."
    )
    return _chart(
        lambda: draw_lorenz(lorenz, gini=gini),
        caption,
        f"The least exposed half of the items receives {_fmt(held * 100, 1)}% of the exposure.",
    )


# --- targeting --------------------------------------------------------------------------


def draw_targeting(kind: str, segment: str, report: Mapping[str, Any]) -> Figure:
    """Eligible, served and converted rates per group of one attribute in one segment,
    each with its four-fifths line (threshold x the reference group's rate) dashed."""
    groups: Mapping[str, Any] = report.get("groups", {})
    impact: Mapping[str, Any] = report.get("impact", {})
    threshold = _value(report.get("threshold"))
    names = list(groups)
    n = len(names)
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.4, 2.3)), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    y = np.arange(n, dtype=np.float64)
    flagged_any = small_any = False
    for ax, rate in zip(axes, RATE_TITLES, strict=True):
        entries: Mapping[str, Any] = impact.get(rate, {}).get("groups", {})
        values = np.array([_value(entries.get(g, {}).get("rate")) for g in names]) * 100
        flagged = [bool(entries.get(g, {}).get("flagged")) for g in names]
        small = [bool(entries.get(g, {}).get("too_small")) for g in names]
        flagged_any |= any(flagged)
        small_any |= any(small)
        for i in range(n):
            if small[i]:
                style: dict[str, Any] = {
                    "color": MUTED,
                    "edgecolor": _SMALL_EDGE,
                    "hatch": _HATCH,
                }
            else:
                style = {"color": OKABE_ITO["vermillion" if flagged[i] else "blue"]}
            ax.barh(y[i], float(np.nan_to_num(values[i])), 0.65, **style)
        reference = _value(impact.get(rate, {}).get("reference_rate"))
        top = float(np.nanmax(np.append(values, 1.0)))
        if not math.isnan(reference) and not math.isnan(threshold):
            ax.axvline(
                reference * threshold * 100,
                color=THRESHOLD,
                linestyle="--",
                linewidth=1.4,
                zorder=3,
            )
        if n <= ANNOTATE:
            for i in range(n):
                text = "n/a" if math.isnan(values[i]) else f"{values[i]:.0f}%"
                x = np.nan_to_num(values[i]) + top * 0.02
                ax.text(x, y[i], text, va="center", fontsize=9, bbox=_CLEAR, zorder=4)
        ax.set_xlim(0, top * 1.3)
        ax.set_title(RATE_TITLES[rate], loc="left", fontsize=10)
        ax.set_xlabel("%")
        ax.grid(axis="y", visible=False)
    axes[0].set_yticks(y, [plain(_short(g, 20)) for g in names])
    axes[0].invert_yaxis()
    handles: list[Any] = [Patch(color=OKABE_ITO["blue"], label="Group rate")]
    if flagged_any:
        handles.append(Patch(color=OKABE_ITO["vermillion"], label="Flagged: under the line"))
    if small_any:
        handles.append(_small_patch(f"Too small (< {report.get('min_group_size')})"))
    handles.append(_threshold_line(f"{_fmt(threshold, 2)} {TIMES} the highest group's rate"))
    attribute = plain(report.get("attribute", ""))
    _title(fig, f"{plain(kind.capitalize())} “{plain(_short(segment, 40))}” by {attribute}")
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig


def targeting_chart(kind: str, segment: str, report: Mapping[str, Any]) -> Chart | None:
    groups: Mapping[str, Any] = report.get("groups", {})
    if not groups:
        return None
    attribute = str(report.get("attribute", ""))
    threshold = _value(report.get("threshold"))
    caption = (
        f"{kind.capitalize()} “{segment}”: the share of each {attribute} group made eligible, "
        f"served and (of those served) converted. The dashed line is {_fmt(threshold, 2)} "
        f"{TIMES} the highest rate among groups large enough to judge (0.80: the four-fifths "
        "rule); a group left of it is flagged."
    )
    impact: Mapping[str, Any] = report.get("impact", {})
    pairs = []
    for name in groups:
        rates = []
        for rate in RATE_TITLES:
            entry = impact.get(rate, {}).get("groups", {}).get(name, {})
            flag = " flagged" if entry.get("flagged") else ""
            rates.append(f"{rate} {_fmt(_value(entry.get('rate')) * 100, 0)}%{flag}")
        pairs.append((str(name), ", ".join(rates)))
    return _chart(
        lambda: draw_targeting(kind, segment, report),
        caption,
        "Values: " + _listing(pairs, limit=8) + ".",
    )


# --- trend ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One trend panel: a figure over runs (oldest first) and its threshold, if any."""

    title: str
    unit: str
    values: Sequence[float | None]
    threshold: float | None = None
    bound: str | None = None  # "min" or "max"


def draw_trend(times: Sequence[datetime], series: Sequence[Series]) -> Figure:
    rows = math.ceil(len(series) / 3)
    fig = Figure(figsize=(FIGURE_WIDTH, 2.5 * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, 3, sharex=True, squeeze=False).ravel()
    x = list(times)
    for ax, s in zip(axes, series, strict=False):
        values = np.array([_value(v) for v in s.values])
        ax.plot(x, values, color=OKABE_ITO["blue"], marker="o", markersize=4, linewidth=1.8)
        if s.threshold is not None:
            word = "floor" if s.bound == "min" else "ceiling"
            ax.axhline(s.threshold, color=THRESHOLD, linestyle="--", linewidth=1.4)
            ax.annotate(
                f"{word} {s.threshold:g}",
                (0.01, s.threshold),
                xycoords=("axes fraction", "data"),
                xytext=(0, 3),
                textcoords="offset points",
                fontsize=9,
                color=THRESHOLD,
            )
        finite = values[np.isfinite(values)]
        if s.threshold is not None:
            finite = np.append(finite, s.threshold)
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            pad = (high - low) * 0.15 or max(abs(high) * 0.1, 0.05)
            ax.set_ylim(low - pad, high + pad * 1.6)
        ax.set_title(s.title, loc="left", fontsize=10)
        ax.set_ylabel(s.unit)
        locator = mdates.AutoDateLocator(minticks=2, maxticks=4)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(formatter)
    for ax in axes[len(series) :]:
        ax.set_visible(False)
    _title(fig, "Trend over audit runs (UTC)")
    fig.legend(
        handles=[
            Line2D([], [], color=OKABE_ITO["blue"], marker="o", label="Audit run"),
            _threshold_line("Threshold in the current policy"),
        ],
        loc="outside lower center",
        ncols=2,
        frameon=False,
    )
    return fig


def trend_chart(times: Sequence[datetime], series: Sequence[Series]) -> Chart | None:
    if len(times) < 2 or not series:
        return None
    caption = (
        f"{len(times)} audit runs from {times[0]:%Y-%m-%d} to {times[-1]:%Y-%m-%d}: "
        + ", ".join(s.title for s in series)
        + ". Dashed: the current policy's thresholds."
    )
    alt = "; ".join(
        f"{s.title}: "
        + " → ".join(_fmt(_value(v)) for v in s.values[-8:])
        + (" (last 8 runs)" if len(s.values) > 8 else "")
        for s in series
    )
    return _chart(lambda: draw_trend(times, series), caption, alt + ".")
