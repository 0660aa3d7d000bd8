"""Access and rectification over HTTP, on SQLite and PostgreSQL: the person's own routes
under /v1/me (bound to their token), the privacy officer's under /v1/subjects/{id} (each
read of personal data audited), and the public export schema."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tactful.service import Tactful
from tactful.storage import tables as t
from tests.http_helpers import OPERATOR, ok, problem, subject_headers
from tests.rights.seed import seed_person

SCHEMA = "/v1/schemas/subject-export.json"


def _reads(service: Tactful, subject_id: str) -> list[str]:
    """What operators read of this person, from the audit log."""
    ref = service.cipher.fingerprint(subject_id)
    with service.store.reading() as conn:
        rows = conn.execute(
            select(t.audit_log.c.detail, t.audit_log.c.actor)
            .where(t.audit_log.c.subject_ref == ref, t.audit_log.c.action == "personal_data.read")
            .order_by(t.audit_log.c.seq)
        )
        return [r.detail["what"] for r in rows if r.actor != "system"]


def _event_count(service: Tactful, subject_id: str) -> int:
    with service.store.reading() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.events)
                .where(t.events.c.subject_id == subject_id)
            ).scalar_one()
        )


def _all_events(client: TestClient, me: dict[str, str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    url = "/v1/me/events?limit=3"
    while True:
        page = ok(client.get(url, headers=me))
        events += page["events"]
        if page["next_before"] is None:
            return events
        url = "/v1/me/events"
        url += "?" + str(httpx.QueryParams({"limit": 3, "before": page["next_before"]}))


# -- the person ----------------------------------------------------------------------------
def test_my_export_matches_the_public_schema_and_holds_onlysubject_headers(
    client: TestClient, service: Tactful
) -> None:
    amara = seed_person(service, "amara", tag="amara")
    bertil = seed_person(service, "bertil", tag="bertil", category="garden")
    served = client.get(SCHEMA)  # no credential: the format is public
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/schema+json")
    validator = jsonschema_rs.Draft202012Validator(served.json(), validate_formats=True)

    export = ok(client.get("/v1/me/export", headers=subject_headers(client, "amara")))
    assert [e.message for e in validator.iter_errors(export)] == []
    assert export["subject_id"] == "amara"
    assert {e["event_id"] for e in export["events"]} == amara.event_ids
    text = str(export)
    assert not any(marker in text for marker in bertil.markers)
    (request,) = [
        r
        for r in ok(client.get("/v1/me/requests", headers=subject_headers(client, "amara")))[
            "requests"
        ]
        if r["request_id"] == export["request_id"]
    ]
    assert (request["kind"], request["requested_via"]) == ("access", "consumer")


def test_my_export_page_is_an_escaped_attachment(client: TestClient, service: Tactful) -> None:
    seed_person(service, "amara", tag="amara")
    page = client.get("/v1/me/export.html", headers=subject_headers(client, "amara"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    disposition = page.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith('.html"')
    assert "<script" not in page.text.lower()
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page.text
    assert "&lt;script&gt;alert(&#39;query&#39;)&lt;/script&gt;" in page.text


def test_my_profile_is_corrected_and_under_18_takes_effect_on_the_next_decision(
    client: TestClient,
) -> None:
    me = subject_headers(client, "alice")
    profile = ok(client.get("/v1/me/profile", headers=me))
    assert profile["attributes"]["region"] == "north"
    assert profile["identity"] is None
    assert ok(client.get("/v1/me/recommendations", headers=me))["personalized"] is True

    changed = ok(
        client.patch(
            "/v1/me/profile",
            json={"age_band": "under_18", "region": None, "email": "alice@example.com"},
            headers=me,
        )
    )
    assert changed["attributes"] == {
        "age_band": "under_18",
        "region": None,
        "gender": "female",
        "occupation": None,
        "time_zone": None,
    }
    assert changed["identity"] == {"email": "alice@example.com", "name": None, "phone": None}
    assert ok(client.get("/v1/me/profile", headers=me)) == changed
    after = ok(client.get("/v1/me/recommendations", headers=me))
    assert (after["level"], after["personalized"]) == ("off", False)
    # Now a minor: the person cannot lift the band themselves.
    refused = problem(client.patch("/v1/me/profile", json={"age_band": "25-34"}, headers=me), 403)
    assert "under_18" in refused["detail"]
    assert ok(client.get("/v1/me/profile", headers=me)) == changed


@pytest.mark.parametrize(
    "body",
    [
        {"email": "nope"},
        {"region": "ok", "phone": "not a phone"},
        {"subject_id": "bob"},
        {"age_band": 18},
        {},
        [],
        "region=north",
    ],
)
def test_a_bad_profile_change_is_a_problem_and_changes_nothing(
    client: TestClient, body: Any
) -> None:
    me = subject_headers(client, "alice")
    before = ok(client.get("/v1/me/profile", headers=me))
    problem(client.patch("/v1/me/profile", json=body, headers=me), 422)
    assert ok(client.get("/v1/me/profile", headers=me)) == before


def test_removing_events_from_my_history_is_effective_on_the_next_decision(
    client: TestClient, service: Tactful
) -> None:
    me = subject_headers(client, "alice")
    events = _all_events(client, me)
    assert len(events) == len({e["event_id"] for e in events}) == _event_count(service, "alice")
    first = ok(client.get("/v1/me/recommendations", headers=me))
    cited = {i["explanation"]["because_item_id"] for i in first["items"]} - {None}
    assert cited
    chosen = [e["event_id"] for e in events if e["item_id"] in cited]

    done = ok(client.post("/v1/me/events/remove", json={"event_ids": chosen}, headers=me))
    assert done["removed"] == len(chosen)
    left = {e["event_id"] for e in _all_events(client, me)}
    assert left == {e["event_id"] for e in events} - set(chosen)
    after = ok(client.get("/v1/me/recommendations", headers=me))
    assert cited.isdisjoint({i["explanation"]["because_item_id"] for i in after["items"]})

    # Forgetting one item by its id.
    item = next(e["item_id"] for e in events if e["event_id"] in left and e["item_id"])
    gone = ok(client.post("/v1/me/events/remove", json={"item_id": item}, headers=me))
    assert gone["removed"] >= 1
    assert all(e["item_id"] != item for e in _all_events(client, me))


def test_i_cannot_remove_anyone_elses_events_and_a_refusal_removes_nothing(
    client: TestClient, service: Tactful
) -> None:
    me = subject_headers(client, "alice")
    mine = [e["event_id"] for e in _all_events(client, me)]
    carol = [e["event_id"] for e in _all_events(client, subject_headers(client, "carol"))]
    counts = (_event_count(service, "alice"), _event_count(service, "carol"))
    problem(client.post("/v1/me/events/remove", json={"event_ids": carol[:1]}, headers=me), 404)
    problem(
        client.post("/v1/me/events/remove", json={"event_ids": [*mine, carol[0]]}, headers=me),
        404,
    )
    for body in (
        {"event_ids": list(range(1, 1002))},
        {"event_ids": []},
        {"event_ids": ["one"]},
        {"event_ids": [0]},
        {"event_ids": mine, "item_id": "running-0"},
        {},
        {"item_id": "not an id!"},
    ):
        problem(client.post("/v1/me/events/remove", json=body, headers=me), 422)
    problem(client.post("/v1/me/events/remove", json={"item_id": "kitchen-0"}, headers=me), 404)
    assert (_event_count(service, "alice"), _event_count(service, "carol")) == counts


def test_every_consumer_route_needs_the_persons_token(client: TestClient) -> None:
    for method, path in [
        ("GET", "/v1/me/export"),
        ("GET", "/v1/me/export.html"),
        ("GET", "/v1/me/profile"),
        ("PATCH", "/v1/me/profile"),
        ("GET", "/v1/me/events"),
        ("POST", "/v1/me/events/remove"),
    ]:
        problem(client.request(method, path, json={"region": "x"}), 401)
        # The operator's key is not a person's token.
        problem(client.request(method, path, json={"region": "x"}, headers=OPERATOR), 401)


# -- the privacy officer ---------------------------------------------------------------------
def test_operator_routes_need_the_key_and_each_read_is_audited(
    client: TestClient, service: Tactful
) -> None:
    token = subject_headers(client, "alice")
    for method, path in [
        ("GET", "/v1/subjects/alice/export"),
        ("GET", "/v1/subjects/alice/export.html"),
        ("GET", "/v1/subjects/alice/profile"),
        ("PATCH", "/v1/subjects/alice/profile"),
        ("POST", "/v1/subjects/alice/events/remove"),
    ]:
        problem(client.request(method, path, json={"item_id": "running-0"}), 401)
        # A person's token opens none of them, not even for themselves.
        problem(client.request(method, path, json={"item_id": "running-0"}, headers=token), 401)
    assert _reads(service, "alice") == []

    export = ok(client.get("/v1/subjects/alice/export", headers=OPERATOR))
    assert export["subject_id"] == "alice"
    page = client.get("/v1/subjects/alice/export.html", headers=OPERATOR)
    assert page.status_code == 200
    assert page.headers["content-disposition"].startswith("attachment;")
    assert ok(client.get("/v1/subjects/alice/profile", headers=OPERATOR))["subject_id"] == "alice"
    corrected = ok(
        client.patch("/v1/subjects/alice/profile", json={"name": "Alice Ng"}, headers=OPERATOR)
    )
    assert corrected["identity"]["name"] == "Alice Ng"
    removed = ok(
        client.post(
            "/v1/subjects/alice/events/remove", json={"item_id": "running-0"}, headers=OPERATOR
        )
    )
    assert removed["removed"] == 2
    assert _reads(service, "alice") == ["export", "export", "profile", "profile"]
    kinds = [
        (r["kind"], r["requested_via"])
        for r in ok(client.get("/v1/rights-requests", headers=OPERATOR))["requests"]
    ]
    assert kinds.count(("access", "operator")) == 2
    assert kinds.count(("rectification", "operator")) == 2


def test_operator_routes_answer_problems_for_no_one_and_bad_input(
    client: TestClient, service: Tactful
) -> None:
    for method, path in [
        ("GET", "/v1/subjects/nobody/export"),
        ("GET", "/v1/subjects/nobody/export.html"),
        ("GET", "/v1/subjects/nobody/profile"),
        ("PATCH", "/v1/subjects/nobody/profile"),
        ("POST", "/v1/subjects/nobody/events/remove"),
    ]:
        body = {"item_id": "running-0"} if path.endswith("remove") else {"region": "x"}
        problem(client.request(method, path, json=body, headers=OPERATOR), 404)
    problem(client.get("/v1/subjects/bad%20id/export", headers=OPERATOR), 422)
    problem(
        client.patch("/v1/subjects/alice/profile", json={"name": ""}, headers=OPERATOR),
        422,
    )
    assert _reads(service, "nobody") == []
