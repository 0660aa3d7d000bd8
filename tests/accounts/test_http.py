"""The account routes over HTTP on each backend: scopes, problems, the record."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tactful.service import Tactful
from tests.http_helpers import OPERATOR, ok, problem

EVENT = {
    "account_id": "new-runner",
    "item_id": "garden-1",
    "event_type": "purchase",
    "timestamp": "2026-10-25T10:00:00Z",
    "quantity": 3,
}


def _key(service: Tactful, *scopes: str) -> dict[str, str]:
    presented, _ = service.keys.create("-".join(scopes), list(scopes))
    return {"X-API-Key": presented}


def test_ingest_decide_fetch_and_delete(client: TestClient, service: Tactful) -> None:
    created = ok(
        client.post(
            "/v1/accounts",
            json=[{"account_id": "cafe-1", "industry": "hospitality", "size_band": "1-9"}],
            headers=OPERATOR,
        )
    )
    assert created == {"kind": "accounts", "received": 1, "created": 1, "updated": 0}
    stored = ok(client.post("/v1/accounts/events", json=[EVENT], headers=OPERATOR))
    assert stored["stored"] == 1
    # Its one order is of an item no other organisation took: the history speaks for nothing,
    # so the list is its segment's, and says so.
    runner = ok(client.get("/v1/accounts/new-runner/recommendations", headers=OPERATOR))
    assert runner["basis"] == "segment"
    assert runner["personalized"] is False
    assert runner["model"]["name"] == "account-segments"
    assert runner["signals_used"] == {}
    body = ok(
        client.get(
            "/v1/accounts/cafe-1/recommendations",
            params={"surface": "b2b-home", "k": 3, "pin": ["bet-1", "toys-2"]},
            headers=OPERATOR,
        )
    )
    assert body["level"] == "account"
    assert body["basis"] == "industry"
    assert body["items"][0]["item_id"] == "toys-2"
    assert all(i["category"] in ("kitchen", "toys") for i in body["items"])
    assert ok(client.get(f"/v1/account-decisions/{body['decision_id']}", headers=OPERATOR)) == body
    gone = ok(client.delete("/v1/accounts/cafe-1", headers=OPERATOR))
    assert gone["rows_deleted"]["accounts"] == 1
    problem(client.get(f"/v1/account-decisions/{body['decision_id']}", headers=OPERATOR), 404)
    problem(client.get("/v1/accounts/cafe-1/recommendations", headers=OPERATOR), 404)


def test_scopes_follow_the_person_routes(client: TestClient, service: Tactful) -> None:
    recommend = _key(service, "recommend")
    ingest = _key(service, "ingest")
    problem(client.post("/v1/accounts", json=[{"account_id": "x"}], headers=recommend), 403)
    problem(client.post("/v1/accounts/events", json=[EVENT], headers=recommend), 403)
    ok(client.post("/v1/accounts", json=[{"account_id": "x"}], headers=ingest))
    problem(client.get("/v1/accounts/x/recommendations", headers=ingest), 403)
    body = ok(client.get("/v1/accounts/x/recommendations", headers=recommend))
    ok(client.get(f"/v1/account-decisions/{body['decision_id']}", headers=recommend))
    problem(client.delete("/v1/accounts/x", headers=recommend), 403)
    problem(client.delete("/v1/accounts/x", headers=ingest), 403)
    ok(client.delete("/v1/accounts/x", headers=_key(service, "privacy-officer")))
    problem(client.get("/v1/accounts/x/recommendations"), 401)


def test_surface_and_person_refusals_are_problems(client: TestClient) -> None:
    person = problem(
        client.get("/v1/subjects/alice/recommendations?surface=b2b-cart", headers=OPERATOR), 422
    )
    assert person["errors"][0]["field"] == "surface"
    assert "account surface" in person["errors"][0]["message"]
    account = problem(
        client.get("/v1/accounts/shoe-shop/recommendations?surface=home", headers=OPERATOR), 422
    )
    assert "not an account surface" in account["errors"][0]["message"]
    refused = problem(
        client.post(
            "/v1/accounts",
            json=[{"account_id": "y", "industry": "retail", "contact_email": "a@b.c"}],
            headers=OPERATOR,
        ),
        422,
    )
    assert refused["type"].endswith("/batch-rejected")
    assert "person's data" in refused["detail"]
    assert refused["errors"] == [
        {
            "field": "contact_email",
            "message": "account rows hold no person's data: firmographics and account events "
            "only (remove this field)",
            "row": 0,
        }
    ]
    problem(client.get("/v1/accounts/bad%20id/recommendations", headers=OPERATOR), 422)
    problem(client.get("/v1/account-decisions/nope", headers=OPERATOR), 422)
    problem(client.post("/v1/accounts", json=[], headers=OPERATOR), 422)
    problem(client.post("/v1/accounts", json={"account_id": "z"}, headers=OPERATOR), 422)


def test_the_account_level_is_in_the_main_parameters(client: TestClient) -> None:
    parameters = ok(client.get("/v1/transparency/recommender"))
    assert parameters["accounts"]["surfaces"] == ["b2b-home", "b2b-cart"]
    assert parameters["accounts"]["level"] == "account"
