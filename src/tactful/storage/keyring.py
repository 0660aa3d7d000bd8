"""The keyring: each subject's data key, wrapped by the master key, apart from the store.

It is its own database (by default a SQLite file beside the store) so that backups of the
store hold no keys: once a subject's key is deleted here, every copy of their sealed fields,
in the live store or in any backup of it, is unreadable. Back the keyring up on a short
rotation, or not at all: a lost keyring only loses the sealed identifying fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from tactful.errors import StoreUnavailable
from tactful.storage.database import PoolOptions, make_engine
from tactful.storage.tables import UTCDateTime

_metadata = MetaData()

subject_keys = Table(
    "subject_keys",
    _metadata,
    Column("subject_id", String(128), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


class Keyring:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, pool: PoolOptions | None = None) -> Keyring:
        engine = make_engine(url, pool)
        try:
            _metadata.create_all(engine)
        except OperationalError as exc:
            raise StoreUnavailable(f"Cannot reach the keyring: {exc.orig}") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def get(self, subject_id: str) -> tuple[str, bytes] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(subject_keys.c.key_id, subject_keys.c.wrapped).where(
                    subject_keys.c.subject_id == subject_id
                )
            ).first()
        return None if row is None else (row.key_id, bytes(row.wrapped))

    def get_many(self, subject_ids: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        ids = sorted(set(subject_ids))
        out: dict[str, tuple[str, bytes]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 1000):
                rows = conn.execute(
                    select(subject_keys).where(
                        subject_keys.c.subject_id.in_(ids[start : start + 1000])
                    )
                )
                out.update({r.subject_id: (r.key_id, bytes(r.wrapped)) for r in rows})
        return out

    def add(self, subject_id: str, key_id: str, wrapped: bytes, now: datetime) -> bool:
        """Store a new wrapped key; False when the subject already has one (kept as is)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(subject_keys).values(
                        subject_id=subject_id, key_id=key_id, wrapped=wrapped, created_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    def destroy(self, subject_id: str) -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(delete(subject_keys).where(subject_keys.c.subject_id == subject_id))
        return bool(gone.rowcount)

    def subject_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(subject_keys.c.subject_id)).scalars())

    def created_times(self) -> dict[str, datetime]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(subject_keys.c.subject_id, subject_keys.c.created_at))
            return {r.subject_id: r.created_at for r in rows}
