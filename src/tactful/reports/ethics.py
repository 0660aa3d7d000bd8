"""The ethics report as one printable page: the figures of `services.ethics`, four plots.

Each plot is a `matplotlib.figure.Figure` (never pyplot's global state) drawn in the
Okabe-Ito palette, with hatching or markers wherever colour alone would tell series apart,
and each is followed by the table of the numbers it draws, so the page reads the same to a
screen reader, in grey print, and to a reader who wants the exact figures. The page shell,
style, number formats and SVG come from `reports.page`, as for the audit report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import jinja2
import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from tactful import __version__
from tactful.reports import page
from tactful.reports.page import FIGURE_WIDTH as WIDTH
from tactful.reports.page import OKABE_ITO, THRESHOLD, plain, plotting

# Yellow is left out: too pale on white paper.
PALETTE = tuple(
    OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h", "*")
LINESTYLES = ("-", "--", "-.", ":")


# -- the figures ---------------------------------------------------------------------------------
def consent_figure(consent: Mapping[str, Any], period: Mapping[str, Any]) -> Figure | None:
    """% of people who granted each purpose at each week end, on the full 0-100 scale;
    sensitive-category opt-ins in a panel of their own, on a scale that shows them (from 0,
    to the next 5% above the highest, stated in the panel's title)."""
    series = list(consent.get("purposes", []))
    if not series or not any(consent.get("subjects", [])):
        return None
    weeks = [datetime.fromisoformat(w) for w in period["week_ends"]]
    panels = [
        ("Personalization, statistics, marketing and advertising", False),
        ("Opt-ins to sensitive categories", True),
    ]
    panels = [
        (title, flag) for title, flag in panels if any(s["sensitive"] is flag for s in series)
    ]
    with plotting():
        fig = Figure(figsize=(WIDTH, 3.9 * len(panels)), layout="constrained")
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        for ax, (title, sensitive) in zip(axes, panels, strict=True):
            shown = [s for s in series if s["sensitive"] is sensitive]
            for n, s in enumerate(shown):
                values = [math.nan if v is None else 100.0 * v for v in s["granted_share"]]
                ax.plot(
                    weeks,
                    values,
                    color=PALETTE[n % len(PALETTE)],
                    linestyle=LINESTYLES[(n // len(PALETTE)) % len(LINESTYLES)],
                    marker=MARKERS[n % len(MARKERS)],
                    markevery=max(1, len(weeks) // 26),
                    markersize=4.5,
                    linewidth=1.6,
                    label=plain(s["purpose"]),
                )
            top = 100.0
            if sensitive:
                # Opt-ins are rare: on 0-100 their lines would lie on top of each other at
                # the bottom, so this panel's scale is stated in its title.
                highest = max(
                    (100.0 * v for s in shown for v in s["granted_share"] if v is not None),
                    default=0.0,
                )
                top = min(100.0, max(5.0, 5.0 * math.ceil(highest * 1.15 / 5.0)))
                title = f"{title} (scale 0-{top:g}%)"
            ax.set_ylim(0, top)
            ax.set_ylabel("People who granted it (%)")
            ax.set_title(title, loc="left")
            ax.legend(
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                frameon=False,
                handlelength=2.6,
            )
        _date_axis(axes[-1], weeks)
        axes[-1].set_xlabel("Week ending (UTC)")
    return fig


def _date_axis(ax: Any, weeks: Sequence[datetime]) -> None:
    """Every week end named when there are few, else the months."""
    if len(weeks) <= 13:
        ax.set_xticks(weeks, [f"{w:%d %b}" for w in weeks])
        return
    months = 1 if len(weeks) <= 60 else 3
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=months))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))  # type: ignore[no-untyped-call]
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def handling_figure(rights: Mapping[str, Any], complaints: Mapping[str, Any]) -> Figure | None:
    """Median and 90th-percentile handling days per kind of request, against its deadline."""
    groups = handling_rows(rights, complaints)
    groups = [g for g in groups if g["handling_days"]["median"] is not None]
    if not groups:
        return None
    with plotting():
        fig = Figure(figsize=(WIDTH, 3.6), layout="constrained")
        ax = fig.add_subplot()
        xs = range(len(groups))
        width = 0.36
        median = [g["handling_days"]["median"] for g in groups]
        p90 = [g["handling_days"]["p90"] for g in groups]
        bars = ax.bar([x - width / 2 for x in xs], median, width, color=PALETTE[0], label="median")
        ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=8.5)
        bars = ax.bar(
            [x + width / 2 for x in xs],
            p90,
            width,
            color=PALETTE[1],
            hatch="///",
            edgecolor="#333333",
            linewidth=0.6,
            label="90th percentile",
        )
        ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=8.5)
        for x, g in zip(xs, groups, strict=True):
            ax.hlines(
                g["deadline_days"],
                x - 0.45,
                x + 0.45,
                colors=THRESHOLD,
                linestyles="--",
                linewidth=1.6,
                label="deadline" if x == 0 else "_nolegend_",
            )
        top = max([*median, *p90, *(g["deadline_days"] for g in groups)])
        ax.set_ylim(0, top * 1.18)
        ax.set_xticks(list(xs), [plain(g["label"]) for g in groups])
        ax.set_ylabel("Days from receipt to completion")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def bars_figure(labels: Sequence[str], values: Sequence[int], xlabel: str) -> Figure | None:
    """Horizontal bars, largest first, each labelled with its count."""
    if not labels:
        return None
    with plotting():
        fig = Figure(figsize=(WIDTH, 1.0 + 0.38 * len(labels)), layout="constrained")
        ax = fig.add_subplot()
        ys = range(len(labels))
        bars = ax.barh(list(ys), list(values), height=0.6, color=PALETTE[0])
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=8.5)
        ax.set_yticks(list(ys), [plain(label) for label in labels])
        ax.invert_yaxis()
        ax.set_xlim(0, max(values) * 1.15 or 1)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.grid(axis="y", visible=False)
    return fig


def figures(data: Mapping[str, Any]) -> dict[str, Figure]:
    """The report's figures by name; a section with nothing to draw has none."""
    guardrails = data["guardrails"]
    held = guardrails["decisions"]["held_back"]
    checks = guardrails["messages"]["held_by_check"]
    made = {
        "consent": consent_figure(data["consent"], data["period"]),
        "handling": handling_figure(data["rights"], data["complaints"]),
        "held_back": bars_figure(
            [words(h["reason"]) for h in held],
            [h["items"] for h in held],
            "Items held back from recommendations (sum over decisions)",
        ),
        "messages_held": bars_figure(
            [words(c["check"]) for c in checks],
            [c["messages"] for c in checks],
            "Messages held that failed this check",
        ),
    }
    return {name: fig for name, fig in made.items() if fig is not None}


def handling_rows(rights: Mapping[str, Any], complaints: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rights requests per kind and complaints as rows of one table, each with its deadline."""
    rows = [
        dict(k) | {"label": str(k["kind"]), "deadline_days": rights["deadline_days"]}
        for k in rights["kinds"]
    ]
    rows.append(dict(complaints) | {"label": "complaints", "kind": "complaints"})
    return rows


# -- the page ------------------------------------------------------------------------------------
def render_ethics(data: Mapping[str, Any]) -> str:
    """The figures as one self-contained HTML page: no script, nothing fetched, autoescaped."""
    drawn = {name: page.svg(fig, ALT[name]) for name, fig in figures(data).items()}
    return (
        environment()
        .get_template("ethics_report.html")
        .render(
            r=data,
            svg=drawn,
            handling=handling_rows(data["rights"], data["complaints"]),
            tactful_version=__version__,
        )
    )


ALT = {
    "consent": "Line chart: share of people who granted each purpose, week by week.",
    "handling": "Bar chart: median and 90th-percentile days to handle each kind of request, "
    "with the deadline.",
    "held_back": "Bar chart: items held back from recommendations, per reason.",
    "messages_held": "Bar chart: messages held, per check that held them.",
}


@cache
def environment() -> jinja2.Environment:
    """The reports' environment (`reports.page`) with this page's filters as well."""
    base = page.environment()
    env = base.overlay()
    env.filters = {**base.filters, "days": days, "words": words, "day": day}
    env.globals = {**base.globals}
    return env


# -- formatting ----------------------------------------------------------------------------------
def words(code: object) -> str:
    """A code as words: "sensitive_category" -> "sensitive category"."""
    return str(code).replace("_", " ")


def days(value: object) -> str:
    """A duration in days, to a tenth; "n/a" when there is none."""
    return f"{value:,.1f}" if page.is_number(value) else "n/a"


def day(iso: object) -> str:
    """An ISO 8601 moment as its date and minute, in UTC as stored."""
    if not isinstance(iso, str):
        return "n/a"
    return iso[:16].replace("T", " ")
