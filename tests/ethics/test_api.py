"""`GET /v1/reports/ethics`: the privacy officer's, as a page or as JSON; each one made is in
the audit log; a bad period is a 422 problem."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tactful.service import Tactful
from tests.ethics.store import NOW, PERSON, Built
from tests.http_helpers import OPERATOR, ok, problem

PATH = "/v1/reports/ethics"


def _key(service: Tactful, *scopes: str) -> dict[str, str]:
    return _key_and_actor(service, *scopes)[0]


def _key_and_actor(service: Tactful, *scopes: str) -> tuple[dict[str, str], str]:
    text, record = service.keys.create("-".join(scopes), list(scopes))
    return {"X-API-Key": text}, f"key:{record['key_id']}"


def test_the_page_for_a_privacy_officer(
    client: TestClient, service: Tactful, history: Built
) -> None:
    officer = _key(service, "privacy-officer")
    response = client.get(PATH, params={"weeks": 4}, headers=officer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"] == 'inline; filename="ethics-2026-11-30.html"'
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert page.count("<svg") == 4
    assert PERSON not in page
    # The page's own styles are allowed by hash, and nothing else.
    policy = response.headers["content-security-policy"]
    assert "'sha256-" in policy
    assert "unsafe-inline" not in policy


def test_the_figures_as_json(client: TestClient, service: Tactful, history: Built) -> None:
    body = ok(client.get(PATH, params={"weeks": 4, "format": "json"}, headers=OPERATOR))
    assert body["period"]["end"] == NOW.isoformat()
    assert body["period"]["weeks"] == 4
    assert body["guardrails"]["messages"]["held"] == 4
    assert body == service.ethics.gather(4)


def test_26_weeks_by_default(client: TestClient) -> None:
    body = ok(client.get(PATH, params={"format": "json"}, headers=OPERATOR))
    assert body["period"]["weeks"] == 26


def test_each_report_made_is_in_the_audit_log(
    client: TestClient, service: Tactful, history: Built
) -> None:
    officer, actor = _key_and_actor(service, "privacy-officer")
    client.get(PATH, params={"weeks": 4}, headers=officer)
    client.get(PATH, params={"weeks": 2, "format": "json"}, headers=officer)
    made = service.audit.entries(action="ethics_report.made")
    assert [e.detail["format"] for e in made] == ["json", "html"]
    assert [e.detail["weeks"] for e in made] == [2, 4]
    assert made[1].detail["start"] == "2026-11-02T11:00:00+00:00"
    assert made[1].detail["end"] == NOW.isoformat()
    assert [(e.actor, e.subject_ref) for e in made] == [(actor, None), (actor, None)]


@pytest.mark.parametrize("scope", ["ingest", "recommend", "analyst"])
def test_other_scopes_are_refused(client: TestClient, service: Tactful, scope: str) -> None:
    problem(client.get(PATH, headers=_key(service, scope)), 403)
    assert service.audit.entries(action="ethics_report.made") == []


def test_without_a_key_nothing_is_made(client: TestClient, service: Tactful) -> None:
    problem(client.get(PATH), 401)
    assert service.audit.entries(action="ethics_report.made") == []


@pytest.mark.parametrize(
    "params",
    [{"weeks": 0}, {"weeks": 261}, {"weeks": "many"}, {"weeks": 2.5}, {"format": "pdf"}],
)
def test_bad_input_is_a_problem(
    client: TestClient, service: Tactful, params: dict[str, object]
) -> None:
    body = problem(client.get(PATH, params=params, headers=OPERATOR), 422)
    assert body["errors"][0]["field"] in {"weeks", "format"}
    assert service.audit.entries(action="ethics_report.made") == []


def test_both_media_types_are_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][PATH]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"text/html", "application/json"}
    names = {p["name"]: p for p in operation["parameters"]}
    assert names["weeks"]["schema"]["maximum"] == 260
    assert names["format"]["schema"]["enum"] == ["html", "json"]
    assert operation["security"] == [{"operatorKey": []}, {"operatorBearer": []}]
