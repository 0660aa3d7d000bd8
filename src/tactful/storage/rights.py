"""Rights requests, erasure of a subject's rows, and tombstones."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from tactful.storage import tables as t

# Every table holding rows about one subject, child tables first. Deleting the `subjects`
# row would cascade to them all; they are deleted one by one to count what went.
SUBJECT_TABLES = (
    t.message_gate,
    t.messages,
    t.protections,
    t.feedback,
    t.suppressions,
    t.complaints,
    t.decisions,
    t.consent_receipts,
    t.consent_evidence,
    t.objections,
    t.consent_records,
    t.events,
    t.subject_identity,
    t.subject_attributes,
    t.subjects,
)

_REQUEST = t.rights_requests


def add_request(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(_REQUEST).values(**row))


def get_request(conn: Connection, request_id: uuid.UUID) -> dict[str, Any] | None:
    row = conn.execute(select(_REQUEST).where(_REQUEST.c.request_id == request_id)).first()
    return None if row is None else dict(row._mapping)


def lock_request(conn: Connection, request_id: uuid.UUID) -> dict[str, Any] | None:
    """The request, with its row write-locked for the rest of the transaction."""
    conn.execute(
        update(_REQUEST)
        .where(_REQUEST.c.request_id == request_id)
        .values(updated_at=_REQUEST.c.updated_at)
    )
    return get_request(conn, request_id)


def advance(
    conn: Connection,
    request: Mapping[str, Any],
    status: str,
    now: datetime,
    *,
    step: str | None = None,
    detail: Mapping[str, Any] | None = None,
    clear_subject: bool = False,
    completed: bool = False,
) -> dict[str, Any]:
    """Move a request to `status`, noting the step and merging `detail`; the new row."""
    steps = [*request["steps"], {"step": step or status, "at": now.isoformat()}]
    values: dict[str, Any] = {
        "status": status,
        "updated_at": now,
        "steps": steps,
        "detail": {**request["detail"], **(detail or {})},
    }
    if clear_subject:
        values["subject_id"] = None
    if completed:
        values["completed_at"] = now
    conn.execute(
        update(_REQUEST).where(_REQUEST.c.request_id == request["request_id"]).values(**values)
    )
    return {**request, **values}


def open_request_for(conn: Connection, subject_id: str, kind: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(_REQUEST)
        .where(
            _REQUEST.c.subject_id == subject_id,
            _REQUEST.c.kind == kind,
            _REQUEST.c.completed_at.is_(None),
        )
        .order_by(_REQUEST.c.received_at)
        .limit(1)
    ).first()
    return None if row is None else dict(row._mapping)


def requests_with_status(conn: Connection, kind: str, statuses: Iterable[str]) -> list[uuid.UUID]:
    return list(
        conn.execute(
            select(_REQUEST.c.request_id)
            .where(_REQUEST.c.kind == kind, _REQUEST.c.status.in_(list(statuses)))
            .order_by(_REQUEST.c.received_at)
        ).scalars()
    )


def claim(
    conn: Connection, kind: str, status: str, new_status: str, now: datetime
) -> list[uuid.UUID]:
    """Move every request of `kind` in `status` to `new_status`; the ids this call moved."""
    ids = requests_with_status(conn, kind, [status])
    if ids:
        conn.execute(
            update(_REQUEST)
            .where(_REQUEST.c.request_id.in_(ids), _REQUEST.c.status == status)
            .values(status=new_status, updated_at=now)
        )
    return ids


def list_requests(
    conn: Connection,
    *,
    subject_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    due_before: datetime | None = None,
    open_only: bool = False,
    limit: int = 50,
    received_before: datetime | None = None,
) -> list[dict[str, Any]]:
    query = select(_REQUEST)
    if subject_id is not None:
        query = query.where(_REQUEST.c.subject_id == subject_id)
    if status is not None:
        query = query.where(_REQUEST.c.status == status)
    if kind is not None:
        query = query.where(_REQUEST.c.kind == kind)
    if due_before is not None:
        query = query.where(_REQUEST.c.due_at < due_before)
    if open_only:
        query = query.where(_REQUEST.c.completed_at.is_(None))
    if received_before is not None:
        query = query.where(_REQUEST.c.received_at < received_before)
    query = query.order_by(_REQUEST.c.received_at.desc(), _REQUEST.c.request_id).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def count_subject_rows(conn: Connection, subject_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in SUBJECT_TABLES:
        n = conn.execute(
            select(func.count()).select_from(table).where(table.c.subject_id == subject_id)
        ).scalar_one()
        counts[str(table.name)] = int(n)
    return counts


def delete_subject_rows(conn: Connection, subject_id: str) -> dict[str, int]:
    """Delete every row about the subject; how many went from each table."""
    counts: dict[str, int] = {}
    for table in SUBJECT_TABLES:
        gone = conn.execute(delete(table).where(table.c.subject_id == subject_id))
        counts[str(table.name)] = int(gone.rowcount)
    # Their other requests stay for the record, no longer naming them.
    conn.execute(
        update(_REQUEST).where(_REQUEST.c.subject_id == subject_id).values(subject_id=None)
    )
    return counts


def add_tombstone(
    conn: Connection, fingerprint: str, erased_at: datetime, request_id: uuid.UUID | None
) -> None:
    conn.execute(delete(t.tombstones).where(t.tombstones.c.fingerprint == fingerprint))
    conn.execute(
        insert(t.tombstones).values(
            fingerprint=fingerprint, erased_at=erased_at, request_id=request_id
        )
    )


def tombstoned(conn: Connection, fingerprints: Iterable[str]) -> dict[str, datetime]:
    """Which of these fingerprints belong to erased subjects, with when they were erased."""
    found: dict[str, datetime] = {}
    prints = sorted(set(fingerprints))
    for start in range(0, len(prints), 2000):
        rows = conn.execute(
            select(t.tombstones.c.fingerprint, t.tombstones.c.erased_at).where(
                t.tombstones.c.fingerprint.in_(prints[start : start + 2000])
            )
        )
        found.update({r.fingerprint: r.erased_at for r in rows})
    return found


def remove_tombstone(conn: Connection, fingerprint: str) -> bool:
    gone = conn.execute(delete(t.tombstones).where(t.tombstones.c.fingerprint == fingerprint))
    return bool(gone.rowcount)


def flush_deleted(conn: Connection) -> bool:
    """On SQLite, copy the write-ahead log into the database and empty it, so the deleted
    rows' old page images (which the log still holds) are gone from disk too. Deleted rows
    are already zeroed in the database itself (`secure_delete`). True when done; False when
    a long reader kept part of the log (the next erasure or checkpoint takes it)."""
    if conn.dialect.name != "sqlite":
        return True
    busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return not busy
