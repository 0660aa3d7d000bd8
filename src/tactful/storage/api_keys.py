"""Operator API keys as stored: a name, scopes and the SHA-256 of the secret, never the secret."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from tactful.domain.access import Scope
from tactful.storage import tables as t

_K = t.api_keys.c


@dataclass(frozen=True, slots=True)
class StoredKey:
    key_id: str
    name: str
    secret_hash: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def _key(row: Any) -> StoredKey:
    return StoredKey(
        key_id=row.key_id,
        name=row.name,
        secret_hash=row.secret_hash,
        # A scope a later version dropped is ignored rather than failing every request.
        scopes=frozenset(Scope(s) for s in row.scopes if s in Scope._value2member_map_),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def add_key(conn: Connection, key: StoredKey) -> None:
    conn.execute(
        insert(t.api_keys).values(
            key_id=key.key_id,
            name=key.name,
            secret_hash=key.secret_hash,
            scopes=sorted(s.value for s in key.scopes),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )
    )


def get_key(conn: Connection, key_id: str) -> StoredKey | None:
    row = conn.execute(select(t.api_keys).where(_K.key_id == key_id)).first()
    return None if row is None else _key(row)


def list_keys(conn: Connection) -> list[StoredKey]:
    rows = conn.execute(select(t.api_keys).order_by(_K.created_at, _K.key_id))
    return [_key(r) for r in rows]


def usable_keys(conn: Connection, now: datetime) -> list[StoredKey]:
    """Keys neither revoked nor expired at `now`."""
    rows = conn.execute(
        select(t.api_keys)
        .where(_K.revoked_at.is_(None), or_(_K.expires_at.is_(None), _K.expires_at > now))
        .order_by(_K.name, _K.key_id)
    )
    return [_key(r) for r in rows]


def revoke_key(conn: Connection, key_id: str, at: datetime) -> bool:
    """Mark the key revoked; False when there is no such key or it was revoked already."""
    done = conn.execute(
        update(t.api_keys).where(_K.key_id == key_id, _K.revoked_at.is_(None)).values(revoked_at=at)
    )
    return bool(done.rowcount)


def touch_keys(conn: Connection, key_ids: Iterable[str], at: datetime) -> None:
    """Record that the keys were used at `at` (never moving the time back)."""
    ids = list(key_ids)
    if ids:
        conn.execute(
            update(t.api_keys)
            .where(_K.key_id.in_(ids), or_(_K.last_used_at.is_(None), _K.last_used_at < at))
            .values(last_used_at=at)
        )
