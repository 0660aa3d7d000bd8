"""Messaging decisions in the store: the per-person gate, the records, engagement, and the
one-click unsubscribe tokens (see `tables.messages` and `tables.message_gate`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tactful.guardrails.policy import Channel
from tactful.messaging.rules import PastMessage
from tactful.storage import tables as t

_M = t.messages.c
_G = t.message_gate

# Engagement kinds, weakest first: a stronger report replaces a weaker one, never the reverse.
ENGAGEMENTS = ("opened", "clicked", "converted")


def lock_gate(conn: Connection, subject_id: str, now: datetime) -> bool:
    """Take the person's messaging lock for the rest of the transaction; False when there is
    no such subject.

    The upsert is the transaction's first statement and a write: on SQLite (where pysqlite
    begins the transaction at the first write) it takes the database's write lock, on
    PostgreSQL the gate row's lock. Two decisions for one person are thereby made one after
    the other, each reading the sends the other committed, so a cap cannot be overrun by
    decisions made at the same moment. The row is made from the subject's own row, so an
    unknown subject inserts nothing.
    """
    statement = (
        postgresql.insert(_G)
        if conn.dialect.name == "postgresql"
        else sqlite.insert(_G)
        if conn.dialect.name == "sqlite"
        else None
    )
    if statement is None:  # pragma: no cover - the store runs on these two only
        raise RuntimeError(f"no messaging gate for {conn.dialect.name}")
    source = select(t.subjects.c.subject_id, literal(now, t.UTCDateTime())).where(
        t.subjects.c.subject_id == subject_id
    )
    upsert = statement.from_select(["subject_id", "last_decided_at"], source)
    result = conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[_G.c.subject_id],
            set_={"last_decided_at": upsert.excluded.last_decided_at},
        )
    )
    return bool(result.rowcount)


def sent_to(
    conn: Connection, subject_id: str, since: datetime, at_least: int, judged_before: datetime
) -> list[PastMessage]:
    """Messages sent to the person, newest first: all sent at or after `since` or
    `judged_before`, and the last `at_least` sent before `judged_before` too, so that fatigue
    sees the last `at_least` messages old enough to judge even when young ones came after
    them (what `MessageContext.sent` promises the rules, and more)."""
    base = (
        select(_M.message_id, _M.decided_at, _M.channel, _M.engagement)
        .where(_M.subject_id == subject_id, _M.outcome == "send")
        .order_by(_M.decided_at.desc(), _M.message_id)
    )
    recent = list(conn.execute(base.where(_M.decided_at >= min(since, judged_before))))
    older = conn.execute(base.where(_M.decided_at < judged_before).limit(at_least))
    seen = {r.message_id for r in recent}
    rows = recent + [r for r in older if r.message_id not in seen]
    rows.sort(key=lambda r: r.decided_at, reverse=True)
    return [PastMessage(r.decided_at, Channel(r.channel), r.engagement is not None) for r in rows]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    message_id: uuid.UUID
    subject_id: str
    channel: str
    campaign_id: str
    outcome: str
    record: dict[str, Any]
    decided_at: datetime
    engagement: str | None
    engaged_at: datetime | None


def add(
    conn: Connection,
    message: StoredMessage,
    unsubscribe_hash: str | None,
) -> None:
    conn.execute(
        insert(t.messages).values(
            message_id=message.message_id,
            subject_id=message.subject_id,
            channel=message.channel,
            campaign_id=message.campaign_id,
            outcome=message.outcome,
            record=message.record,
            decided_at=message.decided_at,
            engagement=message.engagement,
            engaged_at=message.engaged_at,
            unsubscribe_hash=unsubscribe_hash,
        )
    )


def _stored(row: Any) -> StoredMessage:
    return StoredMessage(
        message_id=row.message_id,
        subject_id=row.subject_id,
        channel=row.channel,
        campaign_id=row.campaign_id,
        outcome=row.outcome,
        record=dict(row.record),
        decided_at=row.decided_at,
        engagement=row.engagement,
        engaged_at=row.engaged_at,
    )


_COLUMNS = (
    _M.message_id,
    _M.subject_id,
    _M.channel,
    _M.campaign_id,
    _M.outcome,
    _M.record,
    _M.decided_at,
    _M.engagement,
    _M.engaged_at,
)


def get(conn: Connection, message_id: uuid.UUID) -> StoredMessage | None:
    row = conn.execute(select(*_COLUMNS).where(_M.message_id == message_id)).first()
    return None if row is None else _stored(row)


def by_unsubscribe_hash(conn: Connection, digest: str) -> StoredMessage | None:
    """The sent email whose unsubscribe token hashes to `digest`."""
    row = conn.execute(select(*_COLUMNS).where(_M.unsubscribe_hash == digest)).first()
    return None if row is None else _stored(row)


def record_engagement(conn: Connection, message_id: uuid.UUID, kind: str, at: datetime) -> bool:
    """Note an engagement with a sent message in one statement, so two reports at once
    cannot undo each other: the first time is kept, and the kind only ever grows stronger
    (opened < clicked < converted). False when nothing changed."""
    rank = {k: n for n, k in enumerate(ENGAGEMENTS)}
    weaker = [k for k in ENGAGEMENTS if rank[k] < rank[kind]]
    result = conn.execute(
        update(t.messages)
        .where(
            _M.message_id == message_id,
            _M.outcome == "send",
            or_(_M.engagement.is_(None), _M.engagement.in_(weaker)),
        )
        .values(
            engagement=kind,
            engaged_at=case((_M.engaged_at.is_(None), at), else_=_M.engaged_at),
        )
    )
    return bool(result.rowcount)


def of_subject(
    conn: Connection,
    subject_id: str,
    limit: int,
    before: tuple[datetime, uuid.UUID | None] | None = None,
) -> list[tuple[StoredMessage, str | None]]:
    """The person's messaging decisions with their campaign's title, newest first; `before`
    is the (time, id) of the last one seen (same instant: told apart by id)."""
    query = (
        select(*_COLUMNS, t.campaigns.c.title)
        .select_from(t.messages.outerjoin(t.campaigns, t.campaigns.c.campaign_id == _M.campaign_id))
        .where(_M.subject_id == subject_id)
    )
    if before is not None:
        moment, last_id = before
        if last_id is None:
            query = query.where(_M.decided_at < moment)
        else:
            query = query.where(
                or_(_M.decided_at < moment, and_(_M.decided_at == moment, _M.message_id > last_id))
            )
    rows = conn.execute(query.order_by(_M.decided_at.desc(), _M.message_id).limit(limit))
    return [(_stored(r), r.title) for r in rows]


def expired(conn: Connection, cutoff: datetime) -> int:
    """How many messaging decisions were made before `cutoff`."""
    query = select(func.count()).select_from(t.messages).where(_M.decided_at < cutoff)
    return int(conn.execute(query).scalar_one())


def delete_expired(conn: Connection, cutoff: datetime) -> int:
    """Delete the messaging decisions made before `cutoff` (their unsubscribe links go with
    them); how many."""
    result = conn.execute(delete(t.messages).where(_M.decided_at < cutoff))
    return int(result.rowcount)


def export_rows(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every messaging decision about the person, oldest first, for their export."""
    query = (
        select(*_COLUMNS, t.campaigns.c.title)
        .select_from(t.messages.outerjoin(t.campaigns, t.campaigns.c.campaign_id == _M.campaign_id))
        .where(_M.subject_id == subject_id)
        .order_by(_M.decided_at, _M.message_id)
    )
    out: list[dict[str, Any]] = []
    for row in conn.execute(query):
        message, record = _stored(row), row.record
        out.append(
            {
                "message_id": str(message.message_id),
                "decided_at": message.decided_at.isoformat(),
                "channel": message.channel,
                "campaign_id": message.campaign_id,
                "campaign_title": row.title,
                "decision": message.outcome,
                "reasons": list(record.get("reasons", [])),
                "checks": [
                    {"name": c["name"], "passed": c["passed"], "detail": c["detail"]}
                    for c in record.get("checks", [])
                ],
                "disclosure": record.get("disclosure"),
                "engagement": message.engagement,
                "engaged_at": None
                if message.engaged_at is None
                else message.engaged_at.isoformat(),
            }
        )
    return out
