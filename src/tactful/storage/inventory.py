"""What the store holds about one subject, summarised by kind (never the rows themselves)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from tactful.storage import tables as t


def event_groups(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Per data category and set of justifying purposes: how many, oldest and newest."""
    e = t.events.c
    rows = conn.execute(
        select(
            e.data_category,
            e.purposes,
            func.count().label("n"),
            func.min(e.occurred_at).label("oldest"),
            func.max(e.occurred_at).label("newest"),
        )
        .where(e.subject_id == subject_id)
        .group_by(e.data_category, e.purposes)
    )
    return [
        {
            "data_category": r.data_category,
            "purposes": list(r.purposes),
            "count": int(r.n),
            "oldest": r.oldest,
            "newest": r.newest,
        }
        for r in rows
    ]


def counts(conn: Connection, subject_id: str) -> dict[str, tuple[int, Any]]:
    """Rows per kind of record, with the oldest one's time."""
    out: dict[str, tuple[int, Any]] = {}
    for name, table, when in (
        ("consent", t.consent_records, t.consent_records.c.recorded_at),
        ("receipts", t.consent_receipts, t.consent_receipts.c.issued_at),
        ("evidence", t.consent_evidence, t.consent_evidence.c.received_at),
        ("decisions", t.decisions, t.decisions.c.created_at),
        ("messages", t.messages, t.messages.c.decided_at),
        ("feedback", t.feedback, t.feedback.c.created_at),
        ("protections", t.protections, t.protections.c.created_at),
    ):
        row = conn.execute(
            select(func.count(), func.min(when)).where(table.c.subject_id == subject_id)
        ).one()
        out[name] = (int(row[0]), row[1])
    return out
