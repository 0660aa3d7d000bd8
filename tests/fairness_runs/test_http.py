"""Fairness audits over HTTP (SQLite and PostgreSQL): run, list, read, report, alerts and
acknowledgement, with their problems (404, 409, 422) and scopes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tests.clock import Clock
from tests.fairness_runs.support import TIGHT, audit_actions, traffic, with_policy
from tests.http_helpers import OPERATOR, ok, problem

BASE = "/v1/fairness-audits"


def _key(service: Tactful, *scopes: str) -> dict[str, str]:
    text, _ = service.keys.create(f"{'-'.join(scopes)} key", scopes)
    return {"X-API-Key": text}


def test_run_list_read_and_report(client: TestClient, service: Tactful, clock: Clock) -> None:
    traffic(service, clock)
    analyst = _key(service, "analyst")
    posted = client.post(BASE, json={"window_days": 7}, headers=analyst)
    made = ok(posted, 201)
    assert posted.headers["location"] == f"{BASE}/{made['audit_id']}"
    assert made["source"] == "store"
    assert made["result"]["counts"]["lists"] == 22
    assert made["triggered_by"].startswith("key:")
    assert made["crossed_count"] == len(made["crossed"])
    # No body at all: the policy's window.
    clock.advance(minutes=5)
    second = ok(client.post(BASE, headers=analyst), 201)
    assert second["window"]["end"] == clock().isoformat()

    listed = ok(client.get(BASE, params={"limit": 1}, headers=analyst))
    assert [a["audit_id"] for a in listed["audits"]] == [second["audit_id"]]
    assert "result" not in listed["audits"][0]
    older = ok(client.get(BASE, params={"before": listed["next_before"]}, headers=analyst))
    assert [a["audit_id"] for a in older["audits"]] == [made["audit_id"]]
    assert older["next_before"] is None

    one = ok(client.get(f"{BASE}/{made['audit_id']}", headers=analyst))
    assert one["result"] == made["result"]

    report = client.get(f"{BASE}/{made['audit_id']}/report", headers=analyst)
    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith("text/html")
    assert made["audit_id"] in report.text
    # A page of its own: no script, nothing from elsewhere, only its own style block (by
    # hash), so the plots must draw without style attributes.
    policy = report.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert "'sha256-" in policy
    assert "unsafe-inline" not in policy
    assert ' style="' not in report.text


def test_an_alert_is_flagged_until_a_privacy_officer_acknowledges_it(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    traffic(service, clock)
    tight = with_policy(service, tmp_path, TIGHT, clock)
    try:
        client = TestClient(create_app(tight.settings, tight), raise_server_exceptions=False)
        analyst, officer = _key(tight, "analyst"), _key(tight, "privacy-officer")
        made = ok(client.post(BASE, json={}, headers=analyst), 201)
        assert made["alert"] is True
        flagged = ok(client.get(f"{BASE}/alerts", headers=analyst))["alerts"]
        assert [a["audit_id"] for a in flagged] == [made["audit_id"]]
        ack = f"{BASE}/{made['audit_id']}/acknowledge"
        problem(client.post(ack, json={"note": "seen"}, headers=analyst), 403)
        done = ok(client.post(ack, json={"note": "a new catalog"}, headers=officer))
        assert done["acknowledged_by"].startswith("key:")
        assert ok(client.get(f"{BASE}/alerts", headers=analyst))["alerts"] == []
        problem(client.post(ack, headers=officer), 409)
        problem(client.post(ack, json={"note": "x" * 1001}, headers=officer), 422)
    finally:
        tight.close()
    actions = [a for _, a, _ in audit_actions(service)]
    assert actions == [
        "fairness_audit.run",
        "fairness_audit.alert",
        "fairness_audit.acknowledged",
    ]


def test_problems(client: TestClient, service: Tactful) -> None:
    missing = str(uuid.uuid4())
    problem(client.get(f"{BASE}/{missing}", headers=OPERATOR), 404)
    problem(client.get(f"{BASE}/{missing}/report", headers=OPERATOR), 404)
    problem(client.post(f"{BASE}/{missing}/acknowledge", headers=OPERATOR), 404)
    problem(client.get(f"{BASE}/not-a-uuid", headers=OPERATOR), 422)
    for body in ({"window_days": 0}, {"window_days": 3661}, {"window_days": "7"}, {"x": 1}):
        problem(client.post(BASE, json=body, headers=OPERATOR), 422)
    problem(client.get(BASE, params={"limit": 0}, headers=OPERATOR), 422)
    problem(client.get(BASE, params={"before": "yesterday"}, headers=OPERATOR), 422)
    # Nothing was run by any of it.
    assert service.fairness.history() == []
    assert audit_actions(service) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", BASE),
        ("GET", BASE),
        ("GET", f"{BASE}/alerts"),
        ("GET", f"{BASE}/{{id}}"),
        ("GET", f"{BASE}/{{id}}/report"),
        ("POST", f"{BASE}/{{id}}/acknowledge"),
    ],
)
def test_a_recommend_only_key_reaches_no_audit(
    client: TestClient, service: Tactful, method: str, path: str
) -> None:
    run = service.fairness.run(actor="cli")
    recommend = _key(service, "recommend")
    target = path.replace("{id}", run.audit_id)
    problem(client.request(method, target, headers=recommend), 403)
    problem(client.request(method, target), 401)
    assert len(service.fairness.history()) == 1
