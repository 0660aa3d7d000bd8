"""The ethics report's queries: counts grouped by the database, never a row per person.

Each function answers one question of `services.ethics` over a period (start, end] or at the
ends of its weeks, so the report stays fast on a store of many thousands of people. Nothing
here reads a subject id, a name or free text into Python: the rows are counts, kinds and
times. JSON held in decision and message records is unpacked by each backend's own JSON
functions (`_HELD_BACK`, `_FAILED_CHECKS`), as SQLAlchemy Core has no portable form for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import accumulate
from typing import Any, NamedTuple

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

from tactful.domain.subjects import AgeBand
from tactful.errors import InvalidInput
from tactful.storage import tables as t
from tactful.storage.tables import UTCDateTime


class Choice(NamedTuple):
    """A kind of consent choice, as the weekly counts of latest choices group them."""

    purpose: str
    status: str
    notice_version: str
    method: str


class RequestSpan(NamedTuple):
    """A rights request's kind and times (completed_at is None while it is open)."""

    kind: str
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None


class ComplaintSpan(NamedTuple):
    """A complaint's reason, status and times (resolved_at is None while it is open)."""

    reason: str
    status: str
    created_at: datetime
    due_at: datetime
    resolved_at: datetime | None


class ChoicesRecorded(NamedTuple):
    """How many consent records of one purpose, status and method were made."""

    purpose: str
    status: str
    method: str
    records: int


class HeldBack(NamedTuple):
    """Items held back for one reason, summed over decisions, and how many decisions."""

    reason: str
    items: int
    decisions: int


class FailedCheck(NamedTuple):
    """Messages held on one channel that failed the named check."""

    check: str
    channel: str
    messages: int


# -- consent, week by week ---------------------------------------------------------------------
def population_by_week(conn: Connection, week_ends: Sequence[datetime]) -> list[int]:
    """People counted at each week end (oldest first): those in the store by then, or who had
    made a recorded choice by then (an import may date choices before the person's row)."""
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
    week = week_of(first.c.since, week_ends)
    rows = conn.execute(select(week, func.count()).select_from(first).group_by(week))
    joined = [0] * (len(week_ends) + 1)
    for n, count in rows:
        joined[int(n)] += int(count)
    return list(accumulate(joined[:-1]))


def latest_choices_by_week(
    conn: Connection, week_ends: Sequence[datetime]
) -> dict[Choice, list[int]]:
    """Per kind of choice, how many people's latest choice it was at each week end; counted in
    the database by the weeks each choice was in force, which `week_of` works out per row.

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
        .where(c.recorded_at <= week_ends[-1])
        .subquery("spans")
    )
    weeks = len(week_ends)
    first = week_of(spans.c.since, week_ends)
    last = week_of(spans.c.until, week_ends)
    columns = (first, last, spans.c.purpose, spans.c.status, spans.c.notice_version)
    rows = conn.execute(
        select(*columns, spans.c.method, func.count())
        .select_from(spans)
        .group_by(*columns, spans.c.method)
    )
    changes: dict[Choice, list[int]] = {}
    for start, stop, purpose, status, version, method, count in rows:
        if int(start) < int(stop):
            change = changes.setdefault(Choice(purpose, status, version, method), [0] * (weeks + 1))
            change[int(start)] += int(count)
            change[int(stop)] -= int(count)
    return {key: list(accumulate(change[:-1])) for key, change in changes.items()}


def week_of(moment: Any, week_ends: Sequence[datetime]) -> Any:
    """The first week whose end is at or after `moment` (by number, from 0), as SQL; the
    number of weeks when there is none or `moment` is NULL. A span from `since` to `until`
    is in force at the ends of weeks `week_of(since)` up to, not including,
    `week_of(until)`. Bucketing each row this way (a binary search of nested CASEs, about
    log2(weeks) comparisons a row), rather than joining the rows with the weeks, keeps the
    cost one pass over the ledger however many weeks are asked for."""
    return case(
        (moment.is_(None), len(week_ends)),
        (moment > week_ends[-1], len(week_ends)),
        else_=_search(moment, week_ends, 0, len(week_ends)),
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


def choices_recorded(conn: Connection, start: datetime, end: datetime) -> list[ChoicesRecorded]:
    """Choices recorded in (start, end], counted per purpose, status and method (ordered so)."""
    c = t.consent_records.c
    rows = conn.execute(
        select(c.purpose, c.status, c.method, func.count())
        .where(*_within(c.recorded_at, start, end))
        .group_by(c.purpose, c.status, c.method)
        .order_by(c.purpose, c.status, c.method)
    )
    return [ChoicesRecorded(p, s, m, int(n)) for p, s, m, n in rows]


# -- rights requests and complaints ------------------------------------------------------------
def rights_requests_open_within(
    conn: Connection, start: datetime, end: datetime
) -> list[RequestSpan]:
    """Rights requests received by `end` and not completed by `start`: every one the period
    saw arrive, close or wait."""
    r = t.rights_requests.c
    rows = conn.execute(
        select(r.kind, r.received_at, r.due_at, r.completed_at).where(
            r.received_at <= end, or_(r.completed_at.is_(None), r.completed_at > start)
        )
    )
    return [RequestSpan(*row) for row in rows]


def complaints_open_within(conn: Connection, start: datetime, end: datetime) -> list[ComplaintSpan]:
    """Complaints filed by `end` and not resolved by `start` (their reason, never their text)."""
    c = t.complaints.c
    rows = conn.execute(
        select(c.reason, c.status, c.created_at, c.due_at, c.resolved_at).where(
            c.created_at <= end, or_(c.resolved_at.is_(None), c.resolved_at > start)
        )
    )
    return [ComplaintSpan(*row) for row in rows]


# -- guardrail activity ------------------------------------------------------------------------
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


def decisions_by_level(conn: Connection, start: datetime, end: datetime) -> dict[str, int]:
    """Decisions made in (start, end], per personalization level."""
    d = t.decisions.c
    rows = conn.execute(
        select(d.level, func.count()).where(*_within(d.created_at, start, end)).group_by(d.level)
    )
    return {level: int(n) for level, n in rows}


def items_held_back(conn: Connection, start: datetime, end: datetime) -> list[HeldBack]:
    """Per reason, the items the guardrails held back from the decisions of (start, end]."""
    return [
        HeldBack(str(row.reason), int(row.items), int(row.decisions))
        for row in _json_query(conn, _HELD_BACK, start, end)
    ]


def messages_by_outcome(
    conn: Connection, start: datetime, end: datetime
) -> list[tuple[str, str, int]]:
    """(channel, outcome, messages) for the messages decided in (start, end]."""
    m = t.messages.c
    rows = conn.execute(
        select(m.channel, m.outcome, func.count())
        .where(*_within(m.decided_at, start, end))
        .group_by(m.channel, m.outcome)
    )
    return [(channel, outcome, int(n)) for channel, outcome, n in rows]


def failed_checks_of_held_messages(
    conn: Connection, start: datetime, end: datetime
) -> list[FailedCheck]:
    """Per check and channel, the messages held in (start, end] that failed it."""
    return [
        FailedCheck(str(row.name), row.channel, int(row.messages))
        for row in _json_query(conn, _FAILED_CHECKS, start, end)
    ]


def protections_in_force(conn: Connection, at: datetime) -> dict[tuple[str, str], int]:
    """People with a protection in force at `at`, per (kind, category)."""
    p = t.protections.c
    rows = conn.execute(
        select(p.kind, p.category, func.count())
        .where(p.created_at <= at, or_(p.ends_at.is_(None), p.ends_at > at))
        .group_by(p.kind, p.category)
    )
    return {(kind, category): int(n) for kind, category, n in rows}


def objections_in_force(conn: Connection, at: datetime) -> int:
    """Objections raised by `at` and not lifted by then."""
    o = t.objections.c
    count = conn.execute(
        select(func.count()).where(o.raised_at <= at, or_(o.lifted_at.is_(None), o.lifted_at > at))
    ).scalar_one()
    return int(count)


def minors(conn: Connection) -> int:
    """People whose recorded age band is under 18, as the store holds it now (an age band
    carries no date, so it cannot be read as of the period's end)."""
    a = t.subject_attributes.c
    count = conn.execute(
        select(func.count()).where(a.age_band == AgeBand.UNDER_18.value)
    ).scalar_one()
    return int(count)


# -- helpers -----------------------------------------------------------------------------------
def _within(column: Any, start: datetime, end: datetime) -> tuple[Any, Any]:
    return column > start, column <= end


def _json_query(
    conn: Connection, queries: Mapping[str, str], start: datetime, end: datetime
) -> Sequence[Any]:
    sql = queries.get(conn.dialect.name)
    if sql is None:  # pragma: no cover - the store only opens SQLite and PostgreSQL
        raise InvalidInput(f"The ethics report cannot read a {conn.dialect.name} store.")
    query = text(sql).bindparams(
        bindparam("start", start, type_=UTCDateTime()),
        bindparam("end", end, type_=UTCDateTime()),
    )
    return conn.execute(query).all()
