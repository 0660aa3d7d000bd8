"""The log as the rest of Tactful writes and reads it: consent changes, notices, HTTP, CLI."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tactful.api.app import create_app
from tactful.audit.context import acting_as
from tactful.consent.ledger import ConsentMethod
from tactful.consent.notice import parse_notice
from tactful.defaults import notice_document
from tactful.errors import InvalidInput
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests.audit.conftest import EVERY, fill, rows, sql
from tests.test_cli import tactful

KEY = "test-operator-key-0123456789abcdef"
OPERATOR = {"X-API-Key": KEY}
PERSON = "zoe-quill-4711"
EMAIL = "zoe.quill@example.com"
EXPLICIT = "personalization.explicit"
BEHAVIORAL = "personalization.behavioral"
MARKETING = "marketing.email"


def _raw_rows(service: Tactful) -> list[str]:
    """Every audit_log row as the text a dump of the table would hold."""
    with service.store.reading() as conn:
        found = conn.execute(select(t.audit_log)).all()
    return [json.dumps([str(v) for v in r], ensure_ascii=False) for r in found]


def test_consent_changes_are_logged_by_fingerprint_never_by_id(service: Tactful) -> None:
    service.ingest_subjects([{"subject_id": PERSON, "email": EMAIL, "name": "Zoë Quill"}])
    with acting_as("key:k7"):
        granted = service.record_consents(
            PERSON,
            {
                "choices": [
                    {"purpose": EXPLICIT, "status": "granted"},
                    {"purpose": MARKETING, "status": "granted"},
                ]
            },
        )
    with acting_as("subject"):
        service.set_level(PERSON, "off", ConsentMethod.WEB_FORM)
        service.object_to_marketing(PERSON, ConsentMethod.WEB_FORM)
        service.lift_objection(PERSON)
    with pytest.raises(InvalidInput):
        service.record_consents(PERSON, {"choices": [{"purpose": "no.such", "status": "granted"}]})

    changes = service.audit.entries(action="consent.changed", limit=10)
    assert len(changes) == 4  # the refused change wrote nothing
    first, level, objection, lifted = reversed(changes)
    fingerprint = service.cipher.fingerprint(PERSON)
    assert {e.subject_ref for e in changes} == {fingerprint}
    assert first.actor == "key:k7"
    assert first.detail == {
        "method": "api",
        "purposes": {EXPLICIT: "granted", MARKETING: "granted"},
        "receipt_id": granted["receipt"]["receipt_id"],
    }
    assert level.actor == "subject"
    assert level.detail["method"] == "web_form"
    assert level.detail["purposes"] == {
        EXPLICIT: "withdrawn",
        BEHAVIORAL: "denied",
        "personalization.aggregate": "denied",
    }
    assert objection.detail["objection"] == "raised"
    assert objection.detail["purposes"][MARKETING] == "withdrawn"
    assert set(objection.detail["purposes"].values()) <= {"withdrawn", "denied"}
    assert lifted.detail == {"method": "web_form", "objection": "lifted"}
    assert [e.seq for e in service.audit.entries(subject_id=PERSON)] == [e.seq for e in changes]

    dump = "\n".join(_raw_rows(service))
    assert fingerprint in dump
    for secret in (PERSON, EMAIL, "Zoë Quill", "zoe"):
        assert secret not in dump
    assert service.audit.verify().ok


def test_a_published_notice_is_logged(service: Tactful) -> None:
    document = copy.deepcopy(notice_document())
    document["version"] = "2099-01-01"
    for purpose in document["purposes"]:
        if purpose["code"] == EXPLICIT:
            purpose["retention_days"] += 30
    earlier = service.audit.entries(action="notice.published")  # the first, if logged
    previous = service.notices.current().notice.version
    with acting_as("cli"):
        service.notices.publish(parse_notice(document))
        service.notices.publish(parse_notice(document))  # the same again: nothing new
    published = service.audit.entries(action="notice.published")
    assert len(published) == len(earlier) + 1
    entry = published[0]
    assert entry.actor == "cli"
    assert entry.subject_ref is None
    assert entry.detail["version"] == "2099-01-01"
    assert entry.detail["previous"] == previous
    assert entry.detail["digest"] == service.notices.current().notice.digest
    assert list(entry.detail["material_changes"]) == [EXPLICIT]
    assert service.audit.verify().ok


@pytest.fixture
def client(service: Tactful) -> TestClient:
    return TestClient(create_app(service.settings, service), raise_server_exceptions=False)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_the_privacy_officer_reads_entries_over_http(client: TestClient, service: Tactful) -> None:
    log = service.audit
    b = len(rows(log))  # what starting Tactful logged, if anything
    fill(log, 9)
    response = client.get("/v1/audit/entries", params={"limit": 4}, headers=OPERATOR)
    assert response.status_code == 200, response.text
    page = response.json()
    assert [e["seq"] for e in page["entries"]] == [b + 9, b + 8, b + 7, b + 6]
    assert page["next_before"] == b + 6
    after = client.get(
        "/v1/audit/entries", params={"limit": 4, "before": b + 6}, headers=OPERATOR
    ).json()
    assert [e["seq"] for e in after["entries"]] == [b + 5, b + 4, b + 3, b + 2]
    mine = client.get(
        "/v1/audit/entries",
        params={"subject_id": "person-1", "action": "personal_data.read"},
        headers=OPERATOR,
    ).json()
    assert [e["seq"] for e in mine["entries"]] == [b + 6, b + 2]
    assert mine["next_before"] is None
    assert mine["entries"][0]["subject_ref"] == log.fingerprint("person-1")
    assert set(mine["entries"][0]) == {
        "seq", "at", "actor", "action", "subject_ref", "detail", "prev_hash", "hash",
    }  # fmt: skip

    bad_queries: list[dict[str, Any]] = [
        {"limit": 0},
        {"limit": 5000},
        {"action": "nope"},
        {"before": 0},
        {"before": 2**70},
        {"since": "2026-01-01T00:00:00"},
        {"subject_id": ""},
    ]
    for params in bad_queries:
        body = _problem(client.get("/v1/audit/entries", params=params, headers=OPERATOR), 422)
        assert body["errors"], params
    _problem(client.get("/v1/audit/entries"), 401)
    _problem(client.get("/v1/audit/verify", headers={"X-API-Key": "wrong"}), 401)


def test_verify_over_http_reports_the_tampering(client: TestClient, service: Tactful) -> None:
    log = service.audit
    fill(log, 11)
    total = len(rows(log))
    intact = client.get("/v1/audit/verify", headers=OPERATOR)
    assert intact.status_code == 200
    assert intact.json() == {
        "ok": True,
        "entries_checked": total,
        "checkpoints_checked": total // EVERY,
        "first_bad_seq": None,
        "problems": [],
    }
    sql(log, "DELETE FROM audit_log WHERE seq = :seq", seq=total - 7)
    report = client.get("/v1/audit/verify", headers=OPERATOR).json()
    assert report["ok"] is False
    assert report["first_bad_seq"] == total - 7
    assert report["problems"] == [
        {"seq": total - 7, "kind": "deleted", "message": f"entry {total - 7} is missing"}
    ]


def test_the_audit_endpoints_are_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/audit/entries", "/v1/audit/verify"):
        operation = spec["paths"][path]["get"]
        assert operation["security"], path
        assert "application/problem+json" in operation["responses"]["422"]["content"]
        assert "application/json" in operation["responses"]["200"]["content"]
    params = {p["name"] for p in spec["paths"]["/v1/audit/entries"]["get"]["parameters"]}
    assert {"subject_id", "action", "limit", "before"} <= params


def test_the_cli_lists_entries_and_signs_a_checkpoint(
    audit_settings: Settings, service: Tactful
) -> None:
    log = service.audit
    b = len(rows(log))
    fill(log, 3)
    made = tactful(audit_settings, "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    assert f"signed checkpoint at seq {b + 4}" in made.stdout
    last = rows(log)[-1]
    assert (last.action, last.actor) == ("audit.checkpoint", "cli")

    listed = tactful(audit_settings, "audit", "log", "--subject", "person-2", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [e["seq"] for e in json.loads(listed.stdout)] == [b + 3]
    table = tactful(audit_settings, "audit", "log", "--action", "audit.checkpoint", "--limit", "1")
    assert table.returncode == 0, table.stderr
    assert "audit.checkpoint" in table.stdout
    assert f"more: --before {b + 4}" in table.stdout
    bad = tactful(audit_settings, "audit", "log", "--action", "nope")
    assert bad.returncode == 2
    assert "unknown action 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr
