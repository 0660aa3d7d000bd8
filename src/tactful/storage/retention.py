"""Deleting what has outlived its purpose: events by their purposes' retention, decisions
by theirs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from tactful.storage import tables as t


def purpose_sets(conn: Connection) -> list[list[str]]:
    """Each distinct set of justifying purposes events were stored under."""
    return [list(r[0]) for r in conn.execute(select(t.events.c.purposes).distinct())]


def _events_where(purposes: list[str], cutoff: datetime) -> tuple[object, object]:
    # `purposes` comes from `purpose_sets`, read back from the column: serialized again by
    # the same JSON serializer it is the same text (SQLite) or the same jsonb (PostgreSQL).
    return (t.events.c.purposes == purposes, t.events.c.occurred_at < cutoff)


def expired_events(conn: Connection, purposes: list[str], cutoff: datetime) -> int:
    where = _events_where(purposes, cutoff)
    return int(conn.execute(select(func.count()).select_from(t.events).where(*where)).scalar_one())  # type: ignore[arg-type]


def delete_events(conn: Connection, purposes: list[str], cutoff: datetime) -> int:
    result = conn.execute(delete(t.events).where(*_events_where(purposes, cutoff)))  # type: ignore[arg-type]
    return int(result.rowcount)


def expired_decisions(conn: Connection, cutoff: datetime) -> int:
    query = select(func.count()).select_from(t.decisions).where(t.decisions.c.created_at < cutoff)
    return int(conn.execute(query).scalar_one())


def delete_decisions(conn: Connection, cutoff: datetime) -> int:
    result = conn.execute(delete(t.decisions).where(t.decisions.c.created_at < cutoff))
    return int(result.rowcount)
