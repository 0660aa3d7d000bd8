"""A person's own controls over their lists (see `tables.feedback`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from tactful.storage import tables as t

_F = t.feedback


def add(conn: Connection, subject_id: str, kind: str, target: str, now: datetime) -> bool:
    """Record it; False when it was already recorded."""
    exists = conn.execute(
        select(_F.c.kind).where(
            _F.c.subject_id == subject_id, _F.c.kind == kind, _F.c.target == target
        )
    ).first()
    if exists is not None:
        return False
    conn.execute(insert(_F).values(subject_id=subject_id, kind=kind, target=target, created_at=now))
    return True


def remove(conn: Connection, subject_id: str, kind: str, target: str) -> bool:
    gone = conn.execute(
        delete(_F).where(_F.c.subject_id == subject_id, _F.c.kind == kind, _F.c.target == target)
    )
    return bool(gone.rowcount)


def of_subject(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(_F.c.kind, _F.c.target, _F.c.created_at)
        .where(_F.c.subject_id == subject_id)
        .order_by(_F.c.created_at, _F.c.kind, _F.c.target)
    )
    return [
        {"kind": r.kind, "target": r.target, "created_at": r.created_at.isoformat()} for r in rows
    ]
