"""A person's own controls: "not interested" and "show less like this" change the very next
decision, say so, can be taken back, and refuse what does not exist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop

KEY = {"X-API-Key": "test-operator-key-0123456789abcdef"}


@pytest.fixture
def client(settings: Settings) -> Iterator[tuple[TestClient, Tactful, dict[str, str]]]:
    service = Tactful(settings.model_copy(update={"subject_rate_limit_per_minute": 0}))
    shop.populate(service)
    service.train()
    token = service.issue_token("alice")["token"]
    yield (
        TestClient(create_app(service.settings, service), raise_server_exceptions=False),
        service,
        {"Authorization": f"Bearer {token}"},
    )
    service.close()


def _items(client: TestClient, me: dict[str, str], k: int = 10) -> list[dict[str, object]]:
    body = client.get(f"/v1/me/recommendations?k={k}", headers=me).json()
    items: list[dict[str, object]] = body["items"]
    return items


def test_not_interested_removes_the_item_from_the_next_decision(
    client: tuple[TestClient, Tactful, dict[str, str]],
) -> None:
    http, _, me = client
    first = _items(http, me)[0]["item_id"]
    given = http.post(
        "/v1/me/feedback", json={"kind": "not_interested", "item_id": first}, headers=me
    )
    assert given.status_code == 200, given.text
    decision = http.get("/v1/me/recommendations?k=10", headers=me).json()
    assert first not in [i["item_id"] for i in decision["items"]]
    assert decision["held_back"]["not_interested"] == 1
    # Taken back, it may come again.
    back = http.post(
        "/v1/me/feedback/withdraw", json={"kind": "not_interested", "item_id": first}, headers=me
    )
    assert back.json()["feedback"] == []
    assert _items(http, me)[0]["item_id"] == first


def test_less_like_this_moves_a_category_behind_everything_else(
    client: tuple[TestClient, Tactful, dict[str, str]],
) -> None:
    http, service, me = client
    before = _items(http, me, k=10)
    top_category = str(before[0]["category"])
    given = http.post(
        "/v1/me/feedback", json={"kind": "less_like_this", "category": top_category}, headers=me
    )
    assert given.status_code == 200, given.text
    decision = http.get("/v1/me/recommendations?k=10", headers=me).json()
    categories = [i["category"] for i in decision["items"]]
    assert top_category not in categories
    assert any(top_category in note for note in decision["notes"])
    # With a list longer than what is left, the category fills the end and only the end.
    catalog = len(service.catalog(service.store.engine.connect()))
    long = http.get(f"/v1/me/recommendations?k={min(catalog, 100)}", headers=me).json()
    cats = [i["category"] for i in long["items"]]
    if top_category in cats:
        first = cats.index(top_category)
        assert all(c == top_category for c in cats[first:])
    listed = http.get("/v1/me/feedback", headers=me).json()["feedback"]
    assert [(f["kind"], f["target"]) for f in listed] == [("less_like_this", top_category)]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "not_interested", "item_id": "no-such-item"}, 422),
        ({"kind": "less_like_this", "category": "no-such-category"}, 422),
        ({"kind": "not_interested", "category": "books"}, 422),
        ({"kind": "less_like_this", "item_id": "books-1", "category": "books"}, 422),
        ({"kind": "louder"}, 422),
        ({"kind": "not_interested", "item_id": "books-1", "extra": 1}, 422),
    ],
)
def test_bad_feedback_is_refused_and_stores_nothing(
    client: tuple[TestClient, Tactful, dict[str, str]], body: dict[str, object], status: int
) -> None:
    http, _, me = client
    response = http.post("/v1/me/feedback", json=body, headers=me)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert http.get("/v1/me/feedback", headers=me).json()["feedback"] == []


def test_withdrawing_feedback_never_given_is_not_found(
    client: tuple[TestClient, Tactful, dict[str, str]],
) -> None:
    http, _, me = client
    response = http.post(
        "/v1/me/feedback/withdraw", json={"kind": "less_like_this", "category": "books"}, headers=me
    )
    assert response.status_code == 404


def test_erasure_takes_the_feedback_too(client: tuple[TestClient, Tactful, dict[str, str]]) -> None:
    _, service, _ = client
    service.give_feedback("alice", "less_like_this", "books")
    view = service.request_erasure("alice")
    assert view["detail"]["rows_deleted"]["feedback"] == 1
