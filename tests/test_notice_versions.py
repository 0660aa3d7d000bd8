"""Notice versions: a material change stops what it widens until the person chooses again.

Each test publishes the packaged notice with one Tactful, as a first deployment would, and
then starts a second Tactful on the same store with an edited notice, as a restart with a
new notice file would, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.consent.notice import Notice, load_notice, parse_notice
from tactful.errors import Conflict, InvalidInput
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop

KEY = "test-operator-key-0123456789abcdef"
OPERATOR = {"X-API-Key": KEY}
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
V1, V2 = "2026-11-01", "2026-12-01"
EXPLICIT = "personalization.explicit"
BEHAVIORAL = "personalization.behavioral"
MARKETING = "marketing.email"
NOTICE_TEXT = resources.files("tactful.defaults").joinpath("notice.toml").read_text("utf-8")
PACKAGED: dict[str, Any] = tomllib.loads(NOTICE_TEXT)


def _notice(
    version: str, edit: Callable[[dict[str, dict[str, Any]]], None] | None = None
) -> Notice:
    """The packaged notice as `version`, its purposes (by code) changed by `edit`."""
    document = copy.deepcopy(PACKAGED)
    document["version"] = version
    purposes = {p["code"]: p for p in document["purposes"]}
    if edit is not None:
        edit(purposes)
    document["purposes"] = list(purposes.values())
    return parse_notice(document)


def _set(code: str, **fields: Any) -> Callable[[dict[str, dict[str, Any]]], None]:
    def edit(purposes: dict[str, dict[str, Any]]) -> None:
        purposes[code] |= fields

    return edit


class Stack:
    """Tactful instances started on one store; closed at the end of the test."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.now = T0
        self.started: list[Tactful] = []

    def clock(self) -> datetime:
        return self.now

    def start(self, notice: Notice | None = None, settings: Settings | None = None) -> Tactful:
        self.now += timedelta(hours=1)
        service = Tactful(settings or self.settings, notice=notice, clock=self.clock)
        self.started.append(service)
        return service

    def client(self, service: Tactful) -> TestClient:
        return TestClient(create_app(self.settings, service), raise_server_exceptions=False)


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """The packaged notice published, the shop loaded and trained."""
    stack = Stack(settings)
    first = stack.start(_notice(V1))
    shop.populate(first)
    first.train()
    yield stack
    for service in stack.started:
        service.close()


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _purpose(view: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in view["purposes"] if p["purpose"] == code)
    return found


def _token(client: TestClient, subject_id: str) -> dict[str, str]:
    response = client.post(f"/v1/subjects/{subject_id}/tokens", headers=OPERATOR)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _consents(client: TestClient, subject_id: str) -> dict[str, Any]:
    return _ok(client.get(f"/v1/subjects/{subject_id}/consents", headers=OPERATOR))


def _recommend(client: TestClient, subject_id: str) -> dict[str, Any]:
    return _ok(client.get(f"/v1/subjects/{subject_id}/recommendations", headers=OPERATOR))


def _grant(code: str, version: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"choices": [{"purpose": code, "status": "granted"}]}
    if version is not None:
        body["notice_version"] = version
    return body


WIDENINGS: dict[str, tuple[Callable[[dict[str, dict[str, Any]]], None], str]] = {
    "longer retention": (
        _set(EXPLICIT, retention_days=1000),
        "keeps data longer: 730 → 1000 days",
    ),
    "added data category": (
        _set(EXPLICIT, data_categories=["purchase_history", "explicit_feedback", "search_history"]),
        "uses more data: search_history",
    ),
}


@pytest.mark.parametrize("widening", list(WIDENINGS))
def test_a_widened_purpose_stops_personalization_until_re_consent(
    stack: Stack, widening: str
) -> None:
    edit, reason = WIDENINGS[widening]
    before = stack.client(stack.started[0])
    assert (_recommend(before, "carol")["personalized"], _consents(before, "carol")["level"]) == (
        True,
        "basic",
    )

    client = stack.client(stack.start(_notice(V2, edit)))
    view = _consents(client, "carol")
    explicit = _purpose(view, EXPLICIT)
    assert (explicit["status"], explicit["granted"], explicit["needs_choice"]) == (
        "stale",
        False,
        True,
    )
    assert explicit["notice_version"] == V1
    assert view["choices_needed"] == [
        {"purpose": EXPLICIT, "title": explicit["title"], "why": [f"notice {V2}: {reason}"]}
    ]
    assert (view["level"], view["notice_version"]) == ("off", V2)
    # Only the widened purpose is stale: alice's behavioural grant still stands, but without
    # the explicit one she is not personalized either.
    alice = _consents(client, "alice")
    assert [c["purpose"] for c in alice["choices_needed"]] == [EXPLICIT]
    assert _purpose(alice, BEHAVIORAL)["status"] == "granted"
    assert alice["level"] == "off"
    for subject in ("carol", "alice"):
        record = _recommend(client, subject)
        assert (record["personalized"], record["level"], record["signals_used"]) == (
            False,
            "off",
            {},
        )

    # What the person sees on their side, and their re-grant against the new version.
    me = _token(client, "carol")
    assert _ok(client.get("/v1/me", headers=me))["choices_needed"] == view["choices_needed"]
    regranted = _ok(client.put("/v1/me/consents", json=_grant(EXPLICIT, V2), headers=me))
    assert _purpose(regranted, EXPLICIT)["status"] == "granted"
    assert (regranted["choices_needed"], regranted["level"]) == ([], "basic")
    assert regranted["receipt"]["claims"]["tactful"]["notice_version"] == V2
    after = _recommend(client, "carol")
    assert (after["personalized"], after["level"]) == (True, "basic")
    last = _consents(client, "carol")["history"][-1]
    assert (last["purpose"], last["status"], last["notice_version"], last["method"]) == (
        EXPLICIT,
        "granted",
        V2,
        "web_form",
    )

    versions = _ok(client.get("/v1/notice/versions"))["versions"]
    assert [v["version"] for v in versions] == [V1, V2]
    assert versions[1]["changes"] == {EXPLICIT: [reason]}


def test_a_changed_notice_file_is_published_at_start(stack: Stack, tmp_path: Path) -> None:
    """The operator's way: edit a copy of the file, point the settings at it, restart."""
    path = tmp_path / "notice.toml"
    text = re.sub(r'^version = "[^"]+"', f'version = "{V2}"', NOTICE_TEXT, count=1, flags=re.M)
    assert f'version = "{V2}"' in text
    text = text.replace("retention_days = 180", "retention_days = 400", 1)
    path.write_text(text)
    assert load_notice(path).purposes[BEHAVIORAL].retention_days == 400
    second = stack.start(settings=stack.settings.model_copy(update={"notice_file": path}))
    assert second.notice_version == V2
    client = stack.client(second)
    changes = _ok(client.get("/v1/notice"))["changes"]
    assert changes == {BEHAVIORAL: ["keeps data longer: 180 → 400 days"]}
    alice = _consents(client, "alice")
    assert [c["purpose"] for c in alice["choices_needed"]] == [BEHAVIORAL]
    assert (alice["level"], _recommend(client, "alice")["level"]) == ("basic", "basic")


def test_a_narrowing_change_keeps_the_grant(stack: Stack) -> None:
    def narrow(purposes: dict[str, dict[str, Any]]) -> None:
        purposes[EXPLICIT] |= {
            "retention_days": 365,
            "description": "Use your purchases to choose recommendations for you.",
        }
        purposes[BEHAVIORAL]["data_categories"] = ["browsing_history"]

    client = stack.client(stack.start(_notice(V2, narrow)))
    assert _ok(client.get("/v1/notice"))["changes"] == {}
    carol = _consents(client, "carol")
    assert _purpose(carol, EXPLICIT)["status"] == "granted"
    assert (carol["choices_needed"], carol["level"]) == ([], "basic")
    record = _recommend(client, "carol")
    assert (record["personalized"], record["level"]) == (True, "basic")
    assert _consents(client, "alice")["level"] == "full"


def test_a_new_purpose_is_listed_in_the_versions_changes(stack: Stack) -> None:
    def add(purposes: dict[str, dict[str, Any]]) -> None:
        purposes["newsletter.weekly"] = {
            "code": "newsletter.weekly",
            "title": "A weekly newsletter",
            "description": "Send you our picks of the week by email.",
            "legal_basis": "consent (GDPR Art. 6(1)(a))",
            "retention_days": 365,
            "direct_marketing": True,
        }

    client = stack.client(stack.start(_notice(V2, add)))
    versions = _ok(client.get("/v1/notice/versions"))["versions"]
    assert versions[-1]["changes"] == {"newsletter.weekly": ["purpose added"]}
    assert versions[0]["changes"] == {}
    alice = _consents(client, "alice")
    assert _purpose(alice, "newsletter.weekly")["status"] == "not_chosen"
    assert (alice["choices_needed"], alice["level"]) == ([], "full")
    granted = _ok(
        client.put(
            "/v1/subjects/alice/consents", json=_grant("newsletter.weekly"), headers=OPERATOR
        )
    )
    assert _purpose(granted, "newsletter.weekly")["granted"] is True


def test_a_published_version_cannot_change_or_come_back(stack: Stack) -> None:
    # Publishing the same version with the same content again changes nothing.
    stack.start(_notice(V1))
    with pytest.raises(Conflict, match="other content"):
        stack.start(_notice(V1, _set(EXPLICIT, retention_days=731)))
    stack.start(_notice(V2, _set(MARKETING, retention_days=365)))
    with pytest.raises(Conflict, match="older"):
        stack.start(_notice(V1))
    with pytest.raises(Conflict, match="other content"):
        stack.start(_notice(V2, _set(MARKETING, retention_days=366)))
    client = stack.client(stack.started[-1])
    assert [v["version"] for v in _ok(client.get("/v1/notice/versions"))["versions"]] == [V1, V2]
    assert _ok(client.get("/v1/notice"))["version"] == V2


def test_a_change_naming_an_old_or_unknown_version_changes_nothing(stack: Stack) -> None:
    client = stack.client(stack.start(_notice(V2, _set(EXPLICIT, retention_days=1000))))
    me = _token(client, "bob")
    history = _consents(client, "bob")["history"]
    for path, headers in (("/v1/subjects/bob/consents", OPERATOR), ("/v1/me/consents", me)):
        old = _problem(client.put(path, json=_grant(EXPLICIT, V1), headers=headers), 409)
        assert V2 in old["detail"]
        unknown = _problem(
            client.put(path, json=_grant(EXPLICIT, "1999-01-01"), headers=headers), 422
        )
        assert [e["field"] for e in unknown["errors"]] == ["notice_version"]
    assert _consents(client, "bob")["history"] == history
    assert (
        _ok(client.put("/v1/me/consents", json=_grant(EXPLICIT, V2), headers=me))["level"]
        == "basic"
    )


def test_a_retired_purpose_cannot_be_chosen(stack: Stack) -> None:
    first = stack.client(stack.started[0])
    _ok(first.put("/v1/subjects/alice/consents", json=_grant(MARKETING), headers=OPERATOR))

    def retire(purposes: dict[str, dict[str, Any]]) -> None:
        del purposes[MARKETING]

    second = stack.start(_notice(V2, retire))
    client = stack.client(second)
    assert MARKETING not in {p["purpose"] for p in _ok(client.get("/v1/notice"))["purposes"]}
    view = _consents(client, "alice")
    assert MARKETING not in {p["purpose"] for p in view["purposes"]}
    assert view["choices_needed"] == []
    me = _token(client, "alice")
    for path, headers in (("/v1/subjects/alice/consents", OPERATOR), ("/v1/me/consents", me)):
        for status in ("granted", "withdrawn"):
            body = {"choices": [{"purpose": MARKETING, "status": status}]}
            problem = _problem(client.put(path, json=body, headers=headers), 422)
            assert [e["field"] for e in problem["errors"]] == ["choices.0.purpose"]
            assert "retired" in problem["errors"][0]["message"]
    with pytest.raises(InvalidInput):
        second.record_consents("alice", _grant(MARKETING))
    assert _consents(client, "alice")["history"] == view["history"]
