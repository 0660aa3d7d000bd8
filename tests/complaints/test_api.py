"""Complaints over HTTP: the person's routes bound to their token, the officers' queue
behind the operator key, and problems (never a 500) for bad input, on both backends."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tactful.service import Tactful
from tactful.storage import tables as t
from tests.clock import Clock
from tests.http_helpers import OPERATOR, ok, problem, subject_headers

MINE = "/v1/me/complaints"
QUEUE = "/v1/complaints"


@pytest.fixture
def alice(client: TestClient) -> dict[str, str]:
    return subject_headers(client, "alice")


@pytest.fixture
def bob(client: TestClient) -> dict[str, str]:
    return subject_headers(client, "bob")


def _shown(client: TestClient, who: dict[str, str]) -> dict[str, Any]:
    return ok(client.get("/v1/me/recommendations", params={"k": 5}, headers=who))


def test_a_person_reports_an_item_and_stops_seeing_it(
    client: TestClient, alice: dict[str, str]
) -> None:
    shown = _shown(client, alice)
    item = shown["items"][0]["item_id"]
    filed = ok(
        client.post(
            MINE,
            json={
                "decision_id": shown["decision_id"],
                "item_id": item,
                "reason": "manipulative",
                "text": "It said only 1 left, three days running.",
            },
            headers=alice,
        ),
        201,
    )
    assert filed["suppression"]["suppressed"] is True
    complaint = filed["complaint"]
    assert complaint["status"] == "open"
    assert complaint["owner"] is None

    after = _shown(client, alice)
    assert item not in [i["item_id"] for i in after["items"]]
    assert after["held_back"]["reported_by_you"] == 1

    listed = ok(client.get(MINE, headers=alice))["complaints"]
    assert [c["complaint_id"] for c in listed] == [complaint["complaint_id"]]
    one = ok(client.get(f"{MINE}/{complaint['complaint_id']}", headers=alice))
    assert one["text"] == "It said only 1 left, three days running."


def test_a_whole_decision_report_says_nothing_was_suppressed(
    client: TestClient, alice: dict[str, str]
) -> None:
    shown = _shown(client, alice)
    filed = ok(
        client.post(
            MINE, json={"decision_id": shown["decision_id"], "reason": "intrusive"}, headers=alice
        ),
        201,
    )
    assert filed["suppression"] == {
        "suppressed": False,
        "item_id": None,
        "since": None,
        "note": filed["suppression"]["note"],
    }
    assert "Report one item" in filed["suppression"]["note"]


def test_another_persons_decision_and_complaint_are_not_found(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    bobs = _shown(client, bob)
    theirs = client.post(
        MINE,
        json={
            "decision_id": bobs["decision_id"],
            "item_id": bobs["items"][0]["item_id"],
            "reason": "offensive",
        },
        headers=alice,
    )
    missing = client.post(
        MINE, json={"decision_id": str(uuid.uuid4()), "reason": "offensive"}, headers=alice
    )
    assert problem(theirs, 404)["title"] == problem(missing, 404)["title"]
    assert ok(client.get(MINE, headers=alice))["complaints"] == []
    assert "reported_by_you" not in _shown(client, bob)["held_back"]

    filed = ok(
        client.post(MINE, json={"message_ref": "mail-1", "reason": "intrusive"}, headers=bob),
        201,
    )
    bobs_complaint = filed["complaint"]["complaint_id"]
    problem(client.get(f"{MINE}/{bobs_complaint}", headers=alice), 404)
    problem(client.get(f"{MINE}/{uuid.uuid4()}", headers=alice), 404)
    ok(client.get(f"{MINE}/{bobs_complaint}", headers=bob))
    # No subject is ever named on /v1/me: a query parameter naming one changes nothing.
    assert ok(client.get(MINE, params={"subject_id": "bob"}, headers=alice))["complaints"] == []


def test_the_consumer_routes_need_a_subject_token(client: TestClient) -> None:
    problem(client.get(MINE), 401)
    problem(client.post(MINE, json={"message_ref": "m", "reason": "intrusive"}), 401)
    problem(client.get(MINE, headers=OPERATOR), 401)
    problem(client.get(f"{MINE}/{uuid.uuid4()}", headers={"Authorization": "Bearer nope"}), 401)


@pytest.mark.parametrize(
    "body",
    [
        {"message_ref": "m-1", "reason": "boring"},
        {"message_ref": "m-1", "reason": "other"},
        {"message_ref": "m-1", "reason": "other", "text": "\x00\x01"},
        {"message_ref": "m-1", "reason": "intrusive", "text": "x" * 2001},
        {"message_ref": "m" * 129, "reason": "intrusive"},
        {"message_ref": "m-1", "reason": "intrusive", "subject_id": "bob"},
        {"reason": "intrusive"},
        {"decision_id": "not-a-uuid", "reason": "intrusive"},
        {"item_id": "running-1", "reason": "intrusive", "message_ref": "m-1"},
        {"reason": "intrusive", "text": 12, "message_ref": "m-1"},
        [],
        "just text",
    ],
)
def test_bad_complaints_are_problems_and_store_nothing(
    client: TestClient, alice: dict[str, str], body: Any
) -> None:
    refused = problem(client.post(MINE, json=body, headers=alice), 422)
    assert refused["errors"]
    assert ok(client.get(MINE, headers=alice))["complaints"] == []


def test_malformed_json_and_ids_are_problems(client: TestClient, alice: dict[str, str]) -> None:
    headers = alice | {"Content-Type": "application/json"}
    problem(client.post(MINE, content=b'{"reason": "intrusive",', headers=headers), 422)
    problem(client.post(MINE, content=b"\xff\xfe", headers=headers), 422)
    problem(client.get(f"{MINE}/not-a-uuid", headers=alice), 422)
    problem(client.get(f"{QUEUE}/not-a-uuid", headers=OPERATOR), 422)
    problem(
        client.post(f"{QUEUE}/not-a-uuid/resolve", json={"resolution": "x"}, headers=OPERATOR), 422
    )


def test_an_item_outside_the_decision_is_refused(client: TestClient, alice: dict[str, str]) -> None:
    shown = _shown(client, alice)
    ids = {i["item_id"] for i in shown["items"]}
    other = next(i for i in ("bet-1", "wine-1", "toys-7", "garden-3") if i not in ids)
    refused = problem(
        client.post(
            MINE,
            json={"decision_id": shown["decision_id"], "item_id": other, "reason": "irrelevant"},
            headers=alice,
        ),
        422,
    )
    assert [e["field"] for e in refused["errors"]] == ["item_id"]


def test_the_operator_routes_need_the_key(client: TestClient, alice: dict[str, str]) -> None:
    some = str(uuid.uuid4())
    for method, path in [
        ("GET", QUEUE),
        ("GET", f"{QUEUE}/{some}"),
        ("POST", f"{QUEUE}/{some}/assign"),
        ("POST", f"{QUEUE}/{some}/resolve"),
        ("POST", f"{QUEUE}/{some}/reject"),
    ]:
        problem(client.request(method, path), 401)
        problem(client.request(method, path, headers={"X-API-Key": "wrong"}), 401)
        # A person's token opens nothing here.
        problem(client.request(method, path, headers=alice), 401)


def test_officers_work_the_queue_and_the_person_reads_the_outcome(
    client: TestClient, alice: dict[str, str], bob: dict[str, str], clock: Clock
) -> None:
    first = ok(
        client.post(
            MINE,
            json={"message_ref": "push-9", "reason": "other", "text": "Sent at 3 am."},
            headers=alice,
        ),
        201,
    )["complaint"]["complaint_id"]
    clock.advance(minutes=1)
    second = ok(
        client.post(MINE, json={"message_ref": "mail-2", "reason": "offensive"}, headers=bob),
        201,
    )["complaint"]["complaint_id"]

    page = ok(client.get(QUEUE, headers=OPERATOR))
    assert [c["complaint_id"] for c in page["complaints"]] == [first, second]
    assert page["next_after"] is None
    assert all("text" not in c for c in page["complaints"])
    assert "Sent at 3 am." not in str(page)

    detail = ok(client.get(f"{QUEUE}/{first}", headers=OPERATOR))
    assert detail["text"] == "Sent at 3 am."
    assert detail["subject_id"] == "alice"

    # Taken without naming anyone: the caller's key becomes the owner.
    taken = ok(client.post(f"{QUEUE}/{first}/assign", headers=OPERATOR))
    assert taken["status"] == "in_review"
    assert taken["owner"].startswith("key:")
    named = ok(
        client.post(f"{QUEUE}/{first}/assign", json={"owner": "Priya Officer"}, headers=OPERATOR)
    )
    assert named["owner"] == "Priya Officer"
    mine = ok(client.get(QUEUE, params={"owner": "Priya Officer"}, headers=OPERATOR))
    assert [c["complaint_id"] for c in mine["complaints"]] == [first]
    in_review = ok(client.get(QUEUE, params={"status": "in_review"}, headers=OPERATOR))
    assert [c["complaint_id"] for c in in_review["complaints"]] == [first]
    both = ok(
        client.get(QUEUE, params=[("status", "in_review"), ("status", "open")], headers=OPERATOR)
    )
    assert len(both["complaints"]) == 2
    assert ok(client.get(QUEUE, params={"overdue": "true"}, headers=OPERATOR))["complaints"] == []

    resolved = ok(
        client.post(
            f"{QUEUE}/{first}/resolve",
            json={"resolution": "Pushes now stop at 10 pm."},
            headers=OPERATOR,
        )
    )
    assert resolved["status"] == "resolved"
    rejected = ok(
        client.post(f"{QUEUE}/{second}/reject", json={"reason": "Not ours."}, headers=OPERATOR)
    )
    assert rejected["status"] == "rejected"

    seen = ok(client.get(f"{MINE}/{first}", headers=alice))
    assert seen["status"] == "resolved"
    assert seen["owner"] == "assigned"
    assert seen["resolution"] == "Pushes now stop at 10 pm."
    assert seen["resolved_at"] is not None
    assert "Priya" not in str(seen)
    assert ok(client.get(MINE, headers=bob))["complaints"][0]["resolution"] == "Not ours."

    # Closed is final: every further change is a conflict, and nothing changes.
    for path, body in [
        (f"{QUEUE}/{first}/assign", {"owner": "Tom Officer"}),
        (f"{QUEUE}/{first}/resolve", {"resolution": "Again."}),
        (f"{QUEUE}/{first}/reject", {"reason": "Changed my mind."}),
        (f"{QUEUE}/{second}/resolve", {"resolution": "Upheld after all."}),
    ]:
        problem(client.post(path, json=body, headers=OPERATOR), 409)
    assert ok(client.get(f"{MINE}/{first}", headers=alice)) == seen


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("assign", {"owner": ""}),
        ("assign", {"owner": "x" * 129}),
        ("assign", {"owner": "\x00\n"}),
        ("assign", {"owner": "Priya", "extra": 1}),
        ("resolve", {}),
        ("resolve", {"resolution": ""}),
        ("resolve", {"resolution": "x" * 2001}),
        ("resolve", {"resolution": " \x1b "}),
        ("reject", {"resolution": "wrong field"}),
        ("reject", {"reason": None}),
    ],
)
def test_bad_transitions_are_problems_and_change_nothing(
    client: TestClient, alice: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    filed = ok(
        client.post(MINE, json={"message_ref": "m-1", "reason": "intrusive"}, headers=alice), 201
    )
    complaint_id = filed["complaint"]["complaint_id"]
    problem(client.post(f"{QUEUE}/{complaint_id}/{path}", json=body, headers=OPERATOR), 422)
    assert ok(client.get(f"{QUEUE}/{complaint_id}", headers=OPERATOR))["status"] == "open"


def test_unknown_complaints_and_bad_queue_queries(client: TestClient) -> None:
    missing = uuid.uuid4()
    problem(client.get(f"{QUEUE}/{missing}", headers=OPERATOR), 404)
    problem(
        client.post(f"{QUEUE}/{missing}/resolve", json={"resolution": "x"}, headers=OPERATOR), 404
    )
    for params in (
        {"status": "closed"},
        {"limit": "0"},
        {"limit": "many"},
        {"after": "garbage"},
        {"overdue": "perhaps"},
        {"owner": "x" * 129},
    ):
        problem(client.get(QUEUE, params=params, headers=OPERATOR), 422)


def test_the_queue_pages_with_next_after(client: TestClient, alice: dict[str, str]) -> None:
    for n in range(5):
        ok(
            client.post(MINE, json={"message_ref": f"m-{n}", "reason": "intrusive"}, headers=alice),
            201,
        )
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = ok(client.get(QUEUE, params=params, headers=OPERATOR))
        seen += [c["complaint_id"] for c in page["complaints"]]
        if page["next_after"] is None:
            break
        params["after"] = page["next_after"]
    assert len(seen) == len(set(seen)) == 5


def test_reading_a_complaint_is_audited_and_the_queue_is_not(
    client: TestClient, service: Tactful, alice: dict[str, str]
) -> None:
    filed = ok(
        client.post(
            MINE, json={"message_ref": "m-1", "reason": "other", "text": "Why me?"}, headers=alice
        ),
        201,
    )
    complaint_id = filed["complaint"]["complaint_id"]

    def reads() -> list[Any]:
        with service.store.reading() as conn:
            rows = conn.execute(
                select(t.audit_log).where(t.audit_log.c.action == "personal_data.read")
            ).all()
        return list(rows)

    before = len(reads())
    ok(client.get(QUEUE, headers=OPERATOR))
    assert len(reads()) == before
    ok(client.get(f"{QUEUE}/{complaint_id}", headers=OPERATOR))
    [read] = reads()[before:]
    assert read.subject_ref == service.cipher.fingerprint("alice")
    assert read.detail == {"what": "complaint"}
    assert read.actor.startswith("key:")
