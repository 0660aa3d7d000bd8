"""What the Console draws and words from the ethics report's figures: the consent plot in
the reader's language, the table of the same numbers, and guardrail codes as words.

The figures come from `services.ethics` (`EthicsReports.gather`), the same aggregates the
printable ethics report is made of, and the plot is that report's own (`reports.ethics`),
relabelled: its titles, axis names and dates are set again in the page's language, so the
drawing, its text alternative and the table beside it all read the same. Matplotlib is
imported only when a plot is drawn, never when the pages are mounted.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_date
from markupsafe import Markup

Translate = Callable[..., str]
# Week ends named on the axis: at most this many, evenly spaced, the last always among them
# (the report names up to 13, which overlap once its legend takes the right of the figure).
MOST_TICKS = 6
# Beyond this many weeks, the year is written too.
WEEKS_WITHOUT_YEAR = 26
# Drawings kept, by what they show (see `consent_plot`).
KEPT_DRAWINGS = 16


@dataclass(frozen=True, slots=True)
class ConsentTable:
    """Share granted per purpose at each week end: one row per week, one column per purpose."""

    purposes: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    sensitive: bool


def consent_tables(consent: Mapping[str, Any], period: Mapping[str, Any]) -> list[ConsentTable]:
    """The plotted numbers as tables, one per panel of the plot (sensitive opt-ins apart)."""
    series = list(consent.get("purposes", []))
    people = list(consent.get("subjects", []))
    tables = []
    for sensitive in (False, True):
        shown = [s for s in series if s["sensitive"] is sensitive]
        if not shown:
            continue
        rows = [
            {
                "week_end": week_end,
                "people": people[n] if n < len(people) else 0,
                "shares": [s["granted_share"][n] for s in shown],
            }
            for n, week_end in enumerate(period["week_ends"])
        ]
        tables.append(ConsentTable(shown, rows, sensitive))
    return tables


class _Drawings:
    """Consent plots already drawn, by what they show. Drawing one takes about a second
    (two panels, sixteen lines, laid out twice), while the figures change only when someone
    chooses: so the overview draws a plot once per change, language and day. The week ends
    move with the clock, but a drawing names them by the day, so one drawn earlier the same
    day is the same picture."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[str, Markup | None] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(consent: Mapping[str, Any], period: Mapping[str, Any], locale: str) -> str:
        shown = {
            "locale": locale,
            "days": [w[:10] for w in period["week_ends"]],
            "people": list(consent.get("subjects", [])),
            "series": [
                (s["purpose"], s["sensitive"], list(s["granted_share"]))
                for s in consent.get("purposes", [])
            ],
        }
        return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()

    def get(self, key: str) -> tuple[bool, Markup | None]:
        with self._lock:
            if key not in self._kept:
                return False, None
            self._kept.move_to_end(key)
            return True, self._kept[key]

    def put(self, key: str, drawing: Markup | None) -> None:
        with self._lock:
            self._kept[key] = drawing
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)


_DRAWINGS = _Drawings(KEPT_DRAWINGS)


def consent_plot(
    consent: Mapping[str, Any], period: Mapping[str, Any], t: Translate, locale: str
) -> Markup | None:
    """The ethics report's consent plot as an inline SVG in the page's language, with its
    text alternative; None when nobody was counted in the period."""
    key = _Drawings.key(consent, period, locale)
    found, drawing = _DRAWINGS.get(key)
    if not found:
        drawing = _draw_consent(consent, period, t, locale)
        _DRAWINGS.put(key, drawing)
    return drawing


def _draw_consent(
    consent: Mapping[str, Any], period: Mapping[str, Any], t: Translate, locale: str
) -> Markup | None:
    from tactful.reports.ethics import consent_figure
    from tactful.reports.page import plotting, svg

    fig = consent_figure(consent, period)
    if fig is None:
        return None
    series = list(consent.get("purposes", []))
    panels = [flag for flag in (False, True) if any(s["sensitive"] is flag for s in series)]
    weeks = [datetime.fromisoformat(w) for w in period["week_ends"]]
    with plotting():
        axes = fig.axes
        for ax, sensitive in zip(axes, panels, strict=True):
            if sensitive:
                top = f"{ax.get_ylim()[1]:g}"
                title = t("Opt-ins to sensitive categories (scale 0 to %(top)s%%)", top=top)
            else:
                title = t("Personalization, statistics, marketing and advertising")
            ax.set_title(title, loc="left")
            ax.set_ylabel(t("People who granted it (%)"))
        _week_axis(axes[-1], weeks, locale)
        axes[-1].set_xlabel(t("Week ending (UTC)"))
    alt = t(
        "Line chart: the share of people who had granted each purpose at the end of each "
        "week. The same numbers are in the table below."
    )
    return svg(fig, alt)


def _week_axis(ax: Any, weeks: Sequence[datetime], locale: str) -> None:
    """Week ends written as the reader writes dates, a few evenly spaced ones up to the
    last; with the year (slanted, to fit) over a long period."""
    step = math.ceil(len(weeks) / MOST_TICKS)
    shown = list(weeks[::-1][::step])[::-1]
    if len(weeks) <= WEEKS_WITHOUT_YEAR:
        ax.set_xticks(shown, [format_date(w, "d MMM", locale=locale) for w in shown])
        return
    ax.set_xticks(
        shown,
        [format_date(w, "d MMM y", locale=locale) for w in shown],
        rotation=30,
        horizontalalignment="right",
    )


# -- guardrail codes as words ------------------------------------------------------------------
def held_back_words(t: Translate) -> dict[str, str]:
    """Why items were held back from a list (`guardrails.filters.apply_filters`)."""
    return {
        "not_in_catalog": t("No longer in the catalogue"),
        "sensitive_category": t("Sensitive category without the person's opt-in"),
        "self_excluded": t("Category the person excluded themselves from"),
        "vulnerability": t("Harm-prone category, for a person who said they are vulnerable"),
        "already_purchased": t("Already bought or rated"),
        "reported_by_you": t("Reported by the person in a complaint"),
        "not_interested": t("The person said they are not interested"),
    }


def check_words(t: Translate) -> dict[str, str]:
    """The checks a message must pass (`messaging.rules.decide_message`)."""
    return {
        "channel": t("No purpose configured for the channel"),
        "consent": t("No consent to the channel's purpose"),
        "profiling": t("Profiled campaign not allowed for this person"),
        "sensitive_category": t("Sensitive category without the person's opt-in"),
        "self_exclusion": t("Category the person excluded themselves from"),
        "vulnerability": t("Harm-prone category, for a person who said they are vulnerable"),
        "cap": t("Frequency cap reached"),
        "fewer_messages": t("The person asked for fewer messages"),
        "fatigue": t("No engagement with the last messages (fatigue)"),
        "quiet_hours": t("Within the person's quiet hours"),
        "copy": t("Manipulative copy"),
    }


def words(code: str, known: Mapping[str, str]) -> str:
    """A code in words: its translation when known, else the code with spaces."""
    return known.get(code) or code.replace("_", " ")
