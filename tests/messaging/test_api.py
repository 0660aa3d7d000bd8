"""Messaging over HTTP (SQLite and PostgreSQL): campaigns, send-or-hold with reasons, bad
input refused as problems with nothing stored, copy in any script, the person's "too many
messages" changing the very next decision, the person's and the operator's lists, engagement
and scopes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tactful.domain.access import Scope
from tactful.service import Tactful
from tests.clock import Clock
from tests.http_helpers import OPERATOR, ok, problem, subject_headers
from tests.messaging.test_service_support import (
    clock,
    count,
    decide,
    decide_body,
    failed,
    mclient,
    mservice,
)

__all__ = ["clock", "mclient", "mservice"]

DECIDE = "/v1/messages/decide"


def _post(client: TestClient, body: Any) -> Any:
    return client.post(DECIDE, json=body, headers=OPERATOR)


BAD = [
    ("unknown channel", decide_body(channel="fax"), 422, "channel"),
    ("unknown campaign", decide_body(campaign_id="nope"), 422, "campaign_id"),
    ("empty copy", decide_body(copy=""), 422, "copy"),
    ("blank copy", decide_body(copy=" \n\t "), 422, "copy"),
    ("huge copy", decide_body(copy="Fine words. " * 2000), 422, "copy"),
    ("no copy", {k: v for k, v in decide_body().items() if k != "copy"}, 422, "copy"),
    ("copy not text", decide_body(copy=["a"]), 422, "copy"),
    ("bad subject id", decide_body(subject_id="al ice"), 422, "subject_id"),
    ("unknown subject", decide_body(subject_id="nobody"), 404, None),
    ("negative stock", decide_body(facts={"stock": -1}), 422, "facts.stock"),
    ("deadline without zone", decide_body(facts={"deadline": "2026-11-03T10:00"}), 422, None),
    ("unknown fact", decide_body(facts={"discount": 50}), 422, None),
    ("unknown field", decide_body(priority="high"), 422, None),
]


@pytest.mark.parametrize(("case", "body", "status", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_problem_and_stores_nothing(
    mservice: Tactful,
    mclient: TestClient,
    case: str,
    body: Any,
    status: int,
    field: str | None,
) -> None:
    found = problem(_post(mclient, body), status)
    if field is not None:
        assert field in [e["field"] for e in found["errors"]], (case, found)
    assert count(mservice) == 0
    assert count(mservice, "message_gate") == 0


def test_empty_copy_says_so(mclient: TestClient) -> None:
    found = problem(_post(mclient, decide_body(copy="")), 422)
    assert found["errors"] == [{"field": "copy", "message": "copy must not be empty"}]


def test_a_body_that_is_not_json_is_refused(mservice: Tactful, mclient: TestClient) -> None:
    response = mclient.post(
        DECIDE,
        content=b"{subject_id: alice",
        headers=OPERATOR | {"content-type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert count(mservice) == 0


@pytest.mark.parametrize(
    "copy",
    [
        "新しいランニングシューズが入荷しました。お時間のあるときにご覧ください。",
        "وصلت أحذية الجري الجديدة. تصفحها متى شئت.",
        "Новые кроссовки уже в магазине 👟",
    ],
    ids=["japanese", "arabic", "russian-emoji"],
)
def test_copy_in_any_script_is_decided(mservice: Tactful, mclient: TestClient, copy: str) -> None:
    answer = decide(mclient, copy=copy)
    assert answer["decision"] == "send", answer["reasons"]
    assert answer["copy_findings"] == []
    assert count(mservice) == 1


def test_a_hold_is_a_200_with_its_reasons(mclient: TestClient) -> None:
    answer = decide(mclient, "carol")
    assert answer["decision"] == "hold"
    assert failed(answer) == ["consent"]
    assert answer["reasons"] == ["No consent to marketing.email has been given."]
    assert set(answer) >= {
        "message_id",
        "subject_id",
        "channel",
        "campaign_id",
        "decided_at",
        "checks",
        "copy_findings",
        "time_zone",
        "time_zone_defaulted",
        "retry_after",
        "disclosure",
    }
    assert "headers" not in answer


def test_a_generated_copy_is_disclosed(mclient: TestClient) -> None:
    answer = decide(mclient, generated=True)
    assert answer["disclosure"]["generated_content"] is True
    assert "AI" in answer["disclosure"]["label"]


def test_campaigns_over_http(mclient: TestClient) -> None:
    body = {"campaign_id": "winter", "title": "Winter", "category": "garden", "profiled": True}
    created = ok(mclient.post("/v1/campaigns", json=body, headers=OPERATOR), 201)
    assert created["campaign_id"] == "winter"
    assert ok(mclient.post("/v1/campaigns", json=body, headers=OPERATOR)) == created
    problem(mclient.post("/v1/campaigns", json=body | {"title": "Other"}, headers=OPERATOR), 409)
    unknown = problem(
        mclient.post(
            "/v1/campaigns",
            json={"campaign_id": "x", "title": "X", "category": "spaceships"},
            headers=OPERATOR,
        ),
        422,
    )
    assert unknown["errors"][0]["field"] == "category"
    problem(
        mclient.post("/v1/campaigns", json={"campaign_id": "y z", "title": "Y"}, headers=OPERATOR),
        422,
    )
    listed = ok(mclient.get("/v1/campaigns", headers=OPERATOR))["campaigns"]
    assert "winter" in [c["campaign_id"] for c in listed]
    assert ok(mclient.get("/v1/campaigns/winter", headers=OPERATOR)) == created
    problem(mclient.get("/v1/campaigns/nope", headers=OPERATOR), 404)


def test_each_operation_needs_its_scope(mservice: Tactful, mclient: TestClient) -> None:
    ingest, _ = mservice.keys.create("feeder", [Scope.INGEST], None)
    recommend, _ = mservice.keys.create("sender", [Scope.RECOMMEND], None)
    analyst, _ = mservice.keys.create("analyst", [Scope.ANALYST], None)
    as_ = {
        name: {"X-API-Key": key}
        for name, key in (("ingest", ingest), ("recommend", recommend), ("analyst", analyst))
    }
    body = {"campaign_id": "winter", "title": "Winter"}
    problem(mclient.post("/v1/campaigns", json=body, headers=as_["recommend"]), 403)
    ok(mclient.post("/v1/campaigns", json=body, headers=as_["ingest"]), 201)
    problem(mclient.post(DECIDE, json=decide_body(), headers=as_["ingest"]), 403)
    problem(mclient.post(DECIDE, json=decide_body(), headers=as_["analyst"]), 403)
    sent = ok(mclient.post(DECIDE, json=decide_body(), headers=as_["recommend"]))
    ok(mclient.get("/v1/campaigns", headers=as_["recommend"]))
    engagement = f"/v1/messages/{sent['message_id']}/engagement"
    problem(mclient.post(engagement, json={"kind": "opened"}, headers=as_["recommend"]), 403)
    ok(mclient.post(engagement, json={"kind": "opened"}, headers=as_["ingest"]))
    problem(mclient.get("/v1/subjects/alice/messages", headers=as_["analyst"]), 403)
    problem(mclient.post(DECIDE, json=decide_body()), 401)


def test_too_many_messages_changes_the_very_next_decision(
    mclient: TestClient, clock: Clock
) -> None:
    for who in ("alice", "bob"):
        assert decide(mclient, who)["decision"] == "send"
    clock.advance(days=1)
    me = subject_headers(mclient, "alice")
    given = mclient.post(
        "/v1/me/feedback", json={"kind": "fewer_messages", "channel": "email"}, headers=me
    )
    ok(given)
    # One email a week at most, and she had one yesterday; bob, who did not ask, gets his.
    held = decide(mclient, "alice")
    assert failed(held) == ["fewer_messages"]
    assert held["retry_after"] is not None
    assert decide(mclient, "bob")["decision"] == "send"
    # Other channels are not covered by an email-only request.
    assert decide(mclient, "alice", channel="push")["decision"] == "send"
    # For every channel, then.
    ok(
        mclient.post(
            "/v1/me/feedback", json={"kind": "fewer_messages", "channel": "all"}, headers=me
        )
    )
    assert failed(decide(mclient, "alice", channel="sms")) == ["fewer_messages"]


def test_the_person_sees_their_own_messages_newest_first(mclient: TestClient, clock: Clock) -> None:
    first = decide(mclient, "alice")
    clock.advance(minutes=1)
    second = decide(mclient, "alice", campaign_id="plain")
    clock.advance(minutes=1)
    decide(mclient, "bob")
    me = subject_headers(mclient, "alice")
    page = ok(mclient.get("/v1/me/messages?limit=1", headers=me))
    (newest,) = page["messages"]
    assert newest["message_id"] == second["message_id"]
    assert (newest["decision"], newest["campaign_title"]) == ("hold", "Store news")
    assert newest["reasons"] == second["reasons"]
    assert newest["disclosure"]["label"] == second["disclosure"]["label"]
    rest = ok(mclient.get("/v1/me/messages", params={"before": page["next_before"]}, headers=me))
    assert [m["message_id"] for m in rest["messages"]] == [first["message_id"]]
    everything = mclient.get("/v1/me/messages", headers=me).text
    assert "bob" not in everything
    problem(mclient.get("/v1/me/messages?limit=1000", headers=me), 422)
    problem(mclient.get("/v1/me/messages"), 401)


def test_the_operators_read_of_a_persons_messages_is_audited(
    mservice: Tactful, mclient: TestClient
) -> None:
    decide(mclient, "alice")
    before = count(mservice, "audit_log", action="personal_data.read")
    listed = ok(mclient.get("/v1/subjects/alice/messages", headers=OPERATOR))
    assert len(listed["messages"]) == 1
    assert count(mservice, "audit_log", action="personal_data.read") == before + 1
    problem(mclient.get("/v1/subjects/nobody/messages", headers=OPERATOR), 404)


def test_engagement_over_http(mclient: TestClient) -> None:
    sent = decide(mclient, "alice")["message_id"]
    held = decide(mclient, "carol")["message_id"]
    path = "/v1/messages/{}/engagement"
    clicked = ok(mclient.post(path.format(sent), json={"kind": "clicked"}, headers=OPERATOR))
    assert clicked["engagement"] == "clicked"
    problem(mclient.post(path.format(held), json={"kind": "opened"}, headers=OPERATOR), 409)
    problem(
        mclient.post(
            path.format("6f1c1d6e-0000-4000-8000-000000000000"),
            json={"kind": "opened"},
            headers=OPERATOR,
        ),
        404,
    )
    problem(mclient.post(path.format(sent), json={"kind": "forwarded"}, headers=OPERATOR), 422)
    problem(mclient.post(path.format("nope"), json={"kind": "opened"}, headers=OPERATOR), 422)
    problem(
        mclient.post(
            path.format(sent), json={"kind": "opened", "at": "2026-11-02T10:00"}, headers=OPERATOR
        ),
        422,
    )
