"""Bulk reads for training: columns in chunks, on SQLite and PostgreSQL alike.

A training run reads every event and every consent record. Going through ORM-style rows
and one domain object per event costs more than the work itself at 20M events, so events
come from a raw DBAPI cursor (server-side on PostgreSQL, so the result is never held
whole), `fetchmany` chunks turned into columns; consent comes one subject at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import groupby
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.events import EventType
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.storage import tables as t
from tactful.training.columns import EventColumns, SubjectConsents

CHUNK_ROWS = 100_000
_STATUS = {s.value: s for s in ConsentStatus}
_METHOD = {m.value: m for m in ConsentMethod}
_AGE = {a.value: a for a in AgeBand}


@contextmanager
def _raw_cursor(conn: Connection, chunk_rows: int) -> Iterator[Any]:
    """A DBAPI cursor on `conn`'s connection, streaming rather than buffering the result."""
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("the connection is closed")
    if conn.dialect.name == "postgresql":
        # A named (server-side) cursor; psycopg opens the transaction it needs.
        cursor: Any = dbapi.cursor(name=f"tactful_bulk_{uuid.uuid4().hex[:12]}")
        cursor.itersize = chunk_rows
    else:
        cursor = dbapi.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def iter_event_columns(conn: Connection, chunk_rows: int = CHUNK_ROWS) -> Iterator[EventColumns]:
    """Every stored event that names an item, as column chunks of at most `chunk_rows`.

    What `Store.iter_events` yields, minus the time and query no training reads.
    """
    query = select(
        t.events.c.subject_id, t.events.c.item_id, t.events.c.event_type, t.events.c.value
    ).where(
        t.events.c.item_id.is_not(None),
        t.events.c.event_type.in_([e.value for e in EventType]),
    )
    # Constant enum values only, so inlining them is safe; no bind-parameter styles to mind.
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    with _raw_cursor(conn, chunk_rows) as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk_rows):
            subjects, items, types, values = zip(*rows, strict=True)
            yield EventColumns(subjects, items, types, np.array(values, dtype=np.float64))


def iter_subject_consents(
    conn: Connection, chunk_rows: int = CHUNK_ROWS
) -> Iterator[SubjectConsents]:
    """Every subject once, with its age band and whole ledger, streamed in subject order.

    Only one subject's records are alive at a time, never the whole ledger. The ledger's
    order within a subject is left to `derive_state`, which sorts by sequence itself.
    """
    c = t.consent_records.c
    query = (
        select(
            t.subjects.c.subject_id,
            t.subject_attributes.c.age_band,
            c.purpose,
            c.status,
            c.notice_version,
            c.method,
            c.recorded_at,
            c.sequence,
        )
        .select_from(
            t.subjects.outerjoin(
                t.subject_attributes,
                t.subject_attributes.c.subject_id == t.subjects.c.subject_id,
            ).outerjoin(t.consent_records, c.subject_id == t.subjects.c.subject_id)
        )
        .order_by(t.subjects.c.subject_id)
        .execution_options(yield_per=chunk_rows)
    )
    rows = conn.execute(query)
    for subject_id, group in groupby(rows, key=lambda r: r[0]):
        first = next(group)
        age_band = first[1]
        attributes = SubjectAttributes(age_band=_AGE[age_band] if age_band else None)
        records = [_record(subject_id, r) for r in (first, *group) if r[2] is not None]
        yield SubjectConsents(subject_id, attributes, records)


def _record(subject_id: str, row: Any) -> ConsentRecord:
    _, _, purpose, status, notice_version, method, recorded_at, sequence = row
    return ConsentRecord(
        subject_id=subject_id,
        purpose=purpose,
        status=_STATUS[status],
        notice_version=notice_version,
        method=_METHOD[method],
        recorded_at=recorded_at,
        sequence=int(sequence),
    )
