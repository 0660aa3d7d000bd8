"""The ethics report's sections, assembled from what `storage.ethics` counted.

Pure functions of what was read (no connection, no clock), so each figure's arithmetic can
be read, and checked, apart from how it was fetched: the weeks of a `Period`, the latest
fairness audit's checks and key figures, rights requests' and complaints' handling times,
and guardrail tallies. `services.ethics` reads the store and calls these. A stored audit
result is read defensively: a field it lacks leaves a blank in the report, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from tactful.errors import FieldError, InvalidInput
from tactful.storage.ethics import (
    ComplaintSpan,
    FailedCheck,
    HeldBack,
    RequestSpan,
)
from tactful.storage.fairness_audits import AuditRun
from tactful.storage.protections import SELF_EXCLUSION, VULNERABLE

MAX_WEEKS = 260
WEEK = timedelta(days=7)
DAY_SECONDS = 86_400.0
RIGHTS_KINDS = ("access", "rectification", "erasure")
FULL_REPORT_PATH = "/v1/fairness-audits/{audit_id}/report"


@dataclass(frozen=True)
class Period:
    """The weeks a report covers: (start, end], and the end of each week, oldest first."""

    start: datetime
    end: datetime
    week_ends: tuple[datetime, ...]

    @classmethod
    def of(cls, weeks: object, end: datetime) -> Period:
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
            raise InvalidInput(
                "The report period is invalid.",
                [FieldError("weeks", f"must be a whole number of weeks from 1 to {MAX_WEEKS}")],
            )
        if end.tzinfo is None or end.utcoffset() is None:
            raise InvalidInput(
                "The report period is invalid.",
                [FieldError("now", "must be a date-time with a time zone")],
            )
        end = end.astimezone(UTC)
        ends = tuple(end - WEEK * (weeks - 1 - n) for n in range(weeks))
        return cls(end - WEEK * weeks, end, ends)

    def holds(self, moment: datetime) -> bool:
        """Whether `moment` falls in the period (after its start, up to its end)."""
        return self.start < moment <= self.end

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks": len(self.week_ends),
            "week_ends": [w.isoformat() for w in self.week_ends],
        }


# -- the latest fairness audit -----------------------------------------------------------------
def audit_section(run: AuditRun | None) -> dict[str, Any] | None:
    """The newest audit run's summary, its checks (crossed first) and key figures; None when
    no audit has been run."""
    if run is None:
        return None
    result = run.result
    checks = [c for c in _list(result.get("checks")) if isinstance(c, Mapping)]
    checks.sort(key=lambda c: not c.get("crossed"))
    return {
        "summary": run.summary(),
        "acknowledged": run.acknowledged_at is not None,
        "full_report": FULL_REPORT_PATH.format(audit_id=run.audit_id),
        "counts": dict(_map(result.get("counts"))),
        "checks": [dict(c) for c in checks],
        "check_kinds": check_kinds(checks),
        "figures": audit_figures(result),
    }


def check_kinds(checks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per kind of check: how many were made and crossed, and the value furthest on the
    wrong side (the lowest for a floor, the highest for a ceiling). An audit may make
    hundreds of checks; this is what a reader takes in first."""
    kinds: dict[str, dict[str, Any]] = {}
    for check in checks:
        name = str(check.get("check"))
        kind = kinds.setdefault(
            name,
            {
                "check": name,
                "bound": check.get("bound"),
                "threshold": check.get("threshold"),
                "checked": 0,
                "crossed": 0,
                "worst": None,
            },
        )
        kind["checked"] += 1
        kind["crossed"] += int(bool(check.get("crossed")))
        value, worst = check.get("value"), kind["worst"]
        if _finite(value) and (
            worst is None or (value < worst if kind["bound"] == "min" else value > worst)
        ):
            kind["worst"] = value
    return sorted(kinds.values(), key=lambda k: (-k["crossed"], k["check"]))


def audit_figures(result: Mapping[str, Any]) -> dict[str, Any]:
    """What a reader needs from an audit at a glance (the full report has the rest)."""
    popularity = _map(result.get("popularity"))
    return {
        "accuracy": dict(_map(result.get("accuracy"))),
        "quality": _worst_quality_gaps(_map(result.get("quality"))),
        "exposure_gini": _map(result.get("exposure")).get("gini"),
        "coverage": popularity.get("coverage"),
        "long_tail_share": popularity.get("long_tail_share"),
        "miscalibration": popularity.get("miscalibration"),
        "targeting_flags": _targeting_flags(_list(result.get("targeting"))),
    }


_GAP_FIELDS = ("metric", "worst_group", "best_group", "worst", "best", "ratio")


def _worst_quality_gaps(quality: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per attribute, the metric whose worst group fares worst against the best (lowest
    ratio); an attribute with no measurable gap is left out."""
    worst_gaps = []
    for attribute, breakdown in sorted(quality.items()):
        gaps = [
            dict(g) | {"metric": str(g.get("metric", metric))}
            for metric, g in sorted(_map(_map(breakdown).get("gaps")).items())
            if isinstance(g, Mapping) and _finite(g.get("ratio"))
        ]
        if gaps:
            worst = min(gaps, key=lambda g: float(g["ratio"]))
            worst_gaps.append({"attribute": attribute} | pick(worst, _GAP_FIELDS))
    return worst_gaps


def _targeting_flags(targeting: Sequence[Any]) -> list[dict[str, Any]]:
    """Every targeting rate that flagged a group (adverse impact), with the groups' ratios."""
    flags = []
    for segment in targeting:
        segment = _map(segment)
        for attribute, report in sorted(_map(segment.get("reports")).items()):
            for rate, impact in sorted(_map(_map(report).get("impact")).items()):
                impact = _map(impact)
                flagged = [str(g) for g in _list(impact.get("flagged"))]
                if flagged:
                    groups = _map(impact.get("groups"))
                    flags.append(
                        {
                            "kind": segment.get("kind"),
                            "segment": segment.get("segment"),
                            "attribute": attribute,
                            "rate": rate,
                            "reference_group": impact.get("reference_group"),
                            "groups": [
                                {"group": g, "ratio": _map(groups.get(g)).get("ratio")}
                                for g in flagged
                            ],
                        }
                    )
    return flags


# -- rights requests and complaints ------------------------------------------------------------
def rights_section(
    period: Period, deadline_days: int, requests: Sequence[RequestSpan]
) -> dict[str, Any]:
    """Per kind of request: received and completed in the period, open and overdue at its
    end, completed after their due date, and handling times of those completed."""
    kinds = list(RIGHTS_KINDS) + sorted({r.kind for r in requests} - set(RIGHTS_KINDS))
    return {
        "deadline_days": deadline_days,
        "kinds": [
            {"kind": kind}
            | _handling(
                period,
                [(r.received_at, r.due_at, r.completed_at) for r in requests if r.kind == kind],
            )
            for kind in kinds
        ],
    }


def complaints_section(
    period: Period, deadline_days: int, complaints: Sequence[ComplaintSpan]
) -> dict[str, Any]:
    """Complaints like rights requests (filed, closed, open, overdue, handling times), the
    closed ones split into resolved and rejected, and those filed by reason."""
    figures = _handling(period, [(c.created_at, c.due_at, c.resolved_at) for c in complaints])
    closed = [c for c in complaints if c.resolved_at is not None and period.holds(c.resolved_at)]
    filed = [c for c in complaints if period.holds(c.created_at)]
    return {
        "deadline_days": deadline_days,
        **figures,
        "resolved": sum(1 for c in closed if c.status == "resolved"),
        "rejected": sum(1 for c in closed if c.status == "rejected"),
        "by_reason": sorted_counts(_tally(c.reason for c in filed)),
    }


def _handling(
    period: Period, rows: Sequence[tuple[datetime, datetime, datetime | None]]
) -> dict[str, Any]:
    """Counts and handling times of requests given as (received, due, completed)."""
    end = period.end
    done = [(r, d, c) for r, d, c in rows if c is not None and period.holds(c)]
    still_open = [(r, d) for r, d, c in rows if c is None or c > end]
    days = [(c - r).total_seconds() / DAY_SECONDS for r, _, c in done]
    return {
        "received": sum(1 for r, _, _ in rows if period.holds(r)),
        "completed": len(done),
        "open": len(still_open),
        "overdue": sum(1 for _, d in still_open if d < end),
        "completed_late": sum(1 for _, d, c in done if c > d),
        "handling_days": spread(days),
    }


def spread(days: Sequence[float]) -> dict[str, float | None]:
    """Median, 90th percentile (linear between the closest ranks) and maximum, in days."""
    if not days:
        return {"median": None, "p90": None, "max": None}
    values = np.asarray(days, dtype=np.float64)
    median, p90 = np.percentile(values, [50.0, 90.0])
    return {
        "median": round(float(median), 3),
        "p90": round(float(p90), 3),
        "max": round(float(values.max()), 3),
    }


# -- guardrail activity ------------------------------------------------------------------------
def decisions_figures(levels: Mapping[str, int], held_back: Sequence[HeldBack]) -> dict[str, Any]:
    """Decisions of the period per level, and the items held back per reason (most first)."""
    held = [row._asdict() for row in held_back]
    held.sort(key=lambda h: (-h["items"], h["reason"]))
    return {
        "total": sum(levels.values()),
        "by_level": sorted_counts(levels),
        "held_back": held,
    }


def messages_figures(
    outcomes: Sequence[tuple[str, str, int]], failed: Sequence[FailedCheck]
) -> dict[str, Any]:
    """Messages of the period sent and held per channel, and the holds per failed check (a
    message held for two reasons counts under both)."""
    channels: dict[str, dict[str, int]] = {}
    for channel, outcome, n in outcomes:
        row = channels.setdefault(channel, {"sent": 0, "held": 0})
        row["sent" if outcome == "send" else "held"] += n
    checks: dict[str, dict[str, int]] = {}
    for check, channel, messages in failed:
        per_channel = checks.setdefault(check, {})
        per_channel[channel] = per_channel.get(channel, 0) + messages
    held_by_check: list[dict[str, Any]] = [
        {"check": name, "messages": sum(per.values()), "by_channel": dict(sorted(per.items()))}
        for name, per in checks.items()
    ]
    held_by_check.sort(key=lambda h: (-h["messages"], h["check"]))
    sent = sum(r["sent"] for r in channels.values())
    held = sum(r["held"] for r in channels.values())
    return {
        "total": sent + held,
        "sent": sent,
        "held": held,
        "by_channel": [{"channel": ch} | channels[ch] for ch in sorted(channels)],
        "held_by_check": held_by_check,
    }


def protections_figures(
    in_force: Mapping[tuple[str, str], int], objections: int, minors: int
) -> dict[str, Any]:
    """The protections people had in force at the period's end: self-exclusions per
    category, vulnerability flags, objections, and the minors the store knows of."""
    excluded = {category: n for (kind, category), n in in_force.items() if kind == SELF_EXCLUSION}
    return {
        "self_exclusions": dict(sorted(excluded.items())),
        "self_exclusions_total": sum(excluded.values()),
        "vulnerable": sum(n for (kind, _), n in in_force.items() if kind == VULNERABLE),
        "objections": objections,
        "minors": minors,
    }


# -- small helpers -----------------------------------------------------------------------------
def share(part: int, whole: int) -> float | None:
    """`part` of `whole`, rounded to 6 places; None when `whole` is 0 (no share to show)."""
    return None if whole == 0 else round(part / whole, 6)


def _tally(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def sorted_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts by name in name order, so the JSON reads the same on every run and backend."""
    return dict(sorted(counts.items()))


# -- reading a stored audit result, defensively ------------------------------------------------
def _map(value: object) -> Mapping[str, Any]:
    """A stored result's part as a mapping, or an empty one."""
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _finite(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def pick(mapping: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The mapping's values for `keys` (None for one it lacks), in that order."""
    return {key: mapping.get(key) for key in keys}
