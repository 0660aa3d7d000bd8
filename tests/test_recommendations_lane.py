"""The recommendations lane answers exactly as the FastAPI route does, or lets it answer.

Every request is sent twice: as is, and with an extra query parameter that the route
ignores but that sends the request past the lane to FastAPI. Both answers must match,
byte for byte but the decision id. A second set of tests checks which requests the lane
itself takes, with the app behind it replaced by a stand-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.api.routes.decisions import RecommendationsLane
from tactful.domain.access import Principal
from tactful.errors import NotFound, TactfulError, Unauthorized
from tactful.service import Tactful
from tactful.services.access import BOOTSTRAP_PRINCIPAL
from tactful.settings import Settings
from tests import shop

KEY = "test-operator-key-0123456789abcdef"
T0 = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    service = Tactful(settings, clock=lambda: T0)
    shop.populate(service)
    service.train()
    yield TestClient(create_app(settings, service), raise_server_exceptions=False)
    service.close()


def _both(client: TestClient, path: str, query: str, headers: dict[str, str]) -> tuple[Any, Any]:
    """(the answer as is, the answer with the lane bypassed), comparable."""

    def answer(url: str) -> tuple[int, str, int, Any]:
        response = client.get(url, headers=headers)
        body = orjson.loads(response.content)
        if isinstance(body, dict):
            body.pop("decision_id", None)
        return (
            response.status_code,
            response.headers["content-type"],
            int(response.headers["content-length"]),
            body,
        )

    separator = "&" if query else ""
    return answer(f"{path}?{query}"), answer(f"{path}?{query}{separator}unrelated=1")


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/v1/subjects/alice/recommendations", "k=5", 200),
        ("/v1/subjects/alice/recommendations", "", 200),
        ("/v1/subjects/carol/recommendations", "k=3&surface=search-page", 200),
        ("/v1/subjects/bob/recommendations", "surface=home&k=007", 200),
        ("/v1/subjects/erin/recommendations", "k=40", 200),
        ("/v1/subjects/nobody/recommendations", "", 404),
        ("/v1/subjects/bad%20id!/recommendations", "", 422),
        ("/v1/subjects/alice/recommendations", "k=0", 422),
        ("/v1/subjects/alice/recommendations", "k=999999", 422),
        ("/v1/subjects/alice/recommendations", "surface=Not%20Valid", 422),
        ("/v1/subjects/alice/recommendations", "surface=", 422),
        ("/v1/subjects/alice/recommendations", "k=0&surface=%21", 422),
    ],
)
def test_the_lane_answers_as_the_route(
    client: TestClient, path: str, query: str, status: int
) -> None:
    for headers in ({"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        laned, routed = _both(client, path, query, headers)
        assert laned == routed
        assert laned[0] == status
        expected_type = "application/json" if status == 200 else "application/problem+json"
        assert laned[1] == expected_type


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("k=5", {}, 401),
        ("k=5", {"X-API-Key": "wrong"}, 401),
        ("k=5", {"Authorization": "Basic " + KEY}, 401),
        ("k=abc", {"X-API-Key": KEY}, 422),
        ("k=-1", {"X-API-Key": KEY}, 422),
        ("k=", {"X-API-Key": KEY}, 422),
        ("k=1&k=2", {"X-API-Key": KEY}, 200),  # FastAPI takes the last
        ("k=12345678901234567890", {"X-API-Key": KEY}, 422),
    ],
)
def test_requests_the_lane_leaves_get_the_routes_answer(
    client: TestClient, query: str, headers: dict[str, str], status: int
) -> None:
    laned, routed = _both(client, "/v1/subjects/alice/recommendations", query, headers)
    assert laned == routed
    assert laned[0] == status


def test_a_recommendation_through_the_lane_is_recorded(client: TestClient) -> None:
    first = client.get("/v1/subjects/alice/recommendations?k=4", headers={"X-API-Key": KEY})
    assert first.status_code == 200
    stored = client.get(f"/v1/decisions/{first.json()['decision_id']}", headers={"X-API-Key": KEY})
    assert stored.json() == first.json()


# -- which requests the lane takes ------------------------------------------------------


class _Keys:
    """The key check of the real service: only the bootstrap key is known."""

    def authenticate(self, presented: str | None) -> Principal:
        if presented != KEY:
            raise Unauthorized("A valid operator API key is required.")
        return BOOTSTRAP_PRINCIPAL


class _Service:
    def __init__(self, fail: TactfulError | None = None) -> None:
        self.calls: list[tuple[str, int, str]] = []
        self.fail = fail
        self.keys = _Keys()

    def recommend(self, subject_id: str, k: int = 10, surface: str = "home") -> dict[str, Any]:
        self.calls.append((subject_id, k, surface))
        if self.fail is not None:
            raise self.fail
        return {"subject_id": subject_id, "k": k}


def _run(
    lane_service: _Service,
    *,
    path: str = "/v1/subjects/s-1/recommendations",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    method: str = "GET",
    root_path: str = "",
) -> tuple[bool, list[MutableMapping[str, Any]]]:
    """(whether the app behind the lane was called, the messages the lane sent)."""
    passed: list[bool] = []

    async def behind(scope: Any, receive: Any, send: Any) -> None:
        passed.append(True)

    async def not_found(request: Any, exc: Exception) -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse({"handled": type(exc).__name__}, status_code=404)

    app = SimpleNamespace(
        state=SimpleNamespace(tactful=lane_service, api_key=KEY),
        exception_handlers={TactfulError: not_found, Exception: None},
    )
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": root_path,
        "query_string": query,
        "headers": headers if headers is not None else [(b"x-api-key", KEY.encode())],
        "app": app,
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(RecommendationsLane(behind)(scope, receive, send))
    return bool(passed), sent


def test_the_lane_takes_a_plain_request_itself() -> None:
    service = _Service()
    passed, sent = _run(service, query=b"surface=shop+front&k=12")
    assert not passed
    assert service.calls == [("s-1", 12, "shop front")]
    assert sent[0]["status"] == 200
    assert orjson.loads(sent[1]["body"]) == {"subject_id": "s-1", "k": 12}
    passed, _ = _run(service, headers=[(b"authorization", f"bearer {KEY}".encode())])
    assert not passed
    assert service.calls[-1] == ("s-1", 10, "home")


def test_the_lane_hands_service_errors_to_the_apps_handler() -> None:
    passed, sent = _run(_Service(NotFound("No subject.")))
    assert not passed
    assert sent[0]["status"] == 404
    assert orjson.loads(sent[1]["body"]) == {"handled": "NotFound"}


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "POST"},
        {"method": "HEAD"},
        {"path": "/v1/subjects/s-1/recommendations/"},
        {"path": "/v1/subjects//recommendations"},
        {"path": "/v1/subjects/a/b/recommendations"},
        {"root_path": "/api"},
        {"query": b"k=5&extra=1"},
        {"query": b"k=5&k=5"},
        {"query": b"k=%2B5"},
        {"query": b"k"},
        {"headers": []},
        {"headers": [(b"x-api-key", b"wrong"), (b"x-api-key", KEY.encode())]},
    ],
)
def test_the_lane_leaves_everything_else_to_the_app(request_: dict[str, Any]) -> None:
    service = _Service()
    passed, sent = _run(service, **request_)
    assert passed
    assert sent == []
    assert service.calls == []
