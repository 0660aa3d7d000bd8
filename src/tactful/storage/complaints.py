"""Complaints, the operator queue, and the items complaints suppress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from tactful.domain.complaints import Complaint, Reason, Status
from tactful.storage import tables as t

_C = t.complaints.c


def suppressed_items(conn: Connection, subject_id: str) -> frozenset[str]:
    """Items the subject reported: never shown to them again."""
    rows = conn.execute(
        select(t.suppressions.c.item_id).where(t.suppressions.c.subject_id == subject_id)
    )
    return frozenset(rows.scalars())


def suppression_since(conn: Connection, subject_id: str, item_id: str) -> datetime | None:
    """When the subject's suppression of the item began; None when there is none."""
    s = t.suppressions.c
    found: datetime | None = conn.execute(
        select(s.created_at).where(s.subject_id == subject_id, s.item_id == item_id)
    ).scalar()
    return found


def add_suppression(
    conn: Connection, subject_id: str, item_id: str, complaint_id: uuid.UUID, at: datetime
) -> None:
    """Suppress the item for the subject (the caller checked there is no such row yet,
    holding the subject's lock)."""
    conn.execute(
        insert(t.suppressions).values(
            subject_id=subject_id, item_id=item_id, complaint_id=complaint_id, created_at=at
        )
    )


def add_complaint(conn: Connection, complaint: Complaint) -> None:
    conn.execute(
        insert(t.complaints).values(
            complaint_id=complaint.complaint_id,
            subject_id=complaint.subject_id,
            decision_id=complaint.decision_id,
            item_id=complaint.item_id,
            message_ref=complaint.message_ref,
            reason=complaint.reason.value,
            sealed_text=complaint.sealed_text,
            status=complaint.status.value,
            owner=complaint.owner,
            created_at=complaint.created_at,
            due_at=complaint.due_at,
            updated_at=complaint.updated_at,
            resolution=complaint.resolution,
            resolved_at=complaint.resolved_at,
        )
    )


def get_complaint(conn: Connection, complaint_id: uuid.UUID) -> Complaint | None:
    row = conn.execute(select(t.complaints).where(_C.complaint_id == complaint_id)).first()
    return None if row is None else _complaint(row)


def lock_complaint(conn: Connection, complaint_id: uuid.UUID) -> Complaint | None:
    """The complaint, with its row write-locked for the rest of the transaction, so two
    officers acting on it at once act one after the other and the second sees the first."""
    conn.execute(
        update(t.complaints).where(_C.complaint_id == complaint_id).values(updated_at=_C.updated_at)
    )
    return get_complaint(conn, complaint_id)


def update_complaint(conn: Connection, complaint_id: uuid.UUID, **values: Any) -> None:
    conn.execute(update(t.complaints).where(_C.complaint_id == complaint_id).values(**values))


def complaints_of(conn: Connection, subject_id: str) -> list[Complaint]:
    """A subject's complaints, newest first."""
    rows = conn.execute(
        select(t.complaints)
        .where(_C.subject_id == subject_id)
        .order_by(_C.created_at.desc(), _C.complaint_id)
    )
    return [_complaint(r) for r in rows]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    statuses: frozenset[Status] = frozenset()
    overdue_at: datetime | None = None  # only those due before this instant and still open
    owner: str | None = None


def queue(
    conn: Connection,
    where: QueueFilter,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Complaint]:
    """Complaints by due date (soonest first), then id; `after` is the last one seen."""
    query = select(t.complaints)
    if where.statuses:
        query = query.where(_C.status.in_(sorted(s.value for s in where.statuses)))
    if where.overdue_at is not None:
        open_ = [s.value for s in Status if not s.final]
        query = query.where(_C.due_at < where.overdue_at, _C.status.in_(open_))
    if where.owner is not None:
        query = query.where(_C.owner == where.owner)
    if after is not None:
        due, last_id = after
        query = query.where(or_(_C.due_at > due, and_(_C.due_at == due, _C.complaint_id > last_id)))
    rows = conn.execute(query.order_by(_C.due_at, _C.complaint_id).limit(limit))
    return [_complaint(r) for r in rows]


def _complaint(row: Row[Any]) -> Complaint:
    return Complaint(
        complaint_id=row.complaint_id,
        subject_id=row.subject_id,
        decision_id=row.decision_id,
        item_id=row.item_id,
        message_ref=row.message_ref,
        reason=Reason(row.reason),
        sealed_text=bytes(row.sealed_text) if row.sealed_text is not None else None,
        status=Status(row.status),
        owner=row.owner,
        created_at=row.created_at,
        due_at=row.due_at,
        updated_at=row.updated_at,
        resolution=row.resolution,
        resolved_at=row.resolved_at,
    )
