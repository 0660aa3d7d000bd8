"""A person's protections as rows (see `tables.protections`): self-exclusions and their flag
that they are vulnerable.

What a change means (extending, lifting after a cooling-off) is decided by
`services.protections`; this module only reads and writes rows, in the caller's transaction.
Whether one is in force at a moment is read by `Store.exclusions` for every decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from tactful.storage import tables as t

_P = t.protections

SELF_EXCLUSION = "self_exclusion"
VULNERABLE = "vulnerable"


@dataclass(frozen=True, slots=True)
class StoredProtection:
    subject_id: str
    kind: str
    category: str
    created_at: datetime
    ends_at: datetime | None = None
    lift_requested_at: datetime | None = None

    def in_force(self, now: datetime) -> bool:
        """In force until its end (none: until lifted); the same test `Store.exclusions`
        applies."""
        return self.ends_at is None or self.ends_at > now

    def as_dict(self) -> dict[str, Any]:
        """The row as the person's export shows it."""
        return {
            "kind": self.kind,
            "category": self.category,
            "created_at": self.created_at.isoformat(),
            "ends_at": _iso(self.ends_at),
            "lift_requested_at": _iso(self.lift_requested_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _of(row: Any) -> StoredProtection:
    return StoredProtection(
        row.subject_id, row.kind, row.category, row.created_at, row.ends_at, row.lift_requested_at
    )


def of_subject(conn: Connection, subject_id: str) -> list[StoredProtection]:
    """Every protection row of the person, ended ones too, by kind then category."""
    rows = conn.execute(
        select(_P).where(_P.c.subject_id == subject_id).order_by(_P.c.kind, _P.c.category)
    )
    return [_of(r) for r in rows]


def find(conn: Connection, subject_id: str, kind: str, category: str) -> StoredProtection | None:
    row = conn.execute(
        select(_P).where(
            _P.c.subject_id == subject_id, _P.c.kind == kind, _P.c.category == category
        )
    ).first()
    return None if row is None else _of(row)


def put(conn: Connection, protection: StoredProtection) -> None:
    """Write the row, replacing the one with the same key. The caller holds the subject's
    lock (`receipts.lock_subject`), so the read and the write cannot interleave with
    another change of the same person's protections."""
    values = {
        "created_at": protection.created_at,
        "ends_at": protection.ends_at,
        "lift_requested_at": protection.lift_requested_at,
    }
    key = (
        _P.c.subject_id == protection.subject_id,
        _P.c.kind == protection.kind,
        _P.c.category == protection.category,
    )
    if conn.execute(update(_P).where(*key).values(**values)).rowcount:
        return
    conn.execute(
        insert(_P).values(
            subject_id=protection.subject_id,
            kind=protection.kind,
            category=protection.category,
            **values,
        )
    )


def remove(conn: Connection, subject_id: str, kind: str, category: str) -> bool:
    gone = conn.execute(
        delete(_P).where(
            _P.c.subject_id == subject_id, _P.c.kind == kind, _P.c.category == category
        )
    )
    return bool(gone.rowcount)


def export_rows(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    """The person's protection rows for their export (access and portability)."""
    return [p.as_dict() for p in of_subject(conn, subject_id)]


def ended_before(conn: Connection, cutoff: datetime) -> int:
    """How many protections ended before `cutoff` (kept till then so the person sees them)."""
    query = select(func.count()).select_from(_P).where(_P.c.ends_at < cutoff)
    return int(conn.execute(query).scalar_one())


def delete_ended_before(conn: Connection, cutoff: datetime) -> int:
    return int(conn.execute(delete(_P).where(_P.c.ends_at < cutoff)).rowcount)
