"""Bulk reads for training: columns in chunks, on SQLite and PostgreSQL alike.

A training run reads every event and every consent record. Result rows with type
processing and one domain object per event cost more than the work itself at 20M events,
so both come from a raw DBAPI cursor (server-side on PostgreSQL, so the result is never
held whole) in `fetchmany` chunks: events turned into columns, consent one subject at a
time. Statements are built with SQLAlchemy Core and compiled for the connection's dialect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, case, select

from tactful.domain.subjects import SubjectAttributes
from tactful.storage import tables as t
from tactful.storage.raw import AGE, consent_record
from tactful.training.columns import TYPE_CODES, EventColumns, SubjectConsents

CHUNK_ROWS = 100_000


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

    What `Store.iter_events` yields, minus the time and query no training reads; the event
    type comes as its code in `EVENT_TYPES` (small integers cost Python no allocation).
    """
    e = t.events.c
    type_code = case(dict(TYPE_CODES), value=e.event_type, else_=-1)
    query = select(e.subject_id, e.item_id, type_code, e.value).where(
        e.item_id.is_not(None), e.event_type.in_(list(TYPE_CODES))
    )
    with _raw_cursor(conn, chunk_rows) as cursor:
        cursor.execute(_inline(query, conn))
        while rows := cursor.fetchmany(chunk_rows):
            subjects, items, types, values = zip(*rows, strict=True)
            yield EventColumns(
                subjects,
                items,
                np.array(types, dtype=np.int8),
                np.array(values, dtype=np.float64),
            )


def iter_subject_consents(
    conn: Connection, chunk_rows: int = CHUNK_ROWS
) -> Iterator[SubjectConsents]:
    """Every subject with a consent record, with its age band and whole ledger.

    Streamed in subject order, so only one subject's records are alive at a time, never
    the whole ledger. Their order within a subject is left to `derive_state`, which sorts
    by sequence itself. Subjects who never made a choice do not appear.
    """
    c = t.consent_records.c
    a = t.subject_attributes.c
    query = (
        select(
            c.subject_id,
            a.age_band,
            c.purpose,
            c.status,
            c.notice_version,
            c.method,
            c.recorded_at,
            c.sequence,
        )
        .select_from(
            t.consent_records.outerjoin(t.subject_attributes, a.subject_id == c.subject_id)
        )
        .order_by(c.subject_id)
    )
    with _raw_cursor(conn, chunk_rows) as cursor:
        cursor.execute(_inline(query, conn))
        rows = chain.from_iterable(iter(lambda: cursor.fetchmany(chunk_rows), []))
        for subject_id, grouped in groupby(rows, key=itemgetter(0)):
            group = list(grouped)
            age_band = group[0][1]
            records = [consent_record(subject_id, *row[2:]) for row in group]
            attributes = SubjectAttributes(age_band=AGE[age_band] if age_band else None)
            yield SubjectConsents(subject_id, attributes, records)


def _inline(query: Select[Any], conn: Connection) -> str:
    """The statement's SQL for this dialect; only constant values, inlined, so no binds."""
    return str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
