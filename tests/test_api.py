"""The HTTP API against a real server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests import shop
from tests.live_server import serve

KEY = "test-operator-key-0123456789abcdef"


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, Tactful]]:
    service = Tactful(settings)
    shop.populate(service)
    service.train()
    with serve(create_app(settings, service)) as base:
        yield base, service
    service.close()


@pytest.fixture
def api(server: tuple[str, Tactful]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], headers={"X-API-Key": KEY}, timeout=30) as client:
        yield client


@pytest.fixture
def service(server: tuple[str, Tactful]) -> Tactful:
    return server[1]


def _count(service: Tactful, table: Any) -> int:
    with service.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


def _fields(body: dict[str, Any]) -> set[tuple[int | None, str]]:
    return {(e.get("row"), e["field"]) for e in body["errors"]}


def test_health_and_openapi(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok", "store": "ok"}
    spec = api.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/healthz",
        "/v1/items",
        "/v1/subjects",
        "/v1/events",
        "/v1/subjects/{subject_id}/consents",
        "/v1/subjects/{subject_id}/recommendations",
        "/v1/decisions/{decision_id}",
        "/v1/models/train",
    } <= paths


def test_operator_endpoints_need_the_key(server: tuple[str, Tactful]) -> None:
    with httpx.Client(base_url=server[0]) as anonymous:
        _problem(anonymous.get("/v1/subjects/alice/recommendations"), 401)
        bad = anonymous.get("/v1/subjects/alice/consents", headers={"X-API-Key": "wrong"})
        _problem(bad, 401)
        ok = anonymous.get(
            "/v1/subjects/alice/consents", headers={"Authorization": f"Bearer {KEY}"}
        )
        assert ok.status_code == 200


def test_tour_alice_bob_and_a_withdrawal(api: httpx.Client) -> None:
    alice = api.get("/v1/subjects/alice/recommendations", params={"k": 5}).json()
    assert alice["personalized"] is True
    assert any("Because you" in i["explanation"]["reason"] for i in alice["items"])
    bob = api.get("/v1/subjects/bob/recommendations", params={"k": 5}).json()
    assert bob["personalized"] is False
    assert bob["signals_used"] == {}
    change = api.put(
        "/v1/subjects/alice/consents",
        json={
            "choices": [{"purpose": "personalization.explicit", "status": "withdrawn"}],
            "method": "web_form",
        },
    )
    assert change.status_code == 200
    assert change.json()["level"] == "off"
    after = api.get("/v1/subjects/alice/recommendations", params={"k": 5}).json()
    assert after["personalized"] is False
    stored = api.get(f"/v1/decisions/{after['decision_id']}").json()
    assert stored["level"] == "off"


def test_ingest_and_train_over_http(api: httpx.Client, service: Tactful) -> None:
    response = api.post(
        "/v1/items",
        json=[{"item_id": "new-1", "title": "Café crème mug ☕", "category": "kitchen"}],
    )
    assert response.json() == {"kind": "items", "received": 1, "created": 1, "updated": 0}
    subjects = api.post("/v1/subjects", json=[{"subject_id": "frank@example.com"}])
    assert subjects.json()["created"] == 1
    events = api.post(
        "/v1/events",
        json=[
            {
                "subject_id": "alice",
                "event_type": "purchase",
                "item_id": "new-1",
                "timestamp": 1790000000,
            }
        ],
    )
    assert events.json()["stored"] == 1
    trained = api.post(
        "/v1/models/train", json={"models": ["ease"], "config": {"ease": {"l2": 10}}}
    )
    assert trained.status_code == 200, trained.text
    version = trained.json()["versions"][0]
    assert version["name"] == "ease"
    assert version["config"]["l2"] == 10
    record = api.get("/v1/subjects/alice/recommendations").json()
    assert record["model"]["version"] == version["version"]


BAD_ITEMS: list[tuple[str, Any, set[tuple[int | None, str]]]] = [
    ("wrong type", [{"item_id": "a", "title": 5, "category": "x"}], {(0, "title")}),
    ("missing field", [{"item_id": "a", "title": "T"}], {(0, "category")}),
    ("bad id", [{"item_id": "has space", "title": "T", "category": "x"}], {(0, "item_id")}),
    ("control char", [{"item_id": "a", "title": "bad\u0007bell", "category": "x"}], {(0, "title")}),
    (
        "bidi override",
        [{"item_id": "a", "title": "evil\u202etxt", "category": "x"}],
        {(0, "title")},
    ),
    (
        "duplicate ids",
        [
            {"item_id": "a", "title": "T", "category": "x"},
            {"item_id": "a", "title": "U", "category": "x"},
        ],
        {(1, "item_id")},
    ),
    (
        "unknown sensitive",
        [{"item_id": "a", "title": "T", "category": "x", "sensitive": ["astrology"]}],
        {(0, "sensitive")},
    ),
    ("extra field", [{"item_id": "a", "title": "T", "category": "x", "price": 3}], {(0, "price")}),
    ("empty batch", [], {(None, "items")}),
    ("not an array", {"item_id": "a"}, {(None, "(body)")}),
]


@pytest.mark.parametrize(("case", "body", "fields"), BAD_ITEMS, ids=[c[0] for c in BAD_ITEMS])
def test_bad_items_are_rejected_whole(
    api: httpx.Client, service: Tactful, case: str, body: Any, fields: set[tuple[int | None, str]]
) -> None:
    before = _count(service, t.items)
    problem = _problem(api.post("/v1/items", json=body), 422)
    assert fields <= _fields(problem), problem
    assert _count(service, t.items) == before


def test_oversized_batch(api: httpx.Client, service: Tactful, settings: Settings) -> None:
    rows = [{"subject_id": f"s{n}"} for n in range(settings.max_batch_rows + 1)]
    problem = _problem(api.post("/v1/subjects", json=rows), 422)
    assert "limit" in problem["detail"]
    assert _count(service, t.subjects) == len(shop.subjects())


def test_body_over_the_byte_limit(server: tuple[str, Tactful]) -> None:
    app_settings = server[1].settings
    payload = b"[" + b" " * app_settings.max_body_bytes + b"]"
    with httpx.Client(base_url=server[0], headers={"X-API-Key": KEY}) as client:
        response = client.post(
            "/v1/items", content=payload, headers={"content-type": "application/json"}
        )
    _problem(response, 413)


def test_malformed_json(api: httpx.Client, service: Tactful) -> None:
    before = _count(service, t.events)
    response = api.post(
        "/v1/events",
        content=b'[{"subject_id": "alice",',
        headers={"content-type": "application/json"},
    )
    problem = _problem(response, 422)
    assert "JSON" in problem["errors"][0]["message"]
    assert _count(service, t.events) == before


BAD_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("negative timestamp", {"timestamp": -5}, "timestamp"),
    ("absurd timestamp", {"timestamp": 99999999999}, "timestamp"),
    ("before 1990", {"timestamp": "1970-01-02T00:00:00Z"}, "timestamp"),
    ("naive timestamp", {"timestamp": "2026-10-01T10:00:00"}, "timestamp"),
    ("unknown type", {"event_type": "teleport"}, "event_type"),
    ("unknown subject", {"subject_id": "nobody"}, "subject_id"),
    ("unknown item", {"item_id": "ghost"}, "item_id"),
    ("rating without value", {"event_type": "rating"}, "value"),
    ("rating out of range", {"event_type": "rating", "value": 11}, "value"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD_EVENTS, ids=[c[0] for c in BAD_EVENTS])
def test_bad_events_are_rejected_whole(
    api: httpx.Client, service: Tactful, case: str, change: dict[str, Any], field: str
) -> None:
    good = {
        "subject_id": "alice",
        "event_type": "view",
        "item_id": "books-1",
        "timestamp": "2026-10-30T10:00:00Z",
    }
    before = _count(service, t.events)
    problem = _problem(api.post("/v1/events", json=[good, {**good, **change}]), 422)
    assert (1, field) in _fields(problem), problem
    assert _count(service, t.events) == before


def test_bad_consent_changes(api: httpx.Client, service: Tactful) -> None:
    before = _count(service, t.consent_records)
    unknown = api.put(
        "/v1/subjects/alice/consents",
        json={
            "choices": [
                {"purpose": "personalization.explicit", "status": "granted"},
                {"purpose": "telepathy", "status": "granted"},
            ]
        },
    )
    assert (None, "choices.1.purpose") in _fields(_problem(unknown, 422))
    bad_status = api.put(
        "/v1/subjects/alice/consents",
        json={"choices": [{"purpose": "personalization.explicit", "status": "maybe"}]},
    )
    assert any(f.endswith("status") for _, f in _fields(_problem(bad_status, 422)))
    nobody = api.put(
        "/v1/subjects/nobody/consents",
        json={"choices": [{"purpose": "personalization.explicit", "status": "granted"}]},
    )
    _problem(nobody, 404)
    assert _count(service, t.consent_records) == before


@pytest.mark.parametrize("k", [0, -1, 101, "ten"])
def test_k_out_of_range(api: httpx.Client, k: object) -> None:
    problem = _problem(api.get("/v1/subjects/alice/recommendations", params={"k": k}), 422)
    assert (None, "k") in _fields(problem)


def test_unknown_ids_on_reads(api: httpx.Client) -> None:
    _problem(api.get("/v1/subjects/nobody/recommendations"), 404)
    _problem(api.get("/v1/subjects/nobody/consents"), 404)
    _problem(api.get("/v1/decisions/6f1c1d1e-0000-4000-8000-000000000000"), 404)
    _problem(api.get("/v1/decisions/not-a-uuid"), 422)
    _problem(api.get("/v1/no-such-route"), 404)
    _problem(api.delete("/v1/items"), 405)


def test_train_with_a_bad_config(api: httpx.Client) -> None:
    problem = _problem(
        api.post("/v1/models/train", json={"models": ["ease"], "config": {"ease": {"l2": -1}}}), 422
    )
    assert any("l2" in f for _, f in _fields(problem))
    _problem(api.post("/v1/models/train", json={"models": ["nope"]}), 422)


@pytest.mark.parametrize("subject", ["%00", "a%00b", "%E2%80%AEevil", "x" * 300])
def test_strange_subject_ids_in_paths(api: httpx.Client, subject: str) -> None:
    for path in ("consents", "recommendations"):
        problem = _problem(api.get(f"/v1/subjects/{subject}/{path}"), 422)
        assert (None, "subject_id") in _fields(problem)
    put = api.put(
        f"/v1/subjects/{subject}/consents",
        json={"choices": [{"purpose": "personalization.explicit", "status": "granted"}]},
    )
    _problem(put, 422)
