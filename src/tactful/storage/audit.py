"""The audit log's rows: entries, the chain head, signed checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tactful.audit.chain import GENESIS, Checkpoint, Entry, Head
from tactful.storage import tables as t

HEAD_ID = 1
PAGE = 1000


# Built once: an audit entry is written with most changes, so its statements stay cached.
_h = t.audit_head.c
_LOCK_HEAD = (
    update(t.audit_head).where(_h.id == HEAD_ID).values(seq=_h.seq + 1).returning(_h.seq, _h.hash)
)
_SET_HEAD_HASH = update(t.audit_head).where(_h.id == HEAD_ID).values(hash=bindparam("new_hash"))
_INSERT_ENTRY = insert(t.audit_log)


def lock_head(conn: Connection) -> Head:
    """Take the chain's write lock for the rest of the transaction and return the head.

    The lock is a write (seq + 1 for an append), so SQLite takes its write lock at once
    and PostgreSQL queues every other appender on the head row until this one commits.
    The returned seq is the one the new entry gets; its hash is the previous entry's.
    """
    row = conn.execute(_LOCK_HEAD).first()
    if row is None:
        _create_head(conn)
        row = conn.execute(_LOCK_HEAD).one()
    return Head(int(row.seq), str(row.hash))


def _create_head(conn: Connection) -> None:
    # Two first appenders may race: the loser's insert waits for the winner and does nothing.
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(t.audit_head)
        .values(id=HEAD_ID, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def add_entry(conn: Connection, entry: Entry) -> None:
    """Insert the entry and make its hash the head's."""
    conn.execute(
        _INSERT_ENTRY,
        {
            "seq": entry.seq,
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "subject_ref": entry.subject_ref,
            "detail": dict(entry.detail),
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        },
    )
    conn.execute(_SET_HEAD_HASH, {"new_hash": entry.hash})


def add_checkpoint(conn: Connection, checkpoint: Checkpoint) -> None:
    conn.execute(
        insert(t.audit_checkpoints).values(
            seq=checkpoint.seq,
            hash=checkpoint.hash,
            signed_at=checkpoint.signed_at,
            jws=checkpoint.jws,
        )
    )


def head(conn: Connection) -> Head | None:
    row = conn.execute(
        select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == HEAD_ID)
    ).first()
    return None if row is None else Head(int(row.seq), str(row.hash))


def iter_entries(conn: Connection, page: int = PAGE) -> Iterator[Entry]:
    """Every entry in seq order, read a page at a time (keyset, not offset)."""
    after: int | None = None
    while True:
        query = select(t.audit_log).order_by(t.audit_log.c.seq).limit(page)
        if after is not None:
            query = query.where(t.audit_log.c.seq > after)
        rows = conn.execute(query).all()
        for row in rows:
            yield _entry(row)
        if len(rows) < page:
            return
        after = int(rows[-1].seq)


def checkpoints(conn: Connection) -> list[Checkpoint]:
    rows = conn.execute(select(t.audit_checkpoints).order_by(t.audit_checkpoints.c.seq))
    return [Checkpoint(int(r.seq), r.hash, r.signed_at, r.jws) for r in rows]


def find_entries(
    conn: Connection,
    *,
    subject_ref: str | None,
    action: str | None,
    since: datetime | None,
    before: int | None,
    limit: int,
) -> list[Entry]:
    """Entries newest first, filtered; `before` is a seq cursor from an earlier page."""
    c = t.audit_log.c
    query = select(t.audit_log).order_by(c.seq.desc()).limit(limit)
    if subject_ref is not None:
        query = query.where(c.subject_ref == subject_ref)
    if action is not None:
        query = query.where(c.action == action)
    if since is not None:
        query = query.where(c.at >= since)
    if before is not None:
        query = query.where(c.seq < before)
    return [_entry(row) for row in conn.execute(query)]


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one moment of the store across many queries.

    Verification reads the entries in pages, the checkpoints and the head; an append
    committed in between must not look like a head that runs ahead of the log.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            # pysqlite begins no transaction for reads; in WAL mode one BEGIN holds the
            # snapshot of the first read until the end.
            conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def _entry(row: Any) -> Entry:
    return Entry(
        seq=int(row.seq),
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject_ref=row.subject_ref,
        detail=row.detail if isinstance(row.detail, dict) else {"": row.detail},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
