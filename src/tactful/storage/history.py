"""A subject's past decisions, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from tactful.storage import tables as t


def decisions_for(
    conn: Connection,
    subject_id: str,
    limit: int,
    before: tuple[datetime, uuid.UUID | None] | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `before` is the (time, id) of the last one seen: decisions made in
    the same instant are told apart by id, in the order the pages list them."""
    d = t.decisions.c
    query = select(d.record).where(d.subject_id == subject_id)
    if before is not None:
        moment, last_id = before
        if last_id is None:
            query = query.where(d.created_at < moment)
        else:
            query = query.where(
                or_(d.created_at < moment, and_(d.created_at == moment, d.decision_id > last_id))
            )
    rows = conn.execute(
        query.order_by(t.decisions.c.created_at.desc(), t.decisions.c.decision_id).limit(limit)
    )
    return [dict(r.record) for r in rows]
