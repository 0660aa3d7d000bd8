"""Audit logs that sign a checkpoint every five entries, on SQLite and PostgreSQL.

`log` is an audit log of its own on a fresh store, so a test knows every entry in it;
`service` is a whole Tactful on the same store and signing key, for the CLI and HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text, update

from tactful.audit import chain
from tactful.audit.chain import Entry
from tactful.consent.signing import ReceiptSigner
from tactful.service import Tactful
from tactful.services.audit import AuditLog
from tactful.settings import Settings
from tactful.storage import tables as t
from tactful.storage.repository import Store

EVERY = 5


@pytest.fixture
def audit_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"audit_checkpoint_every": EVERY})


@pytest.fixture
def service(audit_settings: Settings) -> Iterator[Tactful]:
    service = Tactful(audit_settings)
    wire(service)
    yield service
    service.close()


def wire(service: Tactful) -> Tactful:
    """Give the consent service and the notice registry the facade's audit log (until the
    facade passes it to their constructors)."""
    service.consent.audit = service.audit
    service.notices.audit = service.audit
    return service


@pytest.fixture
def log(audit_settings: Settings) -> Iterator[AuditLog]:
    store = Store.open(audit_settings.resolved_database_url)
    signer = ReceiptSigner.load_or_create(audit_settings.resolved_receipt_key_file, create=True)
    key = b"fingerprint key of the audit tests"

    def fingerprint(subject_id: str) -> str:
        return hmac.new(key, subject_id.encode(), hashlib.sha256).hexdigest()

    yield AuditLog(store, signer, lambda: datetime.now(UTC), EVERY, fingerprint)
    store.close()


def fill(log: AuditLog, n: int) -> None:
    """`n` operator reads of fictional people's profiles, each its own transaction."""
    for i in range(n):
        log.record(
            "personal_data.read",
            subject_id=f"person-{i % 4}",
            detail={"what": "profile", "n": i},
            actor="key:k1",
        )


def rows(log: AuditLog) -> list[Entry]:
    with log.store.reading() as conn:
        found = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).all()
    return [
        Entry(r.seq, r.at, r.actor, r.action, r.subject_ref, r.detail, r.prev_hash, r.hash)
        for r in found
    ]


def sql(log: AuditLog, statement: str, **params: Any) -> None:
    """Tamper with the store directly, as someone with database access would."""
    with log.store.transaction() as conn:
        conn.execute(text(statement), params)


def rewrite_from(log: AuditLog, first: int) -> None:
    """Recompute every hash and link from `first` on, and the head: a consistent chain."""
    entries = rows(log)
    prev = entries[first - 2].hash if first > 1 else chain.GENESIS
    with log.store.transaction() as conn:
        for e in entries[first - 1 :]:
            new = chain.seal(e.seq, e.at, e.actor, e.action, e.subject_ref, e.detail, prev)
            conn.execute(
                update(t.audit_log)
                .where(t.audit_log.c.seq == e.seq)
                .values(prev_hash=new.prev_hash, hash=new.hash)
            )
            prev = new.hash
        conn.execute(update(t.audit_head).values(hash=prev))
