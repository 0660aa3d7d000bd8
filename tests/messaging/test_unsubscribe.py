"""RFC 8058 one-click unsubscribe, end to end (SQLite and PostgreSQL): a sent email's link,
served without credentials; `GET` shows a button and changes nothing (mail scanners follow
links), `POST` withdraws the channel's consent as the person's own choice with a receipt,
once; the next decision holds for consent; erasure takes the link with the messages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tactful.api.openapi import is_public
from tactful.service import Tactful
from tactful.storage import tables as t
from tests.http_helpers import OPERATOR, ok, problem
from tests.messaging.test_service_support import (
    clock,
    count,
    decide,
    failed,
    mclient,
    mservice,
    token_of,
)

__all__ = ["clock", "mclient", "mservice"]

ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}
BODY = "List-Unsubscribe=One-Click"


def _ledger(service: Tactful, purpose: str = "marketing.email") -> list[dict[str, Any]]:
    history = service.consents("alice")["history"]
    return [r for r in history if r["purpose"] == purpose]


def _granted(service: Tactful, purpose: str = "marketing.email") -> bool:
    status: str = _ledger(service, purpose)[-1]["status"]
    return status == "granted"


def test_one_click_unsubscribe_end_to_end(mservice: Tactful, mclient: TestClient) -> None:
    sent = decide(mclient, "alice")
    assert sent["decision"] == "send"
    assert sent["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = token_of(sent)
    link = f"/v1/unsubscribe/{token}"
    receipts = len(mservice.receipts("alice"))

    # The link opened (by the person or a scanner): a page with a button, nothing changed.
    page = mclient.get(link, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text.lower()
    assert '<form method="post">' in page.text
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src" not in policy
    assert "form-action 'self'" in policy
    assert _granted(mservice)
    as_json = ok(mclient.get(link))
    assert as_json == {
        "channel": "email",
        "purpose": "marketing.email",
        "title": "Offers by email",
        "unsubscribed": False,
    }

    # The mail client's one-click POST, without any credential.
    done = ok(mclient.post(link, content=BODY, headers=ONE_CLICK))
    assert (done["status"], done["unsubscribed"]) == ("unsubscribed", True)
    last = _ledger(mservice)[-1]
    assert (last["status"], last["method"]) == ("withdrawn", "unsubscribe")
    issued = mservice.receipts("alice")
    assert len(issued) == receipts + 1
    assert [r["method"] for r in issued].count("unsubscribe") == 1
    # Other channels keep their consent.
    assert _granted(mservice, "marketing.sms")

    # Again: the same answer, nothing recorded.
    again = ok(mclient.post(link, content=BODY, headers=ONE_CLICK))
    assert again["status"] == "already_unsubscribed"
    assert len(_ledger(mservice)) == 2
    assert len(mservice.receipts("alice")) == receipts + 1

    # The next email is held for consent; an SMS still goes.
    held = decide(mclient, "alice", campaign_id="plain")
    assert "consent" in failed(held)
    assert held["reasons"][0] == "Consent to marketing.email is withdrawn."
    assert decide(mclient, "alice", channel="sms")["decision"] == "send"


def test_an_empty_post_unsubscribes_too(mservice: Tactful, mclient: TestClient) -> None:
    token = token_of(decide(mclient, "alice"))
    assert ok(mclient.post(f"/v1/unsubscribe/{token}"))["status"] == "unsubscribed"
    assert not _granted(mservice)


def test_a_browser_post_gets_a_page(mservice: Tactful, mclient: TestClient) -> None:
    token = token_of(decide(mclient, "alice"))
    headers = ONE_CLICK | {"accept": "text/html,application/xhtml+xml"}
    page = mclient.post(f"/v1/unsubscribe/{token}", content=BODY, headers=headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "You are unsubscribed" in page.text
    assert "<form" not in page.text
    assert not _granted(mservice)
    # The page at the link now says so, with no button.
    after = mclient.get(f"/v1/unsubscribe/{token}", headers={"accept": "text/html"})
    assert "You are unsubscribed" in after.text
    assert "<form" not in after.text


@pytest.mark.parametrize(
    "body",
    ["List-Unsubscribe=Later", "unsubscribe=yes", "List-Unsubscribe=One-Click&List-Unsubscribe=x"],
)
def test_another_body_is_refused_and_changes_nothing(
    mservice: Tactful, mclient: TestClient, body: str
) -> None:
    token = token_of(decide(mclient, "alice"))
    found = problem(mclient.post(f"/v1/unsubscribe/{token}", content=body, headers=ONE_CLICK), 422)
    assert found["errors"][0]["field"] == "List-Unsubscribe"
    assert _granted(mservice)


@pytest.mark.parametrize(
    "token",
    ["A" * 43, "short", "a.b~c!" + "A" * 37, "x" * 500],
    ids=["unknown", "short", "odd-characters", "long"],
)
def test_an_unknown_token_is_not_found(mservice: Tactful, mclient: TestClient, token: str) -> None:
    decide(mclient, "alice")
    for response in (
        mclient.get(f"/v1/unsubscribe/{token}"),
        mclient.post(f"/v1/unsubscribe/{token}", content=BODY, headers=ONE_CLICK),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert _granted(mservice)


def test_held_and_non_email_messages_have_no_link(mservice: Tactful, mclient: TestClient) -> None:
    decide(mclient, "carol")
    decide(mclient, "alice", channel="push")
    assert count(mservice) == 2
    with mservice.store.reading() as conn:
        hashes = conn.execute(select(t.messages.c.unsubscribe_hash)).scalars().all()
    assert hashes == [None, None]


def test_the_link_is_public_and_documented_so(mclient: TestClient) -> None:
    assert is_public("/v1/unsubscribe/{token}")
    spec = ok(mclient.get("/openapi.json"))
    operations = spec["paths"]["/v1/unsubscribe/{token}"]
    assert set(operations) == {"get", "post"}
    assert all("security" not in op for op in operations.values())
    form = operations["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in form


def test_erasure_takes_the_messages_and_their_links(mservice: Tactful, mclient: TestClient) -> None:
    token = token_of(decide(mclient, "alice"))
    decide(mclient, "alice", campaign_id="plain")
    decide(mclient, "bob")
    assert count(mservice, subject_id="alice") == 2
    mservice.request_erasure("alice", wait=True)
    assert count(mservice, subject_id="alice") == 0
    assert count(mservice, "message_gate", subject_id="alice") == 0
    assert count(mservice, subject_id="bob") == 1
    problem(mclient.post(f"/v1/unsubscribe/{token}", content=BODY, headers=ONE_CLICK), 404)
    problem(mclient.get(f"/v1/unsubscribe/{token}"), 404)
    problem(mclient.get("/v1/subjects/alice/messages", headers=OPERATOR), 404)
