"""A subject's past decisions, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tactful.storage import tables as t


def decisions_for(
    conn: Connection, subject_id: str, limit: int, before: datetime | None = None
) -> list[dict[str, Any]]:
    query = select(t.decisions.c.record).where(t.decisions.c.subject_id == subject_id)
    if before is not None:
        query = query.where(t.decisions.c.created_at < before)
    rows = conn.execute(
        query.order_by(t.decisions.c.created_at.desc(), t.decisions.c.decision_id).limit(limit)
    )
    return [dict(r.record) for r in rows]
