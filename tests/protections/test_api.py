"""Protections over HTTP: the person's routes under /v1/me, the privacy officer's under
/v1/subjects/{id}, their problems for bad input, and the audit entries they leave."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tactful.service import Tactful
from tactful.storage import tables as t
from tests.clock import Clock
from tests.http_helpers import OPERATOR, ok, problem, subject_headers
from tests.trained_shop import T0


def _actions(service: Tactful) -> list[tuple[str, str, dict[str, Any]]]:
    with service.store.reading() as conn:
        rows = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.action, t.audit_log.c.detail)
            .where(
                t.audit_log.c.action.like("protection.%")
                | (t.audit_log.c.action == "personal_data.read")
            )
            .order_by(t.audit_log.c.seq)
        )
        return [(r.actor, r.action, r.detail) for r in rows]


def _stored(service: Tactful) -> int:
    with service.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(t.protections)).scalar_one())


def test_a_person_excludes_themselves_lifts_it_and_flags_vulnerability(
    client: TestClient, service: Tactful, clock: Clock
) -> None:
    me = subject_headers(client, "erin")
    view = ok(client.get("/v1/me/protections", headers=me))
    assert view["self_exclusions"] == []
    assert view["vulnerable"] is False
    assert {"category": "gambling", "title": "Gambling and betting"} in view["self_excludable"]
    assert {"category": "alcohol", "title": "Alcohol"} in view["harm_prone"]

    added = ok(client.post("/v1/me/self-exclusions", json={"category": "gambling"}, headers=me))
    assert added["outcome"] == "added"
    assert added["self_exclusions"][0]["can_lift"] is True
    flagged = ok(client.put("/v1/me/vulnerability", json={"vulnerable": True}, headers=me))
    assert flagged["vulnerable"] is True

    clock.advance(days=2)
    me = subject_headers(client, "erin")  # a token lasts less than days
    lifting = ok(client.post("/v1/me/self-exclusions/gambling/lift", headers=me))
    row = lifting["self_exclusions"][0]
    cooling = service.guardrails.protection.self_exclusion_cooling_off_days
    assert row["status"] == "lifting"
    assert row["ends_at"] == (T0 + timedelta(days=2 + cooling)).isoformat()
    with service.store.reading() as conn:
        excluded = service.store.exclusions(conn, "erin", clock())
    assert excluded["self_exclusion"] == {"gambling"}
    assert excluded["vulnerable"] == {""}

    cleared = ok(client.put("/v1/me/vulnerability", json={"vulnerable": False}, headers=me))
    assert cleared["vulnerable"] is False
    assert [(actor, action) for actor, action, _ in _actions(service)] == [
        ("subject", "protection.added"),
        ("subject", "protection.added"),
        ("subject", "protection.lifted"),
        ("subject", "protection.lifted"),
    ]


def test_a_dated_exclusion_cannot_be_lifted_early(client: TestClient, clock: Clock) -> None:
    me = subject_headers(client, "erin")
    ok(client.post("/v1/me/self-exclusions", json={"category": "alcohol", "days": 30}, headers=me))
    clock.advance(days=10)
    me = subject_headers(client, "erin")
    refused = problem(client.post("/v1/me/self-exclusions/alcohol/lift", headers=me), 409)
    assert (T0 + timedelta(days=30)).isoformat() in refused["detail"]
    view = ok(client.get("/v1/me/protections", headers=me))
    assert view["self_exclusions"][0]["status"] == "in_force"
    # Nothing to lift: none in force for this category.
    problem(client.post("/v1/me/self-exclusions/gambling/lift", headers=me), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"category": "tobacco"},
        {"category": "gambling", "days": 0},
        {"category": "gambling", "days": 3651},
        {"category": "gambling", "days": "30"},
        {"category": "gambling", "days": True},
        {"category": "gambling", "days": 2.5},
        {"category": "gambling", "until": "forever"},
        {"category": ""},
        {"days": 5},
        {"category": "x" * 65},
    ],
)
def test_bad_self_exclusions_are_422_and_store_nothing(
    client: TestClient, service: Tactful, body: dict[str, Any]
) -> None:
    me = subject_headers(client, "erin")
    for path, headers in (
        ("/v1/me/self-exclusions", me),
        ("/v1/subjects/erin/self-exclusions", OPERATOR),
    ):
        problem(client.post(path, json=body, headers=headers), 422)
    assert _stored(service) == 0


def test_an_unknown_category_names_the_allowed_ones(client: TestClient) -> None:
    me = subject_headers(client, "erin")
    refused = problem(
        client.post("/v1/me/self-exclusions", json={"category": "tobacco"}, headers=me), 422
    )
    assert "gambling, alcohol" in refused["detail"]


def test_bad_vulnerability_and_lift_input_is_refused(client: TestClient, service: Tactful) -> None:
    me = subject_headers(client, "erin")
    for body in ({"vulnerable": "yes"}, {"vulnerable": 1}, {}, {"vulnerable": None}):
        problem(client.put("/v1/me/vulnerability", json=body, headers=me), 422)
    problem(client.post("/v1/me/self-exclusions/Not%20A%20Code/lift", headers=me), 422)
    problem(client.post(f"/v1/me/self-exclusions/{'a' * 65}/lift", headers=me), 422)
    assert _stored(service) == 0


def test_a_privacy_officer_acts_at_the_persons_request(
    client: TestClient, service: Tactful
) -> None:
    added = ok(
        client.post(
            "/v1/subjects/erin/self-exclusions",
            json={"category": "gambling", "days": 365},
            headers=OPERATOR,
        )
    )
    assert added["outcome"] == "added"
    ok(client.put("/v1/subjects/erin/vulnerability", json={"vulnerable": True}, headers=OPERATOR))
    read = ok(client.get("/v1/subjects/erin/protections", headers=OPERATOR))
    assert read["vulnerable"] is True
    assert read["self_exclusions"][0]["ends_at"] == (T0 + timedelta(days=365)).isoformat()
    actions = _actions(service)
    assert [action for _, action, _ in actions] == [
        "protection.added",
        "protection.added",
        "personal_data.read",
    ]
    assert actions[0][2] == {
        "kind": "self_exclusion",
        "category": "gambling",
        "ends_at": (T0 + timedelta(days=365)).isoformat(),
    }
    assert actions[2][2] == {"what": "protections"}
    assert all(actor.startswith("key:") for actor, _, _ in actions)
    # The person sees what the officer did for them.
    me = subject_headers(client, "erin")
    assert (
        ok(client.get("/v1/me/protections", headers=me))["self_exclusions"]
        == (read["self_exclusions"])
    )
    # Only the person lifts.
    assert client.post(
        "/v1/subjects/erin/self-exclusions/gambling/lift", headers=OPERATOR
    ).status_code in (
        404,
        405,
    )


def test_operator_routes_need_the_privacy_officer_scope_and_a_known_subject(
    client: TestClient, service: Tactful
) -> None:
    analyst, _ = service.keys.create("reports", ["analyst"])
    headers = {"X-API-Key": analyst}
    problem(client.get("/v1/subjects/erin/protections", headers=headers), 403)
    problem(
        client.post(
            "/v1/subjects/erin/self-exclusions", json={"category": "gambling"}, headers=headers
        ),
        403,
    )
    problem(
        client.put("/v1/subjects/erin/vulnerability", json={"vulnerable": True}, headers=headers),
        403,
    )
    problem(client.get("/v1/subjects/erin/protections"), 401)
    problem(client.get("/v1/subjects/nobody/protections", headers=OPERATOR), 404)
    problem(
        client.post(
            "/v1/subjects/nobody/self-exclusions", json={"category": "gambling"}, headers=OPERATOR
        ),
        404,
    )
    problem(
        client.put(
            "/v1/subjects/nobody/vulnerability", json={"vulnerable": True}, headers=OPERATOR
        ),
        404,
    )
    assert _stored(service) == 0
    assert _actions(service) == []


def test_erasure_takes_them_and_the_token_with_them(client: TestClient, service: Tactful) -> None:
    me = subject_headers(client, "erin")
    ok(client.post("/v1/me/self-exclusions", json={"category": "gambling"}, headers=me))
    ok(client.put("/v1/me/vulnerability", json={"vulnerable": True}, headers=me))
    service.request_erasure("erin")
    assert _stored(service) == 0
    problem(client.get("/v1/me/protections", headers=me), 401)
    problem(client.get("/v1/subjects/erin/protections", headers=OPERATOR), 404)
