"""The plots of the fairness audit report, drawn from the JSON-ready audit result.

Each `*_chart` function takes sections of an `AuditResult.as_dict()` and returns a `Chart`:
the inline SVG (with a text alternative listing the plotted numbers) and a caption. Each
`draw_*` function builds the matplotlib `Figure` alone, so a figure can also be saved as
PNG to look at. Conventions, for a printed page read by someone who may not see colours
apart: Okabe-Ito colours, thresholds as dashed dark lines named in the legend, groups too
small to judge in hatched grey and said so in their label, units on every axis. Values are
not written on the bars: the table beside each plot has them, and a text with its backdrop
costs more to lay out and draw than the bar it labels (a missing value is marked "n/a", so
it does not read as zero).

The functions the Console shows take `t`, a translator (`t("Gini %(gini)s", gini="0.42")`),
and write every text through it as an English message id with named placeholders, numbers
formatted before they are placed; the printable report passes none and gets `english`, the
ids as written, so its pages stay the same bytes. Their `where` is the sentence telling a
reader where the plotted numbers are: the report's own words ("in the table below") when
not given, as only the report has those tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from markupsafe import Markup
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation
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

Translate = Callable[..., str]


def english(message: str, **values: object) -> str:
    """The message as written, its placeholders filled: what the printable report shows."""
    return message % values if values else message


def _rate_titles(t: Translate) -> dict[str, str]:
    return {
        "eligible": t("Eligible\n(% of group)"),
        "served": t("Served\n(% of group)"),
        "converted": t("Converted\n(% of served)"),
    }


def _rate_words(t: Translate) -> dict[str, str]:
    return {
        "eligible": t("eligible rate (the share of the group made eligible)"),
        "served": t("served rate (the share of the group served)"),
        "converted": t("conversion rate (the share of those served who converted)"),
    }


def _rate_names(t: Translate) -> dict[str, str]:
    return {"eligible": t("eligible"), "served": t("served"), "converted": t("converted")}


def _kind(kind: str, t: Translate) -> str:
    """A targeting segment's kind as a capitalised word (`fairness.data.Segment.kind`)."""
    known = {"campaign": t("Campaign"), "category": t("Category"), "surface": t("Surface")}
    return known.get(kind, kind.capitalize())


MAX_BARS = 30  # rows a bar chart shows before keeping only the worst
QUALITY_PLOTTED = (
    ("ndcg", "nDCG", OKABE_ITO["blue"]),
    ("hit_rate", "Hit rate", OKABE_ITO["orange"]),
)
RATE_TITLES = _rate_titles(english)
_HATCH = "///"
_SMALL_EDGE = "#6B6B6B"
MUTED_TEXT = "#5F5F5F"  # text about groups too small to judge (MUTED is too light for text)
_SMALL_STYLE: dict[str, Any] = {
    "facecolor": MUTED,
    "edgecolor": _SMALL_EDGE,
    "hatch": _HATCH,
    "linewidth": 0.8,
}


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


def _listing(
    pairs: Sequence[tuple[str, str]],
    limit: int = 12,
    *,
    t: Translate = english,
    where: str | None = None,
) -> str:
    shown = ", ".join(f"{name} {value}" for name, value in pairs[:limit])
    more = len(pairs) - limit
    if more <= 0:
        return shown
    rest = (
        t("and %(n)s more (see the table)", n=more)
        if where is None
        else t("and %(n)s more", n=more)
    )
    return f"{shown}, {rest}"


def _fmt(value: float, digits: int = 3, t: Translate = english) -> str:
    return t("n/a") if math.isnan(value) else f"{value:.{digits}f}"


def _height(rows: int, per_row: float, extra: float) -> float:
    return float(min(max(extra + rows * per_row, 2.6), 9.5))


def _unseen(
    ax: Axes,
    y: Sequence[float],
    values: Sequence[float],
    zero: str,
    colours: Sequence[str],
    t: Translate = english,
) -> None:
    """A word where a bar cannot be seen: "n/a" for a missing value (so it does not read
    as zero) and `zero` in the bar's colour for a zero, often the worst case of all (a
    group never served, a provider never shown)."""
    for row, value, colour in zip(y, values, colours, strict=True):
        if math.isnan(value):
            ax.text(0, row, " " + t("n/a"), va="center", ha="left", fontsize=9)
        elif value == 0:
            ax.text(0, row, f" {zero}", va="center", ha="left", fontsize=9, color=colour)


# --- fixed layout -----------------------------------------------------------------------
# Margins are set in inches from the measured labels before anything is drawn. A layout
# engine (constrained or tight) would find them by drawing the whole figure once more
# before saving it: that doubled the cost of every chart, and the report draws up to 16.
_PAD = 0.08  # inches between a figure's edge and its title or legend
_X_AXIS = 0.5  # x tick labels and the x label under an axes
_X_TICKS = 0.3  # x tick labels alone
_LEGEND_ROW = 0.2  # one row of legend entries at 9.5 pt
_STEPS = [1, 2, 2.5, 5, 10]  # tick steps, as matplotlib's default locator takes them


def _lines(text: str, size: float) -> float:
    """Inches a block of `text` takes in height at `size` points (line spacing 1.2)."""
    return (text.count("\n") + 1) * size * 1.2 / 72


def _width(texts: Iterable[str], size: float = 9.5) -> float:
    """Inches the widest of `texts` takes at `size` points in the report font, measured
    the way the SVG backend measures text (call inside `plotting()`, for the font)."""
    prop = FontProperties(size=size)
    widest = 0.0
    for text in texts:
        shown = text.replace("\\$", "$")  # `plain` escapes; the drawing shows "$"
        width, _, _ = text_to_path.get_text_width_height_descent(shown, prop, ismath=False)
        widest = max(widest, width)
    return widest / 72


def _place(
    fig: Figure,
    *,
    left: float,
    top: float,
    bottom: float,
    right: float = 0.2,
    gap: float = 0.0,
    vgap: float = 0.0,
) -> None:
    """Margins in inches around the axes grid, `gap` between its columns and `vgap`
    between its rows."""
    width, height = fig.get_size_inches()
    spec = fig.axes[0].get_subplotspec()
    rows, cols = spec.get_gridspec().get_geometry() if spec is not None else (1, 1)
    inner_w = width - left - right
    inner_h = height - top - bottom
    axes_w = (inner_w - (cols - 1) * gap) / cols
    axes_h = (inner_h - (rows - 1) * vgap) / rows
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=gap / axes_w if cols > 1 else None,
        hspace=vgap / axes_h if rows > 1 else None,
    )


def _left(labels: Iterable[str]) -> float:
    """The left margin for y tick labels `labels`: their width, the tick and padding."""
    return _width(labels) + 0.15 + _PAD


def _title(fig: Figure, text: str) -> float:
    """The figure's title, left-aligned over the whole width (an axes title would start
    after the group labels and run off the right edge); returns the top margin it needs."""
    height = fig.get_size_inches()[1]
    fig.suptitle(
        text, x=0.01, y=1 - _PAD / height, ha="left", va="top", fontweight="bold", fontsize=11
    )
    return _PAD + _lines(text, 11) + 0.1


def _axes_title(ax: Axes, text: str, fontsize: float | None = None) -> None:
    """A left-aligned axes title at a fixed height: given `y`, matplotlib no longer
    measures the axes' tick labels at every draw to move the title above them (no axes
    here has ticks on top)."""
    ax.set_title(text, loc="left", y=1.0, fontsize=fontsize)


def _rows(axes: Sequence[Axes], labels: Sequence[str]) -> None:
    """One row per label, top to bottom, across side-by-side panels, the labels left of
    the first. The labels are plain texts rather than y tick labels: a matplotlib tick is
    two lines, a grid line and two texts, built and laid out for every row of every panel
    at several times the cost of a text."""
    fig = axes[0].get_figure(root=True)
    assert fig is not None
    shift = ScaledTranslation(-4 / 72, 0, fig.dpi_scale_trans)
    place = axes[0].get_yaxis_transform() + shift
    for ax in axes:
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_yticks([])
        # Five steps or so along the bars are plenty to read them by (the numbers are in
        # the tables), and each tick drawn costs about as much as a row label.
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=_STEPS))
    for i, label in enumerate(labels):
        axes[0].text(0, i, label, transform=place, ha="right", va="center_baseline", fontsize=9.5)


def _bars(ax: Axes, y: Any, widths: Any, height: float, **style: Any) -> None:
    """Horizontal bars from 0 (NaN: none drawn) as one collection: drawn in one pass,
    where `barh` makes, measures and draws a patch per bar."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return
    right = np.nan_to_num(np.asarray(widths, dtype=np.float64))
    left = np.zeros_like(right)
    low, high = y - height / 2, y + height / 2
    corners = np.stack(
        [np.column_stack(c) for c in ((left, low), (right, low), (right, high), (left, high))],
        axis=1,
    )
    ax.add_collection(PolyCollection(list(corners), **style), autolim=False)


def _legend(fig: Figure, handles: Sequence[Any], ncols: int) -> float:
    """The legend centred along the bottom edge; returns the bottom margin it needs."""
    height = fig.get_size_inches()[1]
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, _PAD / 2 / height),
        ncols=ncols,
        frameon=False,
        borderaxespad=0.0,
    )
    return _PAD + math.ceil(len(handles) / ncols) * _LEGEND_ROW


def _threshold_line(label: str) -> Line2D:
    return Line2D([], [], color=THRESHOLD, linestyle="--", linewidth=1.4, label=label)


def _small_patch(label: str) -> Patch:
    return Patch(facecolor=MUTED, edgecolor=_SMALL_EDGE, hatch=_HATCH, label=label)


# --- quality by group -------------------------------------------------------------------


def _quality_words(t: Translate) -> dict[str, tuple[str, str]]:
    """Each plotted quality metric's name, as a legend starts it and inside a sentence."""
    return {"ndcg": ("nDCG", "nDCG"), "hit_rate": (t("Hit rate"), t("hit rate"))}


def _floor_label(metric: str, threshold: float, floor: float, t: Translate) -> str:
    values = {"threshold": f"{threshold:g}", "floor": f"{floor:.3f}"}
    if metric == "ndcg":
        return t("nDCG floor: %(threshold)s \N{MULTIPLICATION SIGN} best = %(floor)s", **values)
    return t("Hit rate floor: %(threshold)s \N{MULTIPLICATION SIGN} best = %(floor)s", **values)


def draw_quality(
    attribute: str,
    breakdown: Mapping[str, Any],
    *,
    k: int,
    min_size: int,
    threshold: float | None,
    t: Translate = english,
) -> Figure:
    """nDCG and hit rate per group of one attribute, as paired horizontal bars, with each
    metric's floor (threshold x best group) dashed."""
    groups: Mapping[str, Any] = breakdown.get("groups", {})
    gaps: Mapping[str, Any] = breakdown.get("gaps", {})
    words = _quality_words(t)
    names = list(groups)
    n = len(names)
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.5, 1.9)))
    ax = fig.add_subplot()
    y = np.arange(n, dtype=np.float64)
    bars: list[Any] = []
    floors: list[Any] = []
    top = 0.0
    for j, (metric, _, colour) in enumerate(QUALITY_PLOTTED):
        label = words[metric][0]
        values = np.array([_value(groups[g]["metrics"].get(metric)) for g in names])
        counts = [int(groups[g].get("counts", {}).get(metric, groups[g]["users"])) for g in names]
        small = np.array([c < min_size for c in counts], dtype=bool)
        pos = y - 0.2 + 0.4 * j
        shown = np.nan_to_num(values)
        _bars(ax, pos[~small], shown[~small], 0.38, facecolor=colour)
        _bars(ax, pos[small], shown[small], 0.38, **_SMALL_STYLE)
        bars.append(Patch(color=colour, label=f"{label}@{k}"))
        marks = [MUTED_TEXT if m else colour for m in small]
        _unseen(ax, list(pos), list(values), "0", marks, t)
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
                    label=_floor_label(metric, threshold, floor, t),
                )
            )
    if any(int(groups[g]["users"]) < min_size for g in names):
        bars.append(_small_patch(t("Too small to judge (< %(n)s people)", n=min_size)))
    labels = []
    for g in names:
        users = int(groups[g]["users"])
        label = (
            t("%(group)s (n=%(n)s, too small)", group=plain(_short(g)), n=f"{users:,}")
            if users < min_size
            else t("%(group)s (n=%(n)s)", group=plain(_short(g)), n=f"{users:,}")
        )
        labels.append(label)
    _rows([ax], labels)
    ax.set_xlim(0, max(top * 1.08, 0.05))
    ax.set_xlabel(t("Mean per person (scale 0 to 1)"))
    ax.grid(axis="y", visible=False)
    ratios = ", ".join(
        f"{words[m][1]} {_fmt(_value(gaps[m].get('ratio')), 2, t)}"
        for m, _, _ in QUALITY_PLOTTED
        if m in gaps
    )
    if not ratios:
        subtitle = t("no ratio: fewer than two groups large enough to judge")
    elif threshold is None:
        subtitle = t("worst/best group ratio: %(ratios)s", ratios=ratios)
    else:
        subtitle = t(
            "worst/best group ratio (floor %(floor)s): %(ratios)s",
            floor=f"{threshold:g}",
            ratios=ratios,
        )
    head = _title(fig, t("Quality by %(attribute)s", attribute=plain(attribute)) + "\n" + subtitle)
    # Column-major legend: the bars in the first column, their floors in the second.
    bottom = _legend(fig, bars + floors, 2) + _X_AXIS
    _place(fig, left=_left(labels), top=head, bottom=bottom, right=0.25)
    return fig


def quality_chart(
    attribute: str,
    breakdown: Mapping[str, Any],
    *,
    k: int,
    min_size: int,
    threshold: float | None,
    t: Translate = english,
    where: str | None = None,
) -> Chart | None:
    groups: Mapping[str, Any] = breakdown.get("groups", {})
    if not groups:
        return None
    caption = t(
        "nDCG@%(k)s and hit rate@%(k)s per %(attribute)s group (mean per person). Groups "
        "with fewer than %(n)s people are hatched grey and take no part in the ratio.",
        k=k,
        attribute=attribute,
        n=min_size,
    )
    caption += " " + (t("The values are in the table below.") if where is None else where)
    pairs = [
        (
            str(name),
            t(
                "nDCG %(ndcg)s, hit rate %(hit_rate)s",
                ndcg=_fmt(_value(g["metrics"].get("ndcg")), t=t),
                hit_rate=_fmt(_value(g["metrics"].get("hit_rate")), t=t),
            ),
        )
        for name, g in groups.items()
    ]
    return _chart(
        lambda: draw_quality(
            attribute, breakdown, k=k, min_size=min_size, threshold=threshold, t=t
        ),
        caption,
        t("Values: %(values)s.", values=_listing(pairs, limit=8, t=t, where=where)),
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
    providers: Mapping[str, Any],
    *,
    threshold: float | None,
    min_items: int = 1,
    t: Translate = english,
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
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.45, 2.0)))
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    y = np.arange(n, dtype=np.float64)
    _bars(left, y - 0.2, exposure, 0.38, facecolor=OKABE_ITO["blue"])
    _bars(left, y + 0.2, catalog, 0.38, facecolor=OKABE_ITO["orange"])
    under = np.array([threshold is not None and r < threshold for r in ratio], dtype=bool)
    under &= ~few
    colours = np.array([OKABE_ITO["vermillion"] if u else OKABE_ITO["green"] for u in under])
    _bars(right, y[~few], ratio[~few], 0.6, facecolor=list(colours[~few]))
    _bars(right, y[few], ratio[few], 0.6, **_SMALL_STYLE)
    marks = [MUTED_TEXT if f else c for f, c in zip(few, colours, strict=True)]
    _unseen(right, list(y), list(ratio), "0", marks, t)
    handles: list[Any] = [
        Patch(color=OKABE_ITO["blue"], label=t("Share of exposure")),
        Patch(color=OKABE_ITO["orange"], label=t("Share of catalog")),
        Patch(color=OKABE_ITO["green"], label=t("Ratio at or above the floor")),
    ]
    if under.any():
        handles.append(Patch(color=OKABE_ITO["vermillion"], label=t("Ratio under the floor")))
    if few.any():
        handles.append(_small_patch(t("Not judged: < %(n)s items", n=min_items)))
    if threshold is not None:
        right.axvline(threshold, color=THRESHOLD, linestyle="--", linewidth=1.4, zorder=3)
        handles.append(_threshold_line(t("Floor: ratio %(ratio)s", ratio=f"{threshold:g}")))
    right.axvline(1.0, color=THRESHOLD, linestyle=":", linewidth=1.2, zorder=3)
    handles.append(
        Line2D([], [], color=THRESHOLD, linestyle=":", linewidth=1.2, label=t("Parity: ratio 1"))
    )
    labels = [
        t("%(group)s (no items)", group=plain(_short(name)))
        if not math.isfinite(r)
        else t("%(group)s (too few items)", group=plain(_short(name)))
        if small
        else plain(_short(name))
        for name, r, small in zip(names, ratio, few, strict=True)
    ]
    _rows([left, right], labels)
    right.xaxis.set_major_locator(MaxNLocator(nbins=3, steps=_STEPS))  # a narrow panel
    top = float(np.nanmax(np.concatenate([exposure, catalog, [1.0]])))
    left.set_xlim(0, top * 1.1)
    right.set_xlim(0, max(float(np.nanmax(np.append(ratio, 1.0))) * 1.1, 1.2))
    left.set_xlabel(t("Share (%)"))
    right.set_xlabel(t("Exposure ÷ catalog share"))
    _axes_title(left, t("Exposure and catalog share"))
    _axes_title(right, t("Ratio"))
    for ax in (left, right):
        ax.grid(axis="y", visible=False)
    head = _title(fig, t("Exposure by provider group")) + _lines("Ratio", 11) + 0.1
    bottom = _legend(fig, handles, 3) + _X_AXIS
    _place(fig, left=_left(labels), top=head, bottom=bottom, right=0.3, gap=0.3)
    return fig


def exposure_chart(
    providers: Mapping[str, Any],
    *,
    threshold: float | None,
    min_items: int = 1,
    t: Translate = english,
    where: str | None = None,
) -> Chart | None:
    if not providers.get("names"):
        return None
    rows, cut = _provider_rows(providers)
    if where is None:
        caption = t(
            "Each provider group's share of the position-weighted exposure against its share "
            "of the catalog, and their ratio (1 = seen in proportion to its size); the values "
            "are in the table below."
        )
    else:
        caption = t(
            "Each provider group's share of the position-weighted exposure against its share "
            "of the catalog, and their ratio (1 = seen in proportion to its size)."
        )
    if min_items > 1:
        caption += " " + t(
            "Groups with fewer than %(n)s items are shown but not judged.", n=min_items
        )
    if cut and where is None:
        caption += " " + t(
            "Only the %(n)s groups with the lowest ratio are drawn; all are in the table.",
            n=len(rows),
        )
    elif cut:
        caption += " " + t("Only the %(n)s groups with the lowest ratio are drawn.", n=len(rows))
    if where is not None:
        caption += " " + where
    pairs = [
        (
            str(providers["names"][i]),
            t(
                "exposure %(exposure)s%%, catalog %(catalog)s%%, ratio %(ratio)s",
                exposure=_fmt(_value(providers["exposure_share"][i]) * 100, 1, t),
                catalog=_fmt(_value(providers["catalog_share"][i]) * 100, 1, t),
                ratio=_fmt(_value(providers["ratio"][i]), 2, t),
            ),
        )
        for i in rows
    ]
    return _chart(
        lambda: draw_exposure(providers, threshold=threshold, min_items=min_items, t=t),
        caption,
        t("Values: %(values)s.", values=_listing(pairs, limit=8, t=t, where=where)),
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
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.3, 1.9)))
    ax = fig.add_subplot()
    y = np.arange(n, dtype=np.float64)
    _bars(ax, y, shares, 0.7, facecolor=OKABE_ITO["blue"])
    handles: list[Any] = [Patch(color=OKABE_ITO["blue"], label="Share of all exposure")]
    if n_items:
        equal = 100.0 / n_items
        ax.axvline(equal, color=THRESHOLD, linestyle="--", linewidth=1.4, zorder=3)
        handles.append(_threshold_line(f"Equal share: 1/{n_items:,} = {equal:.3g}%"))
    labels = [plain(_short(item.get("item_id"), 32)) for item in top_items]
    _rows([ax], labels)
    ax.set_xlim(0, float(np.nanmax(np.append(shares, 0.01))) * 1.08)
    ax.set_xlabel("Share of all position-weighted exposure (%)")
    ax.grid(axis="y", visible=False)
    limit = f" (alert above {threshold:g})" if threshold is not None else ""
    head = _title(
        fig, f"The {n} most exposed items\nGini of item exposure: {_fmt(_value(gini))}{limit}"
    )
    bottom = _legend(fig, handles, 2) + _X_AXIS
    _place(fig, left=_left(labels), top=head, bottom=bottom, right=0.25)
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
        f"{_fmt(_value(gini))} (0: every item seen equally, near 1: a few items take all). "
        "The shares are in the table below."
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


def draw_lorenz(
    lorenz: Mapping[str, Sequence[float]], *, gini: float | None, t: Translate = english
) -> Figure:
    """The Lorenz curve of item exposure (optional `exposure.lorenz` of the result)."""
    x = np.array([_value(v) for v in lorenz["items"]]) * 100
    y = np.array([_value(v) for v in lorenz["exposure"]]) * 100
    fig = Figure(figsize=(FIGURE_WIDTH * 0.7, FIGURE_WIDTH * 0.6))
    ax = fig.add_subplot()
    ax.plot([0, 100], [0, 100], color=THRESHOLD, linestyle="--", linewidth=1.2, label=t("Equality"))
    ax.plot(x, y, color=OKABE_ITO["blue"], linewidth=2, label=t("Item exposure"))
    ax.fill_between(x, y, x, color=OKABE_ITO["sky"], alpha=0.3, linewidth=0)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(t("Items, least exposed first (cumulative %)"))
    ax.set_ylabel(t("Exposure (cumulative %)"))
    title = (
        t("Lorenz curve of item exposure") + "\n" + t("Gini %(gini)s", gini=_fmt(_value(gini), t=t))
    )
    _axes_title(ax, title)
    ax.legend(loc="upper left", frameon=False)
    # y tick labels ("100") and the y label beside them; the title over the axes.
    left = _width(["100"]) + _lines("Exposure", 10) + 0.25 + _PAD
    _place(fig, left=left, top=_PAD + _lines(title, 11) + 0.1, bottom=_X_AXIS + _PAD, right=0.3)
    return fig


def lorenz_chart(
    lorenz: Mapping[str, Any], *, gini: float | None, t: Translate = english
) -> Chart | None:
    """The Lorenz curve with its Gini; its text alternative says how much the least exposed
    half receives, so it points to no table."""
    items, shares = lorenz.get("items"), lorenz.get("exposure")
    if not items or not shares or len(items) != len(shares):
        return None
    half = int(np.searchsorted(np.asarray(items, dtype=np.float64), 0.5))
    held = _value(shares[min(half, len(shares) - 1)])
    caption = t(
        "Lorenz curve of item exposure: the share of all exposure the least exposed items "
        "receive together; the further below the diagonal, the more unequal (Gini %(gini)s).",
        gini=_fmt(_value(gini), t=t),
    )
    return _chart(
        lambda: draw_lorenz(lorenz, gini=gini, t=t),
        caption,
        t(
            "The least exposed half of the items receives %(share)s%% of the exposure.",
            share=_fmt(held * 100, 1, t),
        ),
    )


# --- targeting --------------------------------------------------------------------------


def targeting_rates(report: Mapping[str, Any]) -> tuple[str, ...]:
    """The rates a targeting chart draws: those with a flagged group, or all three when no
    group is flagged. A panel where every group is within the line says nothing the table
    does not, and each panel costs as much to draw as a whole one-axes chart."""
    impact: Mapping[str, Any] = report.get("impact") or {}
    flagged = tuple(
        rate
        for rate in RATE_TITLES
        if any(
            isinstance(entry, Mapping) and entry.get("flagged")
            for entry in ((impact.get(rate) or {}).get("groups") or {}).values()
        )
    )
    return flagged or tuple(RATE_TITLES)


def draw_targeting(
    kind: str, segment: str, report: Mapping[str, Any], *, t: Translate = english
) -> Figure:
    """The rates with a flagged group (`targeting_rates`) per group of one attribute in one
    segment, each with its four-fifths line (threshold x the reference group's rate)."""
    groups: Mapping[str, Any] = report.get("groups", {})
    impact: Mapping[str, Any] = report.get("impact", {})
    threshold = _value(report.get("threshold"))
    rates = targeting_rates(report)
    titles = _rate_titles(t)
    names = list(groups)
    n = len(names)
    fig = Figure(figsize=(FIGURE_WIDTH, _height(n, 0.4, 2.3)))
    axes = fig.subplots(1, len(rates), squeeze=False)[0]
    y = np.arange(n, dtype=np.float64)
    flagged_any = small_any = False
    for ax, rate in zip(axes, rates, strict=True):
        entries: Mapping[str, Any] = impact.get(rate, {}).get("groups", {})
        values = np.array([_value(entries.get(g, {}).get("rate")) for g in names]) * 100
        flagged = np.array([bool(entries.get(g, {}).get("flagged")) for g in names], dtype=bool)
        small = np.array([bool(entries.get(g, {}).get("too_small")) for g in names], dtype=bool)
        flagged_any |= bool(flagged.any())
        small_any |= bool(small.any())
        shown = np.nan_to_num(values)
        ok = ~small & ~flagged
        _bars(ax, y[ok], shown[ok], 0.65, facecolor=OKABE_ITO["blue"])
        _bars(
            ax,
            y[flagged & ~small],
            shown[flagged & ~small],
            0.65,
            facecolor=OKABE_ITO["vermillion"],
        )
        _bars(ax, y[small], shown[small], 0.65, **_SMALL_STYLE)
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
        colours = [
            MUTED_TEXT if small[i] else OKABE_ITO["vermillion" if flagged[i] else "blue"]
            for i in range(n)
        ]
        _unseen(ax, list(y), list(values), "0%", colours, t)
        ax.set_xlim(0, top * 1.1)
        _axes_title(ax, titles[rate], 10)
        ax.set_xlabel("%")
        ax.grid(axis="y", visible=False)
    labels = [plain(_short(g, 20)) for g in names]
    _rows(list(axes), labels)
    handles: list[Any] = [Patch(color=OKABE_ITO["blue"], label=t("Group rate"))]
    if flagged_any:
        handles.append(Patch(color=OKABE_ITO["vermillion"], label=t("Flagged: under the line")))
    if small_any:
        handles.append(_small_patch(t("Too small (< %(n)s)", n=report.get("min_group_size"))))
    handles.append(
        _threshold_line(
            t(
                "%(threshold)s \N{MULTIPLICATION SIGN} the highest group's rate",
                threshold=_fmt(threshold, 2, t),
            )
        )
    )
    title = t(
        "%(kind)s “%(segment)s” by %(attribute)s",
        kind=plain(_kind(kind, t)),
        segment=plain(_short(segment, 40)),
        attribute=plain(report.get("attribute", "")),
    )
    head = _title(fig, title)
    head += _lines(titles["served"], 10) + 0.1
    bottom = _legend(fig, handles, 2) + _X_AXIS
    _place(fig, left=_left(labels), top=head, bottom=bottom, right=0.2, gap=0.3)
    return fig


def targeting_chart(
    kind: str,
    segment: str,
    report: Mapping[str, Any],
    *,
    t: Translate = english,
    where: str | None = None,
) -> Chart | None:
    groups: Mapping[str, Any] = report.get("groups", {})
    if not groups:
        return None
    threshold = _value(report.get("threshold"))
    drawn = targeting_rates(report)
    words = [_rate_words(t)[rate] for rate in drawn]
    listed = (
        words[0]
        if len(words) == 1
        else t("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])
    )
    caption = t(
        "%(kind)s “%(segment)s”, by %(attribute)s: each group's %(rates)s.",
        kind=_kind(kind, t),
        segment=segment,
        attribute=str(report.get("attribute", "")),
        rates=listed,
    )
    caption += " " + t(
        "The dashed line is %(threshold)s \N{MULTIPLICATION SIGN} the highest rate among "
        "groups large enough to judge (0.80: the four-fifths rule); a group left of it is "
        "flagged.",
        threshold=_fmt(threshold, 2, t),
    )
    if len(drawn) < len(RATE_TITLES):
        caption += " " + t("Only the rates with a flagged group are drawn.")
    caption += " " + (
        t("Every rate of every group is in the tables below.") if where is None else where
    )
    impact: Mapping[str, Any] = report.get("impact", {})
    rate_names = _rate_names(t)
    pairs = []
    for name in groups:
        rates = []
        for rate in RATE_TITLES:
            entry = impact.get(rate, {}).get("groups", {}).get(name, {})
            shown = {
                "rate": rate_names[rate],
                "percent": _fmt(_value(entry.get("rate")) * 100, 0, t),
            }
            flagged = entry.get("flagged")
            rates.append(
                t("%(rate)s %(percent)s%% flagged", **shown)
                if flagged
                else t("%(rate)s %(percent)s%%", **shown)
            )
        pairs.append((str(name), ", ".join(rates)))
    return _chart(
        lambda: draw_targeting(kind, segment, report, t=t),
        caption,
        t("Values: %(values)s.", values=_listing(pairs, limit=8, t=t, where=where)),
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
    fig = Figure(figsize=(FIGURE_WIDTH, 2.5 * rows + 0.9))
    axes = fig.subplots(rows, 3, sharex=True, squeeze=False).ravel()
    x = list(times)
    tick_labels: list[str] = []
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
        integral = bool(finite.size) and bool(np.all(finite == np.round(finite)))
        if s.threshold is not None:
            finite = np.append(finite, s.threshold)
        # A fixed number of y ticks, so their labels are known before drawing (to size the
        # margins) and do not depend on how tall the panel comes out.
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=_STEPS, integer=integral))
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            pad = (high - low) * 0.15 or max(abs(high) * 0.1, 0.05)
            ax.set_ylim(low - pad, high + pad * 1.6)
            shown = ax.get_ylim()
            ticks = [t for t in ax.yaxis.get_major_locator()() if shown[0] <= t <= shown[1]]
            tick_labels += ax.yaxis.get_major_formatter().format_ticks(ticks)
        _axes_title(ax, s.title, 10)
        ax.set_ylabel(s.unit)
        locator = mdates.AutoDateLocator(minticks=2, maxticks=4)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(formatter)
    for ax in axes[len(series) :]:
        ax.set_visible(False)
    head = _title(fig, "Trend over audit runs (UTC)") + _lines("Trend", 10) + 0.1
    bottom = _legend(
        fig,
        [
            Line2D([], [], color=OKABE_ITO["blue"], marker="o", label="Audit run"),
            _threshold_line("Threshold in the current policy"),
        ],
        2,
    )
    # Each panel's left: its y tick labels, then its y label (rotated: one line wide).
    side = _width(tick_labels or ["0.00"]) + _lines("unit", 10) + 0.25
    _place(
        fig,
        left=side + _PAD,
        top=head,
        bottom=bottom + _X_AXIS + 0.05,
        right=0.2,
        gap=side + 0.1,
        vgap=_lines("Trend", 10) + 0.25,
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
