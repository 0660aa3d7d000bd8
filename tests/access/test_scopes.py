"""Scopes over HTTP, on SQLite and PostgreSQL, on the real app.

Every operation the OpenAPI document declares as needing the operator key is tried with no
key, a bad key, and a key of each scope alone: no key and bad keys get 401; a key without
the operation's scope gets 403 naming that scope; a key with it (or admin) gets past the
check. The scope each operation needs is read from those answers and compared with the
table below; then representative requests of each group are made to succeed.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tactful.domain.access import Scope
from tactful.service import Tactful
from tests import shop
from tests.access.helpers import BOOTSTRAP_KEY, problem, scope_keys
from tests.clock import Clock
from tests.consent.test_tcf import SPEC_OOB_ALLOWED

INGEST, RECOMMEND, ANALYST, OFFICER, ADMIN = (
    Scope.INGEST,
    Scope.RECOMMEND,
    Scope.ANALYST,
    Scope.PRIVACY_OFFICER,
    Scope.ADMIN,
)

# (method, path template) -> the scope it needs.
SCOPES: dict[tuple[str, str], Scope] = {
    ("POST", "/v1/items"): INGEST,
    ("POST", "/v1/subjects"): INGEST,
    ("POST", "/v1/events"): INGEST,
    ("PUT", "/v1/subjects/{subject_id}/consents"): INGEST,
    ("PUT", "/v1/subjects/{subject_id}/consents/tcf"): INGEST,
    ("POST", "/v1/subjects/{subject_id}/gpc"): INGEST,
    ("POST", "/v1/subjects/{subject_id}/objection"): INGEST,
    ("GET", "/v1/subjects/{subject_id}/recommendations"): RECOMMEND,
    ("POST", "/v1/subjects/{subject_id}/tokens"): RECOMMEND,
    ("GET", "/v1/subjects/{subject_id}/consents"): OFFICER,
    ("GET", "/v1/subjects/{subject_id}/receipts"): OFFICER,
    ("GET", "/v1/subjects/{subject_id}/receipts/{receipt_id}"): OFFICER,
    ("GET", "/v1/subjects/{subject_id}/inventory"): OFFICER,
    ("GET", "/v1/decisions/{decision_id}"): OFFICER,
    ("GET", "/v1/models"): ANALYST,
    ("POST", "/v1/models/train"): ADMIN,
    ("GET", "/v1/keys"): ADMIN,
    ("POST", "/v1/keys"): ADMIN,
    ("DELETE", "/v1/keys/{key_id}"): ADMIN,
}
# Families written elsewhere: rights requests, erasure, complaints and the audit log are the
# privacy officer's.
OFFICER_FAMILIES = re.compile(
    r"/v1/(rights-requests|complaints|audit)(/.*)?|/v1/subjects/\{subject_id\}/(erasure|export)"
)
PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


def _operator_operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if {"operatorKey": []} in operation.get("security", [])
    ]


def _call(client: TestClient, method: str, template: str, key: str | None) -> Any:
    path = re.sub(r"\{[^}]+\}", PLACEHOLDER, template)
    headers = {"X-API-Key": key} if key is not None else {}
    body = None if method in ("GET", "DELETE") else {}
    return client.request(method, path, headers=headers, json=body)


def test_every_operator_operation_needs_exactly_its_scope(
    client: TestClient, service: Tactful
) -> None:
    keys = scope_keys(service)
    operations = _operator_operations(client)
    assert set(SCOPES) <= set(operations)
    for method, template in operations:
        where = f"{method} {template}"
        for key in (None, "wrong", "tk_" + "x" * 12 + "_" + "y" * 43):
            problem(_call(client, method, template, key), 401)
        allowed: set[Scope] = set()
        named: set[str] = set()
        for scope, key in keys.items():
            response = _call(client, method, template, key)
            assert response.status_code != 401, where
            if response.status_code == 403:
                detail = problem(response, 403)["detail"]
                named |= {s.value for s in Scope if f"'{s.value}'" in detail}
            else:
                allowed.add(scope)
        assert ADMIN in allowed, where
        needed = allowed - {ADMIN} or {ADMIN}
        assert len(needed) == 1, f"{where} is open to {sorted(allowed)}"
        (scope,) = needed
        assert named == ({scope.value} if scope is not ADMIN else {ADMIN.value}), where
        if (method, template) in SCOPES:
            assert scope is SCOPES[(method, template)], where
        elif OFFICER_FAMILIES.fullmatch(template):
            assert scope is OFFICER, where


def test_the_analyst_reads_no_one_s_data(client: TestClient, service: Tactful) -> None:
    analyst = scope_keys(service)[ANALYST]
    for (method, template), scope in SCOPES.items():
        if scope is OFFICER:
            response = _call(client, method, template, analyst)
            assert "'privacy-officer'" in problem(response, 403)["detail"]


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_representative_requests_of_each_group_succeed_with_their_scope(
    client: TestClient, service: Tactful
) -> None:
    keys = {scope: {"X-API-Key": key} for scope, key in scope_keys(service).items()}
    ingest, recommend, analyst, officer = (keys[s] for s in (INGEST, RECOMMEND, ANALYST, OFFICER))
    # ingest: the catalog, people and events, and relayed choices
    assert _ok(client.post("/v1/items", json=shop.items(), headers=ingest))["created"] > 0
    assert _ok(client.post("/v1/subjects", json=shop.subjects(), headers=ingest))["created"] > 0
    for subject in ("alice", *(f"crowd-{n}" for n in range(30))):
        _ok(
            client.put(
                f"/v1/subjects/{subject}/consents", json={"choices": shop.FULL}, headers=ingest
            )
        )
    _ok(
        client.put(
            "/v1/subjects/bob/consents/tcf", json={"tc_string": SPEC_OOB_ALLOWED}, headers=ingest
        )
    )
    _ok(client.post("/v1/subjects/carol/objection", headers=ingest))
    _ok(client.post("/v1/subjects/carol/gpc", headers=ingest))
    events = shop.crowd_events() + shop.person_events("alice", "running", ("view", "purchase"))
    assert _ok(client.post("/v1/events", json=events, headers=ingest))["stored"] > 0
    # admin: training
    problem(client.post("/v1/models/train", headers=analyst), 403)
    trained = _ok(client.post("/v1/models/train", headers={"X-API-Key": BOOTSTRAP_KEY}))
    assert trained["versions"]
    # analyst: the models and what they were trained on, as counts
    models = _ok(client.get("/v1/models", headers=analyst))["models"]
    by_name = {m["name"]: m["current"] for m in models}
    assert by_name["popularity"]["trained_on"]["subjects"] > 0
    # No organisation has events here: the account models are listed, not yet trained.
    assert by_name["account-segments"] is None
    # recommend: decisions (through the lane and through the route) and subject tokens
    decision = _ok(client.get("/v1/subjects/alice/recommendations?k=3", headers=recommend))
    routed = _ok(client.get("/v1/subjects/alice/recommendations?k=3&x=1", headers=recommend))
    assert routed["subject_id"] == decision["subject_id"] == "alice"
    token = _ok(client.post("/v1/subjects/alice/tokens", headers=recommend), 201)["token"]
    assert _ok(client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}))
    # privacy officer: one person's record
    record = _ok(client.get(f"/v1/decisions/{decision['decision_id']}", headers=officer))
    assert record["decision_id"] == decision["decision_id"]
    consents = _ok(client.get("/v1/subjects/alice/consents", headers=officer))
    assert consents["history"]
    receipts = _ok(client.get("/v1/subjects/alice/receipts", headers=officer))["receipts"]
    one = receipts[0]["receipt_id"]
    assert _ok(client.get(f"/v1/subjects/alice/receipts/{one}", headers=officer))
    assert _ok(client.get("/v1/subjects/alice/inventory", headers=officer))["data"]
    # ... which no other single scope reads
    for other in (ingest, recommend, analyst):
        problem(client.get(f"/v1/decisions/{decision['decision_id']}", headers=other), 403)
        problem(client.get("/v1/subjects/alice/consents", headers=other), 403)


def test_a_revoked_or_expired_key_is_refused_over_http_alike(
    client: TestClient, clock: Clock
) -> None:
    admin = {"X-API-Key": BOOTSTRAP_KEY}
    created = _ok(
        client.post("/v1/keys", json={"name": "till 4", "scopes": ["recommend"]}, headers=admin),
        201,
    )
    expiring = _ok(
        client.post(
            "/v1/keys",
            json={"name": "pop-up", "scopes": ["recommend"], "expires_in_days": 1},
            headers=admin,
        ),
        201,
    )
    path = "/v1/subjects/nobody/recommendations"
    assert _call(client, "GET", path, created["key"]).status_code == 404
    _ok(client.delete(f"/v1/keys/{created['key_id']}", headers=admin))
    clock.advance(24 * 3600 + 1)
    details = set()
    for key in (created["key"], expiring["key"]):
        for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
            details.add(problem(client.get(path, headers=headers), 401)["detail"])
    assert len(details) == 1


def test_the_openapi_document_still_declares_both_operator_schemes(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["operatorKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["operatorBearer"]["scheme"] == "bearer"
