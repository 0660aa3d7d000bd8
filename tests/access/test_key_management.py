"""Managing keys over HTTP (admin scope) and with `tactful keys`, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests.access.helpers import BOOTSTRAP_KEY, problem
from tests.test_cli import tactful

ADMIN = {"X-API-Key": BOOTSTRAP_KEY}
KEY = re.compile(r"tk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}")


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_list_and_revoke_over_http(client: TestClient, service: Tactful) -> None:
    created = _ok(
        client.post(
            "/v1/keys",
            json={"name": "dpo desk", "scopes": ["privacy-officer"], "expires_in_days": 30},
            headers=ADMIN,
        ),
        201,
    )
    assert KEY.fullmatch(created["key"])
    assert created["scopes"] == ["privacy-officer"]
    expires = datetime.fromisoformat(created["expires_at"])
    assert expires == service.clock() + timedelta(days=30)
    officer = {"X-API-Key": created["key"]}
    assert _ok(client.get("/v1/rights-requests", headers=officer))
    listed = _ok(client.get("/v1/keys", headers=ADMIN))["keys"]
    assert [k["key_id"] for k in listed] == ["bootstrap", created["key_id"]]
    assert created["key"] not in repr(listed)
    assert listed[1]["last_used_at"] is not None
    revoked = _ok(client.delete(f"/v1/keys/{created['key_id']}", headers=ADMIN))
    assert revoked["status"] == "revoked"
    problem(client.get("/v1/rights-requests", headers=officer), 401)
    # The revoked key is still listed, as revoked; the bootstrap key cannot be revoked here.
    assert _ok(client.get("/v1/keys", headers=ADMIN))["keys"][1]["status"] == "revoked"
    problem(client.delete("/v1/keys/bootstrap", headers=ADMIN), 409)
    for missing in ("nosuchkey123", "%00abc", "x" * 300, "%C3%A9t%C3%A9"):
        problem(client.delete(f"/v1/keys/{missing}", headers=ADMIN), 404)


def test_a_key_made_by_an_admin_key_can_manage_keys(client: TestClient) -> None:
    made = _ok(
        client.post("/v1/keys", json={"name": "ops", "scopes": ["admin"]}, headers=ADMIN), 201
    )
    ops = {"Authorization": f"Bearer {made['key']}"}
    second = _ok(
        client.post("/v1/keys", json={"name": "b", "scopes": ["ingest"]}, headers=ops), 201
    )
    assert _ok(client.delete(f"/v1/keys/{second['key_id']}", headers=ops))["status"] == "revoked"
    ingest = _ok(
        client.post("/v1/keys", json={"name": "c", "scopes": ["ingest"]}, headers=ADMIN), 201
    )
    refused = problem(client.get("/v1/keys", headers={"X-API-Key": ingest["key"]}), 403)
    assert "'admin'" in refused["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["root"]},
        {"name": "", "scopes": ["ingest"]},
        {"name": "x", "scopes": ["ingest"], "expires_in_days": 0},
        {"name": "x", "scopes": ["ingest"], "expires_at": "2020-01-01T00:00:00+00:00"},
        {"name": "x", "scopes": ["ingest"], "expires_at": "2030-01-01T00:00:00"},
        {
            "name": "x",
            "scopes": ["ingest"],
            "expires_in_days": 3,
            "expires_at": "2030-01-01T00:00:00Z",
        },
        {"name": "x", "scopes": ["ingest"], "secret": "mine"},
    ],
)
def test_a_bad_key_request_is_a_problem_and_stores_nothing(
    client: TestClient, service: Tactful, body: dict[str, Any]
) -> None:
    problem(client.post("/v1/keys", json=body, headers=ADMIN), 422)
    with service.store.reading() as conn:
        assert conn.execute(select(t.api_keys)).first() is None


def test_the_cli_creates_lists_and_revokes(settings: Settings) -> None:
    made = tactful(
        settings, "keys", "create", "shop front", "--scope", "recommend", "--scope", "ingest",
        "--expires-in-days", "7",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = made.stdout.strip()
    assert KEY.fullmatch(text)  # the key alone on stdout
    assert text not in made.stderr
    assert "cannot be shown again" in made.stderr
    listed = tactful(settings, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert "shop front" in listed.stdout
    assert "ingest, recommend" in listed.stdout
    assert text[16:] not in listed.stdout
    key_id = text[3:15]
    assert key_id in listed.stdout
    service = Tactful(settings)
    try:
        assert service.keys.authenticate(text).name == "shop front"
    finally:
        service.close()
    gone = tactful(settings, "keys", "revoke", key_id)
    assert gone.returncode == 0, gone.stderr
    assert "revoked" in gone.stdout
    assert "revoked" in tactful(settings, "keys", "list").stdout


@pytest.mark.parametrize(
    "args",
    [
        ("create", "x", "--scope", "root"),
        ("create", "x"),
        ("create", "x", "--scope", "ingest", "--expires-in-days", "0"),
        ("revoke", "nosuchkey123"),
        ("revoke", "bootstrap"),
    ],
)
def test_the_cli_refuses_bad_requests_readably(settings: Settings, args: tuple[str, ...]) -> None:
    result = tactful(settings, "keys", *args)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == ""
