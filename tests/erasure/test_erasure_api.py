"""Erasure over HTTP on a real server: the person asks, the status page follows it to the
end without a token, the privacy officer sees the register, and bad requests change nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests.erasure.helpers import EMAIL, SUBJECT, seed_subject
from tests.http_helpers import KEY, OPERATOR
from tests.live_server import serve

ME_PATHS = ("/v1/me", "/v1/me/consents", "/v1/me/decisions", "/v1/me/inventory")


@contextmanager
def _server(service: Tactful) -> Iterator[httpx.Client]:
    """The app on loopback with its lifespan, so the erasure worker runs as in production."""
    with (
        serve(create_app(service.settings, service)) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        yield client


@pytest.fixture
def service(settings: Settings) -> Iterator[Tactful]:
    svc = Tactful(settings)
    seed_subject(svc)
    yield svc
    svc.close()


def _wait_completed(client: httpx.Client, status_url: str) -> dict[str, Any]:
    """Follow the status page until the background retraining is done (bounded)."""
    deadline = time.monotonic() + 120
    while True:
        response = client.get(status_url)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] == "completed" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_a_person_erases_themselves_and_follows_the_status_without_a_token(
    service: Tactful,
) -> None:
    with _server(service) as client:
        token = client.post(f"/v1/subjects/{SUBJECT}/tokens", headers=OPERATOR).json()["token"]
        me = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/me/requests", headers=me).json()["requests"] == []

        response = client.post("/v1/me/erasure", json={"confirm": True}, headers=me)
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["requested_via"] == "consumer"
        assert accepted["status"] in ("rows_erased", "retraining", "completed")
        assert SUBJECT not in response.text

        # Their rows are gone at once: the token no longer opens anything.
        for path in ME_PATHS:
            assert client.get(path, headers=me).status_code == 401, path
        gone = client.get(f"/v1/subjects/{SUBJECT}/recommendations", headers=OPERATOR)
        assert gone.status_code == 404

        done = _wait_completed(client, accepted["status_url"])
        assert done["status"] == "completed"
        assert [s["step"] for s in done["steps"]][-1] == "models_retrained"
        assert "detail" not in done  # the public page shows progress only

        full = client.get(f"/v1/rights-requests/{accepted['request_id']}", headers=OPERATOR)
        assert full.status_code == 200
        retrained = {m["name"] for m in full.json()["detail"]["models_retrained"]}
        assert retrained == {"popularity", "ease"}


def test_an_operator_erases_on_request_and_the_register_lists_it(service: Tactful) -> None:
    with _server(service) as client:
        response = client.post(
            f"/v1/subjects/{SUBJECT}/erasure", json={"confirm": True}, headers=OPERATOR
        )
        assert response.status_code == 202, response.text
        request_id = response.json()["request_id"]
        listed = client.get("/v1/rights-requests", params={"kind": "erasure"}, headers=OPERATOR)
        assert [r["request_id"] for r in listed.json()["requests"]] == [request_id]
        assert (
            client.get("/v1/rights-requests", params={"overdue": True}, headers=OPERATOR).json()[
                "requests"
            ]
            == []
        )
        _wait_completed(client, f"/v1/rights-requests/{request_id}/status")

        replay = client.post(
            "/v1/subjects", json=[{"subject_id": SUBJECT, "email": EMAIL}], headers=OPERATOR
        )
        assert replay.status_code == 422
        assert replay.headers["content-type"].startswith("application/problem+json")
        assert "erased" in replay.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", f"/v1/subjects/{SUBJECT}/erasure", {}, 422),
        ("POST", f"/v1/subjects/{SUBJECT}/erasure", {"confirm": False}, 422),
        ("POST", f"/v1/subjects/{SUBJECT}/erasure", {"confirm": True, "extra": 1}, 422),
        ("POST", "/v1/subjects/nobody-7/erasure", {"confirm": True}, 404),
        ("POST", "/v1/subjects/bad%20id/erasure", {"confirm": True}, 422),
        ("GET", "/v1/rights-requests/not-a-uuid", None, 422),
        ("GET", "/v1/rights-requests/00000000-0000-4000-8000-000000000000", None, 404),
        ("GET", "/v1/rights-requests/00000000-0000-4000-8000-000000000000/status", None, 404),
        ("GET", "/v1/rights-requests?limit=0", None, 422),
        ("GET", "/v1/rights-requests?status=lost", None, 422),
        ("GET", "/v1/rights-requests?before=yesterday", None, 422),
    ],
)
def test_bad_erasure_requests_are_refused_and_change_nothing(
    service: Tactful, method: str, path: str, body: Any, status: int
) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(create_app(service.settings, service), raise_server_exceptions=False)
    response = client.request(method, path, json=body, headers=OPERATOR)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert service.rights_requests()["requests"] == []
    assert service.identity(SUBJECT) is not None


def test_erasure_needs_a_key_or_the_persons_own_token(service: Tactful) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(create_app(service.settings, service), raise_server_exceptions=False)
    assert client.post(f"/v1/subjects/{SUBJECT}/erasure", json={"confirm": True}).status_code == 401
    wrong = {"X-API-Key": KEY + "x"}
    assert (
        client.post(
            f"/v1/subjects/{SUBJECT}/erasure", json={"confirm": True}, headers=wrong
        ).status_code
        == 401
    )
    assert client.post("/v1/me/erasure", json={"confirm": True}).status_code == 401
    assert client.get("/v1/rights-requests").status_code == 401
    assert service.rights_requests()["requests"] == []
