"""Each operator read of one person's data is in the audit log, as the key that read it;
key creation and revocation are too, never with the key itself. The log is read straight
from the audit_log table, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tactful.service import Tactful
from tactful.services.access import split_key
from tactful.storage import tables as t
from tests import shop
from tests.access.helpers import BOOTSTRAP_KEY

READ = "personal_data.read"


def _log(service: Tactful) -> list[dict[str, Any]]:
    with service.store.reading() as conn:
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq))
        return [dict(r._mapping) for r in rows]


def _reads(service: Tactful) -> list[tuple[str, str | None, str]]:
    return [
        (e["actor"], e["subject_ref"], e["detail"]["what"])
        for e in _log(service)
        if e["action"] == READ
    ]


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_read_of_a_persons_data_is_logged_with_the_key_id(
    client: TestClient, service: Tactful
) -> None:
    shop.populate(service)
    service.train()
    decision = service.recommend("alice", k=3)
    text, record = service.keys.create("dpo desk", ["privacy-officer"])
    officer = {"X-API-Key": text}
    before = len(_reads(service))
    _ok(client.get("/v1/subjects/alice/consents", headers=officer))
    receipts = _ok(client.get("/v1/subjects/alice/receipts", headers=officer))["receipts"]
    _ok(client.get(f"/v1/subjects/alice/receipts/{receipts[0]['receipt_id']}", headers=officer))
    _ok(client.get("/v1/subjects/alice/inventory", headers=officer))
    _ok(client.get(f"/v1/decisions/{decision['decision_id']}", headers=officer))
    _ok(
        client.get(
            "/v1/subjects/bob/consents", headers={"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
        )
    )
    alice, bob = service.cipher.fingerprint("alice"), service.cipher.fingerprint("bob")
    actor = f"key:{record['key_id']}"
    assert _reads(service)[before:] == [
        (actor, alice, "consents"),
        (actor, alice, "receipts"),
        (actor, alice, "receipt"),
        (actor, alice, "inventory"),
        (actor, alice, "decision"),
        ("key:bootstrap", bob, "consents"),
    ]


def test_refused_and_missing_reads_log_no_read(client: TestClient, service: Tactful) -> None:
    shop.populate(service)
    analyst, _ = service.keys.create("reports", ["analyst"])
    officer, _ = service.keys.create("dpo desk", ["privacy-officer"])
    before = _reads(service)
    assert (
        client.get("/v1/subjects/alice/consents", headers={"X-API-Key": analyst}).status_code == 403
    )
    assert (
        client.get("/v1/subjects/nobody/consents", headers={"X-API-Key": officer}).status_code
        == 404
    )
    assert (
        client.get("/v1/subjects/alice/consents", headers={"X-API-Key": "wrong"}).status_code == 401
    )
    assert _reads(service) == before


def test_key_creation_and_revocation_are_logged_without_the_key(
    client: TestClient, service: Tactful
) -> None:
    admin = {"X-API-Key": BOOTSTRAP_KEY}
    created = _ok(
        client.post(
            "/v1/keys", json={"name": "shop front", "scopes": ["recommend"]}, headers=admin
        ),
        201,
    )
    _ok(client.delete(f"/v1/keys/{created['key_id']}", headers=admin))
    entries = [e for e in _log(service) if e["action"].startswith("key.")]
    assert [(e["action"], e["actor"], e["detail"]["key_id"]) for e in entries] == [
        ("key.created", "key:bootstrap", created["key_id"]),
        ("key.revoked", "key:bootstrap", created["key_id"]),
    ]
    assert entries[0]["detail"]["scopes"] == ["recommend"]
    parts = split_key(created["key"])
    assert parts is not None
    assert parts[1] not in repr(_log(service))
