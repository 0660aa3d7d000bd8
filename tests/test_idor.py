"""Cross-subject access (IDOR) on every path: nobody reaches another person's data.

Two people, alice and bob, each with decisions, receipts, events, complaints and rights
requests. Alice's token is tried with bob's ids on every consumer path that takes an id, and
bob's ids go in every body that names a resource; operator paths naming one person are tried
with the other's resource ids; and credentials are swapped on every operation: a subject
token is no operator key, an operator key opens no `/v1/me` route. The operations come from
the served OpenAPI document, so a new path cannot slip past without a case here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tactful.api.app import create_app
from tactful.api.openapi import is_public
from tactful.service import Tactful
from tactful.services.export import export_subject
from tactful.settings import Settings
from tactful.storage import tables as t
from tests import shop

KEY = "test-operator-key-0123456789abcdef"
OPERATOR = {"X-API-Key": KEY}


class People:
    def __init__(self, service: Tactful) -> None:
        self.service = service
        self.ids: dict[str, dict[str, str]] = {}
        service.messaging.add_campaign("news", "Store news")
        for who in ("alice", "bob"):
            service.record_consents(
                who, {"choices": [{"purpose": "marketing.email", "status": "granted"}]}
            )
            # Sent or held (this runs on the real clock, maybe in quiet hours): recorded alike.
            message = service.messaging.decide(who, "email", "news", "Our store news.")
            decision = service.recommend(who, k=3)
            item = decision["items"][0]["item_id"]
            complaint = service.complaints.file(
                who, reason="irrelevant", decision_id=decision["decision_id"], item_id=item
            )
            receipt = service.receipts(who)[0]["receipt_id"]
            export_subject(service, who)
            with service.store.reading() as conn:
                event = conn.execute(
                    select(t.events.c.event_id).where(t.events.c.subject_id == who).limit(1)
                ).scalar_one()
                request = conn.execute(
                    select(t.rights_requests.c.request_id).where(
                        t.rights_requests.c.subject_id == who
                    )
                ).scalar_one()
            self.ids[who] = {
                "subject_id": who,
                "decision_id": decision["decision_id"],
                "item_id": item,
                "complaint_id": complaint["complaint"]["complaint_id"],
                "receipt_id": receipt,
                "event_id": str(event),
                "request_id": str(request),
                "key_id": "bootstrap",
                "category": "gambling",
                "message_id": message["message_id"],
                "campaign_id": "news",
                # An organisation, not a person: the account routes are operator-only too.
                "account_id": "acme",
                # A fairness audit run names no one; any id stands for it.
                "audit_id": "0b3c8a9e-0000-4000-8000-000000000000",
            }
        # Bob's exclusion without an end: only he can lift it.
        service.protections.self_exclude("bob", "gambling", None)

    def token(self, who: str) -> str:
        token: str = self.service.issue_token(who)["token"]
        return token


@pytest.fixture
def people(settings: Settings) -> Iterator[tuple[TestClient, People]]:
    service = Tactful(settings.model_copy(update={"subject_rate_limit_per_minute": 0}))
    shop.populate(service)
    service.record_consents("bob", {"choices": shop.FULL})
    service.ingest_events(shop.person_events("bob", "books", ("view", "purchase")))
    service.train()
    people = People(service)
    client = TestClient(create_app(service.settings, service), raise_server_exceptions=False)
    yield client, people
    service.close()


def _operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [(m.upper(), p) for p, methods in spec["paths"].items() for m in methods]


def _consumer(path: str) -> bool:
    """A path of the consumer API (/v1/me and below; not /v1/messages)."""
    return path == "/v1/me" or path.startswith("/v1/me/")


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


# Every consumer path that takes an id, and the body that names bob's resources.
CONSUMER_WITH_IDS = {
    "/v1/me/receipts/{receipt_id}",
    "/v1/me/decisions/{decision_id}",
    "/v1/me/decisions/{decision_id}/items/{item_id}",
    "/v1/me/complaints/{complaint_id}",
}


# Consumer paths whose id names something of the token's own subject (not a resource that
# could be another person's): acting on them touches nobody else's.
CONSUMER_OWN_ACTIONS = {"/v1/me/self-exclusions/{category}/lift"}


def test_every_consumer_path_with_an_id_is_covered(people: tuple[TestClient, People]) -> None:
    client, _ = people
    with_ids = {p for _, p in _operations(client) if _consumer(p) and "{" in p}
    assert with_ids == CONSUMER_WITH_IDS | CONSUMER_OWN_ACTIONS


def test_lifting_a_category_touches_only_the_persons_own_exclusion(
    people: tuple[TestClient, People],
) -> None:
    client, folks = people
    alice = {"Authorization": f"Bearer {folks.token('alice')}"}
    before = folks.service.protections.of("bob")["self_exclusions"]
    lifted = client.post(
        _fill("/v1/me/self-exclusions/{category}/lift", folks.ids["bob"]), headers=alice
    )
    assert lifted.status_code == 404, lifted.text
    assert lifted.headers["content-type"].startswith("application/problem+json")
    assert folks.service.protections.of("bob")["self_exclusions"] == before
    assert before[0]["status"] == "in_force"
    assert folks.service.protections.of("alice")["self_exclusions"] == []


@pytest.mark.parametrize("path", sorted(CONSUMER_WITH_IDS))
def test_a_person_cannot_open_anothers_resource_by_id(
    people: tuple[TestClient, People], path: str
) -> None:
    client, folks = people
    bob = folks.ids["bob"]
    response = client.get(
        _fill(path, bob), headers={"Authorization": f"Bearer {folks.token('alice')}"}
    )
    assert response.status_code == 404, (path, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    # The same path with alice's own ids answers: the refusal is about whose it is.
    own = client.get(
        _fill(path, folks.ids["alice"]), headers={"Authorization": f"Bearer {folks.token('alice')}"}
    )
    assert own.status_code == 200, (path, own.text)


def test_bodies_naming_anothers_resources_are_refused_and_change_nothing(
    people: tuple[TestClient, People],
) -> None:
    client, folks = people
    bob = folks.ids["bob"]
    alice = {"Authorization": f"Bearer {folks.token('alice')}"}
    before = folks.service.complaints.of_subject("bob")
    complaint = client.post(
        "/v1/me/complaints",
        json={"decision_id": bob["decision_id"], "item_id": bob["item_id"], "reason": "intrusive"},
        headers=alice,
    )
    assert complaint.status_code == 404, complaint.text
    removal = client.post(
        "/v1/me/events/remove", json={"event_ids": [int(bob["event_id"])]}, headers=alice
    )
    assert removal.status_code == 404, removal.text
    with folks.service.store.reading() as conn:
        assert conn.execute(
            select(t.events.c.event_id).where(t.events.c.event_id == int(bob["event_id"]))
        ).first()
    assert folks.service.complaints.of_subject("bob") == before
    assert len(folks.service.complaints.of_subject("alice")) == 1


def test_consumer_lists_hold_only_the_persons_own_data(
    people: tuple[TestClient, People],
) -> None:
    client, folks = people
    alice = {"Authorization": f"Bearer {folks.token('alice')}"}
    # Items, categories, campaigns and the bootstrap key are shared by everyone; event ids are small
    # numbers that could appear inside anything (checked by value below).
    shared = ("item_id", "key_id", "event_id", "category", "campaign_id")
    bob_values = [v for k, v in folks.ids["bob"].items() if k not in shared]
    for path in (
        "/v1/me",
        "/v1/me/consents",
        "/v1/me/receipts",
        "/v1/me/decisions",
        "/v1/me/complaints",
        "/v1/me/requests",
        "/v1/me/events",
        "/v1/me/inventory",
        "/v1/me/export",
        "/v1/me/profile",
        "/v1/me/messages",
    ):
        response = client.get(path, headers=alice)
        assert response.status_code == 200, (path, response.text)
        for value in bob_values:
            assert value not in response.text, (path, value)
    events = client.get("/v1/me/events", headers=alice).json()
    listed = {str(e["event_id"]) for e in events["events"]}
    assert listed
    assert folks.ids["bob"]["event_id"] not in listed


# Operator paths that name a person and one of their resources.
OPERATOR_PAIRS = {"/v1/subjects/{subject_id}/receipts/{receipt_id}"}


def test_operator_paths_pairing_a_person_with_anothers_resource_are_refused(
    people: tuple[TestClient, People],
) -> None:
    client, folks = people
    paired = {
        p
        for _, p in _operations(client)
        if p.startswith("/v1/subjects/{subject_id}/") and p.count("{") > 1
    }
    assert paired == OPERATOR_PAIRS
    mixed = {**folks.ids["bob"], "subject_id": "alice"}
    for path in paired:
        response = client.get(_fill(path, mixed), headers=OPERATOR)
        assert response.status_code == 404, (path, response.text)


def test_a_subject_token_opens_no_operator_operation(people: tuple[TestClient, People]) -> None:
    client, folks = people
    token = {"Authorization": f"Bearer {folks.token('alice')}"}
    checked = 0
    for method, path in _operations(client):
        if not path.startswith("/v1/") or _consumer(path) or is_public(path):
            continue
        response = client.request(method, _fill(path, folks.ids["bob"]), headers=token, json={})
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        checked += 1
    assert checked >= 30


def test_an_operator_key_opens_no_consumer_operation(people: tuple[TestClient, People]) -> None:
    client, folks = people
    checked = 0
    for method, path in _operations(client):
        if not _consumer(path):
            continue
        for headers in (OPERATOR, {"Authorization": f"Bearer {KEY}"}):
            response = client.request(
                method, _fill(path, folks.ids["bob"]), headers=headers, json={}
            )
            assert response.status_code == 401, (method, path, response.text)
        checked += 1
    assert checked >= 25
    # Nothing was changed by any of it.
    assert folks.service.rights_requests(kind="erasure")["requests"] == []
    assert folks.service.consents("alice")["level"] == "full"


def test_a_token_for_an_erased_person_opens_nothing(people: tuple[TestClient, People]) -> None:
    client, folks = people
    token = {"Authorization": f"Bearer {folks.token('bob')}"}
    folks.service.request_erasure("bob")
    for method, path in _operations(client):
        if _consumer(path):
            response = client.request(method, _fill(path, folks.ids["bob"]), headers=token, json={})
            assert response.status_code == 401, (method, path, response.text)
