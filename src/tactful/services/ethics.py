"""The ethics report's figures, gathered from the store for a regulator or an internal review.

One document answers "is this system used fairly and lawfully?" over a period (the last
`weeks` weeks up to `now`): the latest fairness audit, the consent rates per purpose week by
week, the rights requests and complaints with their handling times, the guardrails' activity
and the recommenders' main parameters. Everything is an aggregate: a count, a share, a
duration. No subject id, name, email or free text of anyone is read into it, so the report
can leave the building.

The counts are computed by the database (a few grouped queries, none per person), so the
report stays fast on a store of many thousands of people. JSON held in decision and message
records is unpacked by each backend's own JSON functions (`_HELD_BACK`, `_FAILED_CHECKS`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sqlalchemy import (
    Connection,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)

from tactful.audit.chain import AuditAction
from tactful.consent.ledger import ConsentStatus
from tactful.consent.notice import PublishedNotice
from tactful.domain.subjects import AgeBand
from tactful.errors import FieldError, InvalidInput
from tactful.storage import fairness_audits
from tactful.storage import tables as t
from tactful.storage.protections import SELF_EXCLUSION, VULNERABLE
from tactful.storage.tables import UTCDateTime

if TYPE_CHECKING:
    from tactful.service import Tactful

DEFAULT_WEEKS = 26
MAX_WEEKS = 260
WEEK = timedelta(days=7)
DAY_SECONDS = 86_400.0
RIGHTS_KINDS = ("access", "rectification", "erasure")
COMPLAINTS = "complaints"
FULL_REPORT_PATH = "/v1/fairness-audits/{audit_id}/report"
Format = Literal["html", "json"]


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks": len(self.week_ends),
            "week_ends": [w.isoformat() for w in self.week_ends],
        }


class EthicsReports:
    """`gather` the figures (JSON-ready), `render` them as one printable page, or `make` a
    report for someone, which the audit log records."""

    def __init__(self, service: Tactful) -> None:
        self.service = service

    def gather(self, weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> dict[str, Any]:
        """Every figure of the report for the `weeks` weeks up to `now` (default: the
        service clock)."""
        svc = self.service
        period = Period.of(weeks, now if now is not None else svc.clock())
        history = svc.notices.history()
        published = history[-1]
        with svc.store.reading() as conn:
            catalog = svc.notices.catalog(conn)
            purposes = [(p.code, p.title, p.sensitive_category is not None) for p in catalog]
            data: dict[str, Any] = {
                "report": "ethics",
                "version": 1,
                "generated_at": svc.clock().astimezone(UTC).isoformat(),
                "period": period.as_dict(),
                "controller": published.notice.controller.name,
                "notice_version": published.notice.version,
                "audit": audit_section(conn),
                "consent": consent_section(conn, period, purposes, history),
                "rights": rights_section(conn, period, svc.settings.rights_request_days),
                "complaints": complaints_section(conn, period, svc.settings.complaint_days),
                "guardrails": guardrails_section(conn, period),
            }
        data["recommenders"] = recommenders_section(svc)
        return data

    def render(self, data: Mapping[str, Any]) -> str:
        """The gathered figures as one self-contained, printable HTML page."""
        from tactful.reports.ethics import render_ethics

        return render_ethics(data)

    def make(
        self, weeks: int = DEFAULT_WEEKS, *, fmt: Format = "html", now: datetime | None = None
    ) -> tuple[dict[str, Any], str | None]:
        """A report made for someone (CLI or HTTP): the figures, the page when `fmt` is
        html, and an `ethics_report.made` entry naming the current actor and the period."""
        if fmt not in ("html", "json"):
            raise InvalidInput(
                "Unknown report format.", [FieldError("format", "must be html or json")]
            )
        data = self.gather(weeks, now)
        page = self.render(data) if fmt == "html" else None
        period = data["period"]
        self.service.audit.record(
            AuditAction.ETHICS_REPORT_MADE,
            detail={
                "start": period["start"],
                "end": period["end"],
                "weeks": period["weeks"],
                "format": fmt,
            },
        )
        return data, page


# -- 1. the latest fairness audit --------------------------------------------------------------
def audit_section(conn: Connection) -> dict[str, Any] | None:
    """The newest audit run's summary, its checks (crossed first) and key figures; None when
    no audit has been run."""
    run = fairness_audits.latest(conn)
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
    quality = []
    for attribute, breakdown in sorted(_map(result.get("quality")).items()):
        gaps = [
            dict(g) | {"metric": str(g.get("metric", metric))}
            for metric, g in sorted(_map(_map(breakdown).get("gaps")).items())
            if isinstance(g, Mapping) and _finite(g.get("ratio"))
        ]
        if gaps:
            worst = min(gaps, key=lambda g: float(g["ratio"]))
            quality.append({"attribute": attribute} | _pick(worst, _GAP_FIELDS))
    flags = []
    for segment in _list(result.get("targeting")):
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
    return {
        "accuracy": dict(_map(result.get("accuracy"))),
        "quality": quality,
        "exposure_gini": _map(result.get("exposure")).get("gini"),
        "coverage": popularity.get("coverage"),
        "long_tail_share": popularity.get("long_tail_share"),
        "miscalibration": popularity.get("miscalibration"),
        "targeting_flags": flags,
    }


_GAP_FIELDS = ("metric", "worst_group", "best_group", "worst", "best", "ratio")


# -- 2. consent rates per purpose, week by week -------------------------------------------------
def consent_section(
    conn: Connection,
    period: Period,
    purposes: Sequence[tuple[str, str, bool]],
    history: Sequence[PublishedNotice],
) -> dict[str, Any]:
    """For each purpose of the notice in force and each week end: how many people had
    granted it, refused or withdrawn it, or made no choice yet, by their latest choice at
    that moment. Grants made against a notice that has since widened the purpose count as
    `stale` (not granted: the person must choose again), as decisions count them."""
    weeks = len(period.week_ends)
    population = _population(conn, period)
    codes = [code for code, _, _ in purposes]
    zero = {code: [0] * weeks for code in codes}
    granted, refused, stale = ({k: list(v) for k, v in zero.items()} for _ in range(3))
    latest_methods: dict[str, dict[str, dict[str, int]]] = {
        code: {"granted": {}, "refused": {}} for code in codes
    }
    renewals = [_renewals(history, moment) for moment in period.week_ends]
    for (purpose, status, version, method), counts in _latest_choices(conn, period).items():
        if purpose not in zero:
            continue  # a purpose the notice in force no longer declares
        kind = "granted" if status == ConsentStatus.GRANTED else "refused"
        for week, count in enumerate(counts):
            if kind == "refused":
                refused[purpose][week] += count
                continue
            order, renewed = renewals[week]
            since = renewed.get(purpose)
            is_stale = since is not None and order.get(version, 0) < since
            (stale if is_stale else granted)[purpose][week] += count
        if counts[-1]:
            bucket = latest_methods[purpose][kind]
            bucket[method] = bucket.get(method, 0) + counts[-1]
    series = []
    for code, title, sensitive in purposes:
        no_choice = [
            population[w] - granted[code][w] - refused[code][w] - stale[code][w]
            for w in range(weeks)
        ]
        shares = [_share(granted[code][w], population[w]) for w in range(weeks)]
        series.append(
            {
                "purpose": code,
                "title": title,
                "sensitive": sensitive,
                "granted": granted[code],
                "refused": refused[code],
                "stale": stale[code],
                "no_choice": no_choice,
                "granted_share": shares,
                "latest": {
                    "subjects": population[-1],
                    "granted": granted[code][-1],
                    "refused": refused[code][-1],
                    "stale": stale[code][-1],
                    "no_choice": no_choice[-1],
                    "granted_share": shares[-1],
                    "granted_by_method": _sorted_counts(latest_methods[code]["granted"]),
                    "refused_by_method": _sorted_counts(latest_methods[code]["refused"]),
                },
            }
        )
    return {
        "subjects": population,
        "purposes": series,
        "changes": _changes_in_period(conn, period, set(codes)),
    }


def _population(conn: Connection, period: Period) -> list[int]:
    """People counted at each week end: those in the store by then, or who had made a
    recorded choice by then (an import may date choices before the person's row)."""
    s, c = t.subjects.c, t.consent_records.c
    known = union_all(
        select(s.subject_id, s.created_at.label("since")),
        select(c.subject_id, func.min(c.recorded_at).label("since")).group_by(c.subject_id),
    ).subquery("known")
    first = (
        select(known.c.subject_id, func.min(known.c.since).label("since"))
        .group_by(known.c.subject_id)
        .subquery("first")
    )
    week = _week_of(first.c.since, period)
    rows = conn.execute(select(week, func.count()).select_from(first).group_by(week))
    joined = [0] * (len(period.week_ends) + 1)
    for n, count in rows:
        joined[int(n)] += int(count)
    return list(accumulate(joined[:-1]))


def _latest_choices(conn: Connection, period: Period) -> dict[tuple[str, str, str, str], list[int]]:
    """Per (purpose, status, notice version, method), how many people's latest choice it
    was at each week end; counted in the database by the weeks each choice was in force,
    which `_week_of` works out per row.

    A record is the latest at moment T when it was recorded by T and no record after it in
    the ledger was: so it holds from its own time until the earliest time recorded by any
    later record of the same person and purpose (the ledger order decides, as
    `derive_state` does, even when an import dates a later record earlier)."""
    c = t.consent_records.c
    until = func.min(c.recorded_at).over(
        partition_by=(c.subject_id, c.purpose), order_by=c.sequence, rows=(1, None)
    )
    spans = (
        select(
            c.purpose,
            c.status,
            c.notice_version,
            c.method,
            c.recorded_at.label("since"),
            until.label("until"),
        )
        .where(c.recorded_at <= period.end)
        .subquery("spans")
    )
    weeks = len(period.week_ends)
    first = _week_of(spans.c.since, period)
    last = _week_of(spans.c.until, period)
    columns = (first, last, spans.c.purpose, spans.c.status, spans.c.notice_version)
    rows = conn.execute(
        select(*columns, spans.c.method, func.count())
        .select_from(spans)
        .group_by(*columns, spans.c.method)
    )
    changes: dict[tuple[str, str, str, str], list[int]] = {}
    for start, stop, purpose, status, version, method, count in rows:
        if int(start) < int(stop):
            change = changes.setdefault((purpose, status, version, method), [0] * (weeks + 1))
            change[int(start)] += int(count)
            change[int(stop)] -= int(count)
    return {key: list(accumulate(change[:-1])) for key, change in changes.items()}


def _week_of(moment: Any, period: Period) -> Any:
    """The first week whose end is at or after `moment` (by number, from 0), as SQL; the
    number of weeks when there is none or `moment` is NULL. A span from `since` to `until`
    is in force at the ends of weeks `_week_of(since)` up to, not including,
    `_week_of(until)`. Bucketing each row this way (a binary search of nested CASEs, about
    log2(weeks) comparisons a row), rather than joining the rows with the weeks, keeps the
    cost one pass over the ledger however many weeks are asked for."""
    ends = period.week_ends
    return case(
        (moment.is_(None), len(ends)),
        (moment > period.end, len(ends)),
        else_=_search(moment, ends, 0, len(ends)),
    )


def _search(moment: Any, ends: Sequence[datetime], low: int, high: int) -> Any:
    """The first n in [low, high) with `moment` <= ends[n], else `high`."""
    if low == high:
        return literal(high)
    middle = (low + high) // 2
    return case(
        (moment <= ends[middle], _search(moment, ends, low, middle)),
        else_=_search(moment, ends, middle + 1, high),
    )


def _renewals(
    history: Sequence[PublishedNotice], moment: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """The notice versions' order, and per purpose the version that last added to or widened
    it, among the versions published by `moment` (see `PurposeCatalog.is_stale`)."""
    order = {p.notice.version: p.sequence for p in history}
    renewed: dict[str, int] = {}
    for published in sorted(history, key=lambda p: p.sequence):
        if published.published_at <= moment:
            for code in published.changes:
                renewed[code] = published.sequence
    return order, renewed


def _changes_in_period(conn: Connection, period: Period, codes: set[str]) -> list[dict[str, Any]]:
    """Choices recorded in the period, per purpose, status and method: how refusals and
    withdrawals arrived (a person's own form, a Global Privacy Control signal, a TCF string,
    an unsubscribe link, an import)."""
    c = t.consent_records.c
    rows = conn.execute(
        select(c.purpose, c.status, c.method, func.count())
        .where(*_within(c.recorded_at, period))
        .group_by(c.purpose, c.status, c.method)
        .order_by(c.purpose, c.status, c.method)
    )
    return [
        {"purpose": purpose, "status": status, "method": method, "count": int(count)}
        for purpose, status, method, count in rows
        if purpose in codes
    ]


# -- 3. rights requests and complaints ----------------------------------------------------------
def rights_section(conn: Connection, period: Period, deadline_days: int) -> dict[str, Any]:
    """Per kind of request: received and completed in the period, open and overdue at its
    end, completed after their due date, and handling times of those completed."""
    r = t.rights_requests.c
    start, end = period.start, period.end
    rows = conn.execute(
        select(r.kind, r.received_at, r.due_at, r.completed_at).where(
            r.received_at <= end, or_(r.completed_at.is_(None), r.completed_at > start)
        )
    ).all()
    kinds = list(RIGHTS_KINDS) + sorted({row.kind for row in rows} - set(RIGHTS_KINDS))
    return {
        "deadline_days": deadline_days,
        "kinds": [
            {"kind": kind}
            | _handling(
                period,
                [(x.received_at, x.due_at, x.completed_at) for x in rows if x.kind == kind],
            )
            for kind in kinds
        ],
    }


def complaints_section(conn: Connection, period: Period, deadline_days: int) -> dict[str, Any]:
    """Complaints like rights requests (filed, closed, open, overdue, handling times), the
    closed ones split into resolved and rejected, and those filed by reason."""
    c = t.complaints.c
    start, end = period.start, period.end
    rows = conn.execute(
        select(c.reason, c.status, c.created_at, c.due_at, c.resolved_at).where(
            c.created_at <= end, or_(c.resolved_at.is_(None), c.resolved_at > start)
        )
    ).all()
    figures = _handling(period, [(x.created_at, x.due_at, x.resolved_at) for x in rows])
    closed = [x for x in rows if x.resolved_at is not None and _in(x.resolved_at, period)]
    filed = [x for x in rows if _in(x.created_at, period)]
    return {
        "deadline_days": deadline_days,
        **figures,
        "resolved": sum(1 for x in closed if x.status == "resolved"),
        "rejected": sum(1 for x in closed if x.status == "rejected"),
        "by_reason": _sorted_counts(_tally(x.reason for x in filed)),
    }


def _handling(
    period: Period, rows: Sequence[tuple[datetime, datetime, datetime | None]]
) -> dict[str, Any]:
    """Counts and handling times of requests given as (received, due, completed)."""
    end = period.end
    done = [(r, d, c) for r, d, c in rows if c is not None and _in(c, period)]
    still_open = [(r, d) for r, d, c in rows if c is None or c > end]
    days = [(c - r).total_seconds() / DAY_SECONDS for r, _, c in done]
    return {
        "received": sum(1 for r, _, _ in rows if _in(r, period)),
        "completed": len(done),
        "open": len(still_open),
        "overdue": sum(1 for _, d in still_open if d < end),
        "completed_late": sum(1 for _, d, c in done if c > d),
        "handling_days": _spread(days),
    }


def _spread(days: Sequence[float]) -> dict[str, float | None]:
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


# -- 4. guardrail activity ----------------------------------------------------------------------
# Items held back, per reason, summed over the decisions of the period (JSON unpacked by
# each backend; a reason with no item held back is not counted).
_HELD_BACK = {
    "sqlite": """
        SELECT j.key AS reason, SUM(j.value) AS items, COUNT(*) AS decisions
        FROM decisions AS d, json_each(d.record, '$.held_back') AS j
        WHERE d.created_at > :start AND d.created_at <= :end AND j.value > 0
        GROUP BY j.key""",
    "postgresql": """
        SELECT j.key AS reason, SUM(j.value::bigint) AS items, COUNT(*) AS decisions
        FROM decisions AS d, jsonb_each_text(d.record -> 'held_back') AS j
        WHERE d.created_at > :start AND d.created_at <= :end AND j.value::bigint > 0
        GROUP BY j.key""",
}
# Messages held, per failed check and channel (a hold names every check it failed).
_FAILED_CHECKS = {
    "sqlite": """
        SELECT json_extract(c.value, '$.name') AS name, m.channel AS channel,
               COUNT(*) AS messages
        FROM messages AS m, json_each(m.record, '$.checks') AS c
        WHERE m.decided_at > :start AND m.decided_at <= :end AND m.outcome = 'hold'
          AND json_extract(c.value, '$.passed') = 0
        GROUP BY 1, 2""",
    "postgresql": """
        SELECT c ->> 'name' AS name, m.channel AS channel, COUNT(*) AS messages
        FROM messages AS m, jsonb_array_elements(m.record -> 'checks') AS c
        WHERE m.decided_at > :start AND m.decided_at <= :end AND m.outcome = 'hold'
          AND (c ->> 'passed')::boolean = false
        GROUP BY 1, 2""",
}


def guardrails_section(conn: Connection, period: Period) -> dict[str, Any]:
    """What the guardrails held back in the period (items from decisions, messages), and the
    protections people had in force at its end. Counts only."""
    return {
        "decisions": _decisions(conn, period),
        "messages": _messages(conn, period),
        "protections": _protections(conn, period.end),
    }


def _decisions(conn: Connection, period: Period) -> dict[str, Any]:
    d = t.decisions.c
    levels = {
        level: int(n)
        for level, n in conn.execute(
            select(d.level, func.count()).where(*_within(d.created_at, period)).group_by(d.level)
        )
    }
    held: list[dict[str, Any]] = [
        {"reason": str(row.reason), "items": int(row.items), "decisions": int(row.decisions)}
        for row in _json_query(conn, _HELD_BACK, period)
    ]
    held.sort(key=lambda h: (-h["items"], h["reason"]))
    return {
        "total": sum(levels.values()),
        "by_level": _sorted_counts(levels),
        "held_back": held,
    }


def _messages(conn: Connection, period: Period) -> dict[str, Any]:
    m = t.messages.c
    channels: dict[str, dict[str, int]] = {}
    for channel, outcome, n in conn.execute(
        select(m.channel, m.outcome, func.count())
        .where(*_within(m.decided_at, period))
        .group_by(m.channel, m.outcome)
    ):
        row = channels.setdefault(channel, {"sent": 0, "held": 0})
        row["sent" if outcome == "send" else "held"] += int(n)
    checks: dict[str, dict[str, int]] = {}
    for row in _json_query(conn, _FAILED_CHECKS, period):
        per_channel = checks.setdefault(str(row.name), {})
        per_channel[row.channel] = per_channel.get(row.channel, 0) + int(row.messages)
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


def _protections(conn: Connection, end: datetime) -> dict[str, Any]:
    p, o, a = t.protections.c, t.objections.c, t.subject_attributes.c
    at = end
    excluded: dict[str, int] = {}
    vulnerable = 0
    for kind, category, n in conn.execute(
        select(p.kind, p.category, func.count())
        .where(p.created_at <= at, or_(p.ends_at.is_(None), p.ends_at > at))
        .group_by(p.kind, p.category)
    ):
        if kind == SELF_EXCLUSION:
            excluded[category] = int(n)
        elif kind == VULNERABLE:
            vulnerable += int(n)
    objections = conn.execute(
        select(func.count()).where(o.raised_at <= at, or_(o.lifted_at.is_(None), o.lifted_at > at))
    ).scalar_one()
    minors = conn.execute(
        select(func.count()).where(a.age_band == AgeBand.UNDER_18.value)
    ).scalar_one()
    return {
        "self_exclusions": dict(sorted(excluded.items())),
        "self_exclusions_total": sum(excluded.values()),
        "vulnerable": vulnerable,
        "objections": int(objections),
        "minors": int(minors),
    }


def _json_query(conn: Connection, queries: Mapping[str, str], period: Period) -> Sequence[Any]:
    sql = queries.get(conn.dialect.name)
    if sql is None:  # pragma: no cover - the store only opens SQLite and PostgreSQL
        raise InvalidInput(f"The ethics report cannot read a {conn.dialect.name} store.")
    query = text(sql).bindparams(
        bindparam("start", period.start, type_=UTCDateTime()),
        bindparam("end", period.end, type_=UTCDateTime()),
    )
    return conn.execute(query).all()


# -- 5. the recommenders' main parameters -------------------------------------------------------
def recommenders_section(service: Tactful) -> dict[str, Any]:
    """What the transparency document says (models in use, levels, re-rankers per surface),
    with each model's training data, the guardrail policy and the audit policy."""
    parameters = service.main_parameters()
    with service.store.reading() as conn:
        trained_on = {
            entry["name"]: dict(mv.trained_on)
            for entry in parameters["recommenders"]
            if (mv := service.store.latest_model(conn, entry["name"])) is not None
        }
    models = [
        _pick(entry, ("name", "roles", "summary", "status", "version", "trained_at"))
        | {
            "parameters": list(entry.get("parameters", [])),
            "trained_on": trained_on.get(entry["name"]),
        }
        for entry in parameters["recommenders"]
    ]
    levels = [
        {
            "level": level["level"],
            "recommender": level["recommender"],
            "based_on_profiling": level["based_on_profiling"],
            "turned_on_by": [p["purpose"] for p in level.get("turned_on_by", [])],
        }
        for level in parameters.get("levels", [])
    ]
    policy = service.guardrails
    unlocks = {
        p.sensitive_category: p.code for p in service.purposes if p.sensitive_category is not None
    }
    messaging = policy.messaging
    audit = service.audit_policy
    return {
        "models": models,
        "levels": levels,
        "surfaces": [
            {"surface": surface} | dict(described)
            for surface, described in sorted(parameters.get("surfaces", {}).items())
        ],
        "guardrails": {
            "sensitive": [
                {
                    "code": s.code,
                    "title": s.title,
                    "catalog_categories": list(s.catalog_categories),
                    "unlocked_by": unlocks.get(s.code),
                }
                for s in policy.sensitive
            ],
            "self_excludable": list(policy.protection.self_excludable),
            "harm_prone": list(policy.protection.harm_prone),
            "cooling_off_days": policy.protection.self_exclusion_cooling_off_days,
            "messaging": {
                "copy_check": messaging.copy_check,
                "quiet_hours": f"{messaging.quiet_hours.start:%H:%M}"
                f"-{messaging.quiet_hours.end:%H:%M}",
                "overall_cap": messaging.overall.model_dump(mode="json"),
                "fatigue": messaging.fatigue.model_dump(mode="json"),
                "fewer_messages_per_week": messaging.fewer_messages_per_week,
                "channels": {
                    str(channel): {"purpose": c.purpose, "cap": c.cap.model_dump(mode="json")}
                    for channel, c in sorted(messaging.channels.items())
                },
            },
        },
        "audit_policy": {
            "schedule": audit.schedule.model_dump(mode="json"),
            "measure": audit.measure.model_dump(mode="json"),
            "thresholds": [
                {"check": name, "bound": bound, "value": value}
                for name, (bound, value) in audit.thresholds.bounds().items()
            ],
        },
    }


# -- small helpers ------------------------------------------------------------------------------
def _within(column: Any, period: Period) -> tuple[Any, Any]:
    return column > period.start, column <= period.end


def _in(moment: datetime, period: Period) -> bool:
    return period.start < moment <= period.end


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 6)


def _tally(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def _sorted_counts(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items()))


def _map(value: object) -> Mapping[str, Any]:
    """A stored result's part as a mapping (an audit result is read defensively: a field it
    lacks leaves a blank in the report, never an error)."""
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _finite(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _pick(mapping: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: mapping.get(key) for key in keys}
