"""Complaints and the items they suppress."""

from __future__ import annotations

from sqlalchemy import Connection, select

from tactful.storage import tables as t


def suppressed_items(conn: Connection, subject_id: str) -> frozenset[str]:
    """Items the subject reported: never shown to them again."""
    rows = conn.execute(
        select(t.suppressions.c.item_id).where(t.suppressions.c.subject_id == subject_id)
    )
    return frozenset(rows.scalars())
