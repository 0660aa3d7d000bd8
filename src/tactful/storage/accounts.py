"""Business accounts, their events and their decision records (see `tables.accounts`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from tactful.domain.accounts import Account, AccountEvent, AccountEventType, SizeBand
from tactful.storage import tables as t

_A = t.accounts
_E = t.account_events
_D = t.account_decisions
_CHUNK = 2000
_EVENT_COLUMNS = (_E.c.account_id, _E.c.item_id, _E.c.event_type, _E.c.occurred_at, _E.c.quantity)


def upsert_accounts(conn: Connection, batch: Sequence[Account], now: datetime) -> tuple[int, int]:
    """Insert new accounts and replace the firmographics of known ones; (created, updated)."""
    existing = existing_ids(conn, (a.account_id for a in batch))
    rows = [
        {
            "account_id": a.account_id,
            "industry": a.industry,
            "size_band": a.size_band.value if a.size_band is not None else None,
            "country": a.country,
            "updated_at": now,
        }
        for a in batch
    ]
    new = [r | {"created_at": now} for r in rows if r["account_id"] not in existing]
    for start in range(0, len(new), _CHUNK):
        conn.execute(insert(_A), new[start : start + _CHUNK])
    for row in (r for r in rows if r["account_id"] in existing):
        conn.execute(update(_A).where(_A.c.account_id == row["account_id"]).values(row))
    return len(new), len(rows) - len(new)


def existing_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    wanted = list(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(
            conn.execute(select(_A.c.account_id).where(_A.c.account_id.in_(chunk))).scalars()
        )
    return found


def get_account(conn: Connection, account_id: str) -> Account | None:
    row = conn.execute(select(_A).where(_A.c.account_id == account_id)).first()
    return None if row is None else _account(row)


def all_accounts(conn: Connection) -> dict[str, Account]:
    return {r.account_id: _account(r) for r in conn.execute(select(_A))}


def add_events(conn: Connection, events: Sequence[AccountEvent], now: datetime) -> int:
    rows = [
        {
            "account_id": e.account_id,
            "item_id": e.item_id,
            "event_type": e.event_type.value,
            "occurred_at": e.occurred_at,
            "quantity": e.quantity,
            "received_at": now,
        }
        for e in events
    ]
    for start in range(0, len(rows), _CHUNK):
        conn.execute(insert(_E), rows[start : start + _CHUNK])
    return len(rows)


def recent_events(conn: Connection, account_id: str, limit: int) -> list[AccountEvent]:
    """The account's own events, newest first, at most `limit`."""
    rows = conn.execute(
        select(*_EVENT_COLUMNS)
        .where(_E.c.account_id == account_id)
        .order_by(_E.c.occurred_at.desc(), _E.c.event_id.desc())
        .limit(limit)
    )
    return [_event(r) for r in rows]


def iter_events(conn: Connection) -> Iterator[AccountEvent]:
    """Every account event (for training), in storage order."""
    for row in conn.execute(select(*_EVENT_COLUMNS).order_by(_E.c.event_id)):
        yield _event(row)


def has_events(conn: Connection) -> bool:
    return conn.execute(select(_E.c.event_id).limit(1)).first() is not None


def add_decision(conn: Connection, record: dict[str, Any]) -> None:
    conn.execute(
        insert(_D).values(
            decision_id=uuid.UUID(record["decision_id"]),
            account_id=record["account_id"],
            surface=record["surface"],
            model_name=record["model"]["name"],
            model_version=record["model"]["version"],
            record=record,
            created_at=datetime.fromisoformat(record["created_at"]),
        )
    )


def get_decision(conn: Connection, decision_id: uuid.UUID) -> dict[str, Any] | None:
    row = conn.execute(select(_D.c.record).where(_D.c.decision_id == decision_id)).first()
    return dict(row.record) if row is not None else None


def expired_decisions(conn: Connection, cutoff: datetime) -> int:
    table = t.account_decisions
    query = select(func.count()).select_from(table).where(table.c.created_at < cutoff)
    return int(conn.execute(query).scalar_one())


def delete_expired_decisions(conn: Connection, cutoff: datetime) -> int:
    table = t.account_decisions
    return int(conn.execute(delete(table).where(table.c.created_at < cutoff)).rowcount)


def delete_account(conn: Connection, account_id: str) -> dict[str, int] | None:
    """Delete the account and every row about it; the counts per table, None if unknown."""
    if get_account(conn, account_id) is None:
        return None
    counts = {}
    for table in (_D, _E):
        counts[table.name] = conn.execute(
            delete(table).where(table.c.account_id == account_id)
        ).rowcount
    counts["accounts"] = conn.execute(delete(_A).where(_A.c.account_id == account_id)).rowcount
    return counts


def counts(conn: Connection) -> dict[str, int]:
    """How many accounts, account events and account decisions are held."""
    return {
        table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        for table in (_A, _E, _D)
    }


def _account(row: Any) -> Account:
    return Account(
        account_id=row.account_id,
        industry=row.industry,
        size_band=SizeBand(row.size_band) if row.size_band else None,
        country=row.country,
    )


def _event(row: Any) -> AccountEvent:
    return AccountEvent(
        account_id=row.account_id,
        item_id=row.item_id,
        event_type=AccountEventType(row.event_type),
        occurred_at=row.occurred_at,
        quantity=row.quantity,
    )
