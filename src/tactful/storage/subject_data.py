"""One subject's rows, read whole for an export and changed for a rectification.

Reads return plain JSON-ready dicts (times as ISO 8601 text) so that an export can be
assembled row by row; the long lists (events, decisions) are iterators over a server-side
cursor, never a list of every row first.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from tactful.storage import tables as t

# Rows fetched from the server per round trip when iterating a long list.
_YIELD = 1000
# Ids per IN (...) clause: well below every backend's parameter limit.
_CHUNK = 1000

_E = t.events.c


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# -- reading ----------------------------------------------------------------------------
def subject_row(conn: Connection, subject_id: str) -> dict[str, Any] | None:
    """The subject's own row and attributes, with when each was written."""
    a = t.subject_attributes.c
    row = conn.execute(
        select(
            t.subjects.c.created_at,
            a.age_band,
            a.region,
            a.gender,
            a.occupation,
            a.time_zone,
            a.updated_at,
            t.subject_identity.c.updated_at.label("identity_updated_at"),
        )
        .select_from(t.subjects.outerjoin(t.subject_attributes).outerjoin(t.subject_identity))
        .where(t.subjects.c.subject_id == subject_id)
    ).first()
    if row is None:
        return None
    return {
        "created_at": _iso(row.created_at),
        "attributes": {
            "age_band": row.age_band,
            "region": row.region,
            "gender": row.gender,
            "occupation": row.occupation,
            "time_zone": row.time_zone,
        },
        "attributes_updated_at": _iso(row.updated_at),
        "identity_updated_at": _iso(row.identity_updated_at),
    }


def _event(row: Any) -> dict[str, Any]:
    return {
        "event_id": int(row.event_id),
        "event_type": row.event_type,
        "data_category": row.data_category,
        "item_id": row.item_id,
        "item_title": row.title,
        "value": row.value,
        "query": row.query,
        "occurred_at": _iso(row.occurred_at),
        "purposes": list(row.purposes),
        "received_at": _iso(row.received_at),
    }


_EVENT_SELECT = select(
    _E.event_id,
    _E.event_type,
    _E.data_category,
    _E.item_id,
    t.items.c.title,
    _E.value,
    _E.query,
    _E.occurred_at,
    _E.purposes,
    _E.received_at,
).select_from(t.events.outerjoin(t.items, t.items.c.item_id == _E.item_id))


def iter_events(conn: Connection, subject_id: str) -> Iterator[dict[str, Any]]:
    """Every event of the subject, oldest first."""
    query = (
        _EVENT_SELECT.where(_E.subject_id == subject_id)
        .order_by(_E.occurred_at, _E.event_id)
        .execution_options(yield_per=_YIELD)
    )
    for row in conn.execute(query):
        yield _event(row)


def events_page(
    conn: Connection,
    subject_id: str,
    limit: int,
    before: tuple[datetime, int] | None = None,
    item_id: str | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `before` is the (time, event id) of the last event of the previous
    page, so events of the same instant are each listed once."""
    query = _EVENT_SELECT.where(_E.subject_id == subject_id)
    if item_id is not None:
        query = query.where(_E.item_id == item_id)
    if before is not None:
        moment, last_id = before
        query = query.where(
            or_(_E.occurred_at < moment, and_(_E.occurred_at == moment, _E.event_id < last_id))
        )
    query = query.order_by(_E.occurred_at.desc(), _E.event_id.desc()).limit(limit)
    return [_event(row) for row in conn.execute(query)]


def iter_decisions(conn: Connection, subject_id: str) -> Iterator[dict[str, Any]]:
    """Every decision record of the subject, oldest first."""
    d = t.decisions.c
    query = (
        select(d.record)
        .where(d.subject_id == subject_id)
        .order_by(d.created_at, d.decision_id)
        .execution_options(yield_per=_YIELD)
    )
    for row in conn.execute(query):
        yield dict(row.record)


def receipts(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every consent receipt, oldest first, with its JWS (no page limit)."""
    r = t.consent_receipts.c
    rows = conn.execute(
        select(t.consent_receipts)
        .where(r.subject_id == subject_id)
        .order_by(r.issued_at, r.receipt_id)
    )
    return [
        {
            "receipt_id": str(row.receipt_id),
            "issued_at": _iso(row.issued_at),
            "method": row.method,
            "notice_version": row.notice_version,
            "choices": [dict(c) for c in row.choices],
            "ledger_sequences": [int(n) for n in row.ledger_sequences],
            "evidence_id": str(row.evidence_id) if row.evidence_id else None,
            "jws": row.jws,
        }
        for row in rows
    ]


def objections(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every objection to direct marketing, lifted or not, oldest first."""
    o = t.objections.c
    rows = conn.execute(
        select(t.objections).where(o.subject_id == subject_id).order_by(o.raised_at)
    )
    return [
        {
            "objection_id": str(row.objection_id),
            "raised_at": _iso(row.raised_at),
            "raised_via": row.raised_via,
            "lifted_at": _iso(row.lifted_at),
        }
        for row in rows
    ]


def suppressions(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    s = t.suppressions.c
    rows = conn.execute(
        select(t.suppressions).where(s.subject_id == subject_id).order_by(s.created_at, s.item_id)
    )
    return [
        {
            "item_id": row.item_id,
            "complaint_id": str(row.complaint_id) if row.complaint_id else None,
            "since": _iso(row.created_at),
        }
        for row in rows
    ]


def rights_requests(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    """The subject's rights requests as stored, oldest first."""
    r = t.rights_requests.c
    rows = conn.execute(
        select(t.rights_requests)
        .where(r.subject_id == subject_id)
        .order_by(r.received_at, r.request_id)
    )
    return [dict(row._mapping) for row in rows]


def audit_entries(conn: Connection, subject_ref: str) -> Iterator[dict[str, Any]]:
    """The audit log's entries about the subject (named there by fingerprint), oldest first."""
    a = t.audit_log.c
    query = (
        select(a.seq, a.at, a.actor, a.action, a.detail)
        .where(a.subject_ref == subject_ref)
        .order_by(a.seq)
        .execution_options(yield_per=_YIELD)
    )
    for row in conn.execute(query):
        yield {
            "seq": int(row.seq),
            "at": _iso(row.at),
            "actor": row.actor,
            "action": row.action,
            "detail": dict(row.detail) if isinstance(row.detail, Mapping) else {},
        }


# -- changing ---------------------------------------------------------------------------
def owned_event_ids(conn: Connection, subject_id: str, event_ids: Collection[int]) -> set[int]:
    """Which of these events exist and belong to the subject."""
    ids = sorted(event_ids)
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        found.update(
            int(n)
            for n in conn.execute(
                select(_E.event_id).where(
                    _E.subject_id == subject_id, _E.event_id.in_(ids[start : start + _CHUNK])
                )
            ).scalars()
        )
    return found


def delete_events(conn: Connection, subject_id: str, event_ids: Collection[int]) -> int:
    ids = sorted(event_ids)
    gone = 0
    for start in range(0, len(ids), _CHUNK):
        result = conn.execute(
            delete(t.events).where(
                _E.subject_id == subject_id, _E.event_id.in_(ids[start : start + _CHUNK])
            )
        )
        gone += int(result.rowcount)
    return gone


def delete_item_events(conn: Connection, subject_id: str, item_id: str) -> int:
    result = conn.execute(
        delete(t.events).where(_E.subject_id == subject_id, _E.item_id == item_id)
    )
    return int(result.rowcount)


def put_attributes(
    conn: Connection, subject_id: str, values: Mapping[str, str | None], now: datetime
) -> None:
    """Write the subject's attributes (the row is created if the subject has none)."""
    a = t.subject_attributes
    row = {k: values.get(k) for k in ("age_band", "region", "gender", "occupation", "time_zone")}
    changed = conn.execute(
        update(a).where(a.c.subject_id == subject_id).values(**row, updated_at=now)
    )
    if not changed.rowcount:
        conn.execute(insert(a).values(subject_id=subject_id, **row, updated_at=now))


def delete_identity(conn: Connection, subject_id: str) -> None:
    conn.execute(delete(t.subject_identity).where(t.subject_identity.c.subject_id == subject_id))


def count_events(conn: Connection, subject_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(t.events).where(_E.subject_id == subject_id)
        ).scalar_one()
    )


def add_completed_request(
    conn: Connection,
    *,
    kind: str,
    subject_id: str,
    subject_ref: str,
    via: str,
    received_at: datetime,
    completed_at: datetime,
    due_at: datetime,
    detail: Mapping[str, Any],
    request_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Register a rights request handled at once (an access or a rectification), so the
    privacy officer's register lists it beside the erasures. `detail` holds counts only."""
    row: dict[str, Any] = {
        "request_id": request_id or uuid.uuid4(),
        "kind": kind,
        "subject_id": subject_id,
        "subject_ref": subject_ref,
        "status": "completed",
        "requested_via": via,
        "received_at": received_at,
        "due_at": due_at,
        "updated_at": completed_at,
        "completed_at": completed_at,
        # The same step shape as erasure requests (see `storage.rights.advance`).
        "steps": [
            {"step": "received", "at": received_at.isoformat()},
            {"step": "completed", "at": completed_at.isoformat()},
        ],
        "detail": dict(detail),
    }
    conn.execute(insert(t.rights_requests).values(**row))
    return row
