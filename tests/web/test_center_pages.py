"""The Privacy Center's core pages over HTTP: opening the link, the overview, choices and
level, recommendations with "Why am I seeing this?", history, GPC; on both backends."""

from __future__ import annotations

import re
from html import unescape

import httpx
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests.clock import Clock

pytest_plugins = ["tests.trained_shop"]

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def open_center(client: TestClient, service: Tactful, subject_id: str) -> httpx.Response:
    """What a person's browser does with the link the shop gives them."""
    token = service.issue_token(subject_id)["token"]
    page = client.get("/privacy-center", params={"token": token})
    assert page.status_code == 200, page.text
    return page


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def text_of(page: httpx.Response) -> str:
    """The page's words, without tags, for asserting on what a reader sees."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def ledger(service: Tactful, subject_id: str) -> tuple[int, int]:
    return len(service.consents(subject_id)["history"]), len(service.receipts(subject_id))


def status_of(service: Tactful, subject_id: str, purpose: str) -> dict[str, object]:
    found = [p for p in service.consents(subject_id)["purposes"] if p["purpose"] == purpose]
    return found[0]


# -- opening the link -------------------------------------------------------------------
def test_the_link_moves_its_token_into_a_cookie_and_out_of_the_address(
    client: TestClient, service: Tactful
) -> None:
    token = service.issue_token("alice", ttl_seconds=600)["token"]
    opened = client.get("/privacy-center", params={"token": token}, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/privacy-center"
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"tactful_center={token};")
    for attribute in ("HttpOnly", "Path=/privacy-center", "SameSite=lax", "Max-Age=600"):
        assert attribute in cookie
    assert "Secure" not in cookie
    overview = client.get("/privacy-center")
    assert overview.status_code == 200
    assert token not in overview.text
    assert str(overview.url).endswith("/privacy-center")
    assert "<h1>Your Privacy Center</h1>" in overview.text


def test_the_cookie_is_secure_on_https(settings: Settings, service: Tactful) -> None:
    secure = TestClient(create_app(settings, service), base_url="https://testserver")
    token = service.issue_token("alice")["token"]
    opened = secure.get("/privacy-center", params={"token": token}, follow_redirects=False)
    assert opened.status_code == 303
    assert "Secure" in opened.headers["set-cookie"]


def test_a_bad_or_expired_link_and_no_session_ask_to_reopen_the_link(
    client: TestClient, service: Tactful, clock: Clock
) -> None:
    for token in ("not-a-token", "a.b.c"):
        refused = client.get("/privacy-center", params={"token": token}, follow_redirects=False)
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("text/html")
        assert "set-cookie" not in refused.headers
    expired = service.issue_token("alice", ttl_seconds=60)["token"]
    clock.advance(120)
    refused = client.get("/privacy-center", params={"token": expired}, follow_redirects=False)
    assert refused.status_code == 401
    for path in ("", "/choices", "/notice", "/recommendations", "/history"):
        page = client.get("/privacy-center" + path)
        assert page.status_code == 401, path
        assert "Please open this page again from your link" in page.text


# -- overview and notice ----------------------------------------------------------------
def test_the_overview_says_the_level_and_its_reason_and_summarizes_the_notice(
    client: TestClient, service: Tactful
) -> None:
    page = open_center(client, service, "alice")
    words = text_of(page)
    assert "Your level: Full" in words
    assert "Full personalization: purchases, ratings, browsing and searches may be used." in words
    assert "How we personalize what you see" in words
    assert 'href="/privacy-center/notice"' in page.text
    for section in ("choices", "recommendations", "history", "data", "receipts", "concerns"):
        assert f'href="/privacy-center/{section}"' in page.text
    notice = client.get("/privacy-center/notice")
    words = text_of(notice)
    assert notice.status_code == 200
    for fact in (
        "Example Shop Ltd",
        "privacy@shop.example.com",
        "2026-11-15",
        "Recommendations from what you bought and rated",
        "Kept for 730 days, then deleted.",
        "explicit consent (GDPR Art. 9(2)(a))",
        "Advertising partners named in the privacy policy",
    ):
        assert fact in words, fact


def test_personalization_goes_off_in_one_click_from_the_overview(
    client: TestClient, service: Tactful
) -> None:
    page = open_center(client, service, "alice")
    assert service.consents("alice")["level"] == "full"
    form = re.search(
        r'<form method="post" action="/privacy-center/level">(.*?)</form>', page.text, re.S
    )
    assert form is not None
    assert 'name="level" value="off"' in form.group(1)
    assert "Turn personalization off" in form.group(1)
    done = client.post(
        "/privacy-center/level",
        data={"csrf": csrf_of(page), "level": "off", "back": "overview"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/privacy-center?done=level_off"
    assert service.consents("alice")["level"] == "off"
    after = client.get(done.headers["location"])
    words = text_of(after)
    assert "Personalization is off. Nothing about you is used" in words
    assert "Turn personalization off" not in words
    assert 'href="/privacy-center/receipts"' in after.text


# -- forms: CSRF, bad values ----------------------------------------------------------------
def test_a_form_without_or_with_a_wrong_csrf_token_changes_nothing(
    client: TestClient, service: Tactful
) -> None:
    open_center(client, service, "alice")
    before = ledger(service, "alice")
    # A real CSRF token, but of another person's session.
    other = client.app.state.pages.signer.csrf(service.issue_token("bob")["token"])
    posts = [
        ("/privacy-center/choices", {"choice:analytics.aggregate": "allow"}),
        ("/privacy-center/level", {"level": "off"}),
        ("/privacy-center/feedback", {"item_id": "running-3"}),
    ]
    for path, data in posts:
        for csrf in (None, "", "forged", other):
            body = data if csrf is None else {**data, "csrf": csrf}
            refused = client.post(path, data=body, follow_redirects=False)
            assert refused.status_code == 403, (path, csrf)
            assert refused.headers["content-type"].startswith("text/html")
            assert "This is not allowed" in refused.text
    page = client.get("/privacy-center/choices")
    foreign = client.post(
        "/privacy-center/level",
        data={"csrf": csrf_of(page), "level": "off"},
        headers={"Origin": "https://elsewhere.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 401
    assert ledger(service, "alice") == before
    assert service.consents("alice")["level"] == "full"
    assert service.feedback_of("alice")["feedback"] == []


def test_a_form_value_we_do_not_offer_is_shown_again_with_422_and_nothing_stored(
    client: TestClient, service: Tactful
) -> None:
    page = open_center(client, service, "alice")
    csrf = csrf_of(page)
    before = ledger(service, "alice")
    level = client.post("/privacy-center/level", data={"csrf": csrf, "level": "medium"})
    assert level.status_code == 422
    assert 'aria-describedby="level-error"' in level.text
    assert 'class="error" id="level-error"' in level.text
    assert "Choose one of the levels" in level.text
    bad_choices = [
        {"choice:no.such_purpose": "allow"},
        {"choice:analytics.aggregate": "maybe"},
        {"choice:analytics.aggregate": "allow", "choice:marketing.email": "sometimes"},
    ]
    for data in bad_choices:
        answer = client.post("/privacy-center/choices", data={"csrf": csrf, **data})
        assert answer.status_code == 422, data
        assert 'class="error" id="choices-error"' in answer.text
        assert 'aria-describedby="choices-error"' in answer.text
        assert "Nothing was changed" in answer.text
    assert ledger(service, "alice") == before
    assert status_of(service, "alice", "analytics.aggregate")["status"] == "not_chosen"


# -- choices ---------------------------------------------------------------------------
def test_the_choices_page_says_what_each_purpose_changes_and_its_status(
    client: TestClient, service: Tactful
) -> None:
    open_center(client, service, "carol")
    page = client.get("/privacy-center/choices")
    assert page.status_code == 200
    explicit = re.search(
        r'<fieldset id="personalization-explicit">(.*?)</fieldset>', page.text, re.S
    )
    assert explicit is not None
    words = text_of(httpx.Response(200, text=explicit.group(1)))
    assert "Recommendations from what you bought and rated" in words
    assert "Data it lets us use how you rated items, what you bought" in words
    assert "With it Your recommendations are chosen with this data." in words
    assert "Without it Your recommendations do not use this data." in words
    assert "Kept for 730 days, then deleted." in words
    assert "Now: Allowed" in words
    assert 'value="allow" checked' in explicit.group(1)
    behavioral = re.search(
        r'<fieldset id="personalization-behavioral">(.*?)</fieldset>', page.text, re.S
    )
    assert behavioral is not None
    assert 'value="deny" checked' in behavioral.group(1)
    assert "<legend>Personalization level</legend>" in page.text
    assert re.search(r'id="level-basic" value="basic"[^>]*checked', page.text)


def test_a_changed_choice_is_recorded_as_by_the_consumer_api_with_a_receipt(
    client: TestClient, service: Tactful
) -> None:
    page = open_center(client, service, "alice")
    page = client.get("/privacy-center/choices")
    receipts = len(service.receipts("alice"))
    saved = client.post(
        "/privacy-center/choices",
        data={
            "csrf": csrf_of(page),
            "notice_version": service.notice_version,
            "back": "choices",
            # Unchanged choices are left out of the change; only the new one is recorded.
            "choice:personalization.explicit": "allow",
            "choice:analytics.aggregate": "allow",
            "choice:marketing.sms": "deny",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/privacy-center/choices?done=saved"
    found = service.receipts("alice")
    assert len(found) == receipts + 1
    analytics = status_of(service, "alice", "analytics.aggregate")
    assert analytics["status"] == "granted"
    assert analytics["method"] == "web_form"
    assert status_of(service, "alice", "marketing.sms")["status"] == "denied"
    history = service.consents("alice")["history"]
    assert sorted(r["purpose"] for r in history[-2:]) == ["analytics.aggregate", "marketing.sms"]
    shown = client.get(saved.headers["location"])
    assert "Your choices are saved." in shown.text
    assert 'role="status"' in shown.text
    assert '<a href="/privacy-center/receipts">' in shown.text
    again = client.post(
        "/privacy-center/choices",
        data={"csrf": csrf_of(page), "choice:analytics.aggregate": "allow"},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/privacy-center/choices?done=unchanged"
    assert len(service.receipts("alice")) == receipts + 1


def test_a_minor_is_told_personalization_stays_off_and_is_not_offered_it(
    client: TestClient, service: Tactful
) -> None:
    open_center(client, service, "dan")
    page = client.get("/privacy-center/choices")
    words = text_of(page)
    assert "Personalization is always off for people under 18" in words
    assert 'action="/privacy-center/level"' not in page.text
    assert 'name="choice:personalization.explicit"' not in page.text
    assert 'name="choice:marketing.email"' in page.text
    before = ledger(service, "dan")
    refused = client.post("/privacy-center/level", data={"csrf": csrf_of(page), "level": "full"})
    assert refused.status_code == 422
    assert "always off for people under 18" in refused.text
    sneaked = client.post(
        "/privacy-center/choices",
        data={"csrf": csrf_of(page), "choice:sensitive.alcohol": "allow"},
    )
    assert sneaked.status_code == 422
    assert ledger(service, "dan") == before
    recommendations = client.get("/privacy-center/recommendations")
    assert "Personalization is always off for people under 18." in recommendations.text
    assert 'name="level" value="basic"' not in recommendations.text


# -- recommendations and why -----------------------------------------------------------------
def test_recommendations_open_why_with_data_purposes_and_working_controls(
    client: TestClient, service: Tactful
) -> None:
    open_center(client, service, "alice")
    before = len(service.decisions_of("alice", 100)["decisions"])
    page = client.get("/privacy-center/recommendations")
    assert page.status_code == 200
    decisions = service.decisions_of("alice", 100)["decisions"]
    assert len(decisions) == before + 1
    decision_id = decisions[0]["decision_id"]
    words = text_of(page)
    assert "Because you bought “Running thing" in words
    assert page.text.count("<summary>Why am I seeing this?</summary>") == len(decisions[0]["items"])
    first = re.search(r'<details class="why" id="item-1-why">(.*?)</details>', page.text, re.S)
    assert first is not None
    why = first.group(1)
    for part in ("Data used", "Purposes relied on", "Model version", "still allowed"):
        assert part in why
    assert "Recommendations from what you bought and rated" in why
    assert 'name="choice:personalization.explicit" value="deny"' in why
    assert 'name="level" value="off"' in why
    assert 'action="/privacy-center/feedback"' in why
    assert f"/privacy-center/concerns/new?decision_id={decision_id}&amp;item_id=" in why
    first_item = decisions[0]["items"][0]["item_id"]
    dropped = client.post(
        "/privacy-center/feedback",
        data={"csrf": csrf_of(page), "item_id": first_item, "back": "recommendations"},
        follow_redirects=False,
    )
    assert dropped.headers["location"] == "/privacy-center/recommendations?done=not_interested"
    again = client.get(dropped.headers["location"])
    assert "we will not show you that item again" in again.text
    assert f'name="item_id" value="{first_item}"' not in again.text
    assert "you said you were not interested: 1" in text_of(again)


def test_withdrawing_the_purpose_from_why_makes_the_next_list_non_personal(
    client: TestClient, service: Tactful
) -> None:
    open_center(client, service, "alice")
    page = client.get("/privacy-center/recommendations")
    personal = re.findall(r'<p class="reason">(.*?)</p>', page.text)
    withdrawn = client.post(
        "/privacy-center/choices",
        data={
            "csrf": csrf_of(page),
            "notice_version": service.notice_version,
            "back": "recommendations",
            "choice:personalization.explicit": "deny",
        },
        follow_redirects=False,
    )
    assert withdrawn.headers["location"] == "/privacy-center/recommendations?done=withdrawn"
    assert status_of(service, "alice", "personalization.explicit")["status"] == "withdrawn"
    after = client.get(withdrawn.headers["location"])
    reasons = re.findall(r'<p class="reason">(.*?)</p>', after.text)
    assert reasons
    assert not any(r.startswith("Because you") for r in reasons)
    assert reasons != personal
    words = text_of(after)
    assert "Personalization is off" in words
    assert 'name="level" value="basic"' in after.text


# -- history -------------------------------------------------------------------------------
def test_history_pages_newest_first_and_each_decision_has_its_why(
    client: TestClient, service: Tactful, clock: Clock
) -> None:
    made = []
    for _ in range(12):
        clock.advance(minutes=5)
        made.append(service.recommend("carol", k=3)["decision_id"])
    open_center(client, service, "carol")
    first = client.get("/privacy-center/history")
    assert first.status_code == 200
    shown = re.findall(r'href="/privacy-center/history/([0-9a-f-]{36})"', first.text)
    assert shown == made[::-1][:10]
    older = re.search(
        r'href="(/privacy-center/history\?before=[^"]+)" rel="next">Older', first.text
    )
    assert older is not None
    second = client.get(unescape(older.group(1)))
    rest = re.findall(r'href="/privacy-center/history/([0-9a-f-]{36})"', second.text)
    assert rest == made[::-1][10:]
    assert 'rel="next"' not in second.text
    assert 'href="/privacy-center/history">Newest' in second.text
    detail = client.get(f"/privacy-center/history/{made[0]}")
    assert detail.status_code == 200
    why = service.why("carol", made[0])
    assert detail.text.count("<summary>Why am I seeing this?</summary>") == len(why["items"])
    for item in why["items"]:
        assert item["title"] in detail.text
    assert "Personalization then" in detail.text
    assert client.get("/privacy-center/history/not-a-decision").status_code == 404
    open_center(client, service, "alice")
    assert client.get(f"/privacy-center/history/{made[0]}").status_code == 404


# -- Global Privacy Control ---------------------------------------------------------------
def test_gpc_is_honoured_said_on_the_page_and_shown_in_the_choices(
    client: TestClient, service: Tactful
) -> None:
    service.record_consents(
        "alice", {"choices": [{"purpose": "advertising.cross_context", "status": "granted"}]}
    )
    open_center(client, service, "alice")
    plain = client.get("/privacy-center/choices")
    assert 'id="gpc-honoured"' not in plain.text
    page = client.get("/privacy-center/choices", headers={"Sec-GPC": "1"})
    assert 'id="gpc-honoured"' in page.text
    advertising = re.search(
        r'<fieldset id="advertising-cross-context">(.*?)</fieldset>', page.text, re.S
    )
    assert advertising is not None
    assert "Not allowed" in advertising.group(1)
    assert 'value="allow"' not in advertising.group(1)
    assert "Global Privacy Control" in advertising.group(1)
    status = status_of(service, "alice", "advertising.cross_context")
    assert status["status"] == "withdrawn"
    assert status["method"] == "gpc"


def test_a_person_chooses_trends_only_and_sees_lists_from_the_trends(
    client: TestClient, service: Tactful
) -> None:
    open_center(client, service, "alice")
    page = client.get("/privacy-center/choices")
    assert 'id="level-aggregate" value="aggregate"' in page.text
    assert '<a href="/transparency">' in page.text
    chosen = client.post(
        "/privacy-center/level",
        data={"csrf": csrf_of(page), "level": "aggregate"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"].endswith("done=level_aggregate")
    after = client.get(chosen.headers["location"])
    assert "Trends only: you see what is popular among many people like you" in after.text
    assert service.consents("alice")["level"] == "aggregate"
    assert "<strong>Trends only</strong>" in after.text
    # Her next list reads nothing of hers: it comes from the trends, and says so.
    recs = client.get("/privacy-center/recommendations")
    assert recs.status_code == 200
    decision = service.decision(service.decisions_of("alice")["decisions"][0]["decision_id"])
    assert decision["level"] == "aggregate"
    assert decision["signals_used"] == {}
    assert decision["purposes"] == ["personalization.aggregate"]
