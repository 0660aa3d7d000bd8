"""Sealed identifying fields (see `services.identity`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from tactful.storage import tables as t


def put_identities(conn: Connection, rows: Sequence[tuple[str, str, bytes]], now: datetime) -> None:
    """Replace the sealed fields of each (subject id, master key id, sealed value)."""
    if not rows:
        return
    conn.execute(
        delete(t.subject_identity).where(t.subject_identity.c.subject_id.in_([r[0] for r in rows]))
    )
    conn.execute(
        insert(t.subject_identity),
        [
            {"subject_id": s, "key_id": key_id, "sealed": sealed, "updated_at": now}
            for s, key_id, sealed in rows
        ],
    )


def sealed_identity(conn: Connection, subject_id: str) -> bytes | None:
    row = conn.execute(
        select(t.subject_identity.c.sealed).where(t.subject_identity.c.subject_id == subject_id)
    ).first()
    return None if row is None else bytes(row.sealed)
