"""The Operator Console's sign-in, overview, models, guardrails and data pages over HTTP, on
SQLite and PostgreSQL: sessions begin and end as they should, each page shows what the key's
scopes reach, and the figures are the ones worked out by hand for the shop's known history
(tests/ethics/store.py)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi.testclient import TestClient

from tactful.service import Tactful
from tactful.web.sessions import CONSOLE_COOKIE
from tests.clock import Clock
from tests.http_helpers import KEY

if TYPE_CHECKING:
    from tests.ethics.store import Built

pytest_plugins = ["tests.trained_shop"]

PAGES = ["/console", "/console/models", "/console/guardrails", "/console/data"]
WEEKS = 4  # the weeks of the shop's known history (tests/ethics/store.py)


@pytest.fixture
def history(service: Tactful, clock: Clock) -> Built:
    """The shop with four weeks of known history, the clock at their end."""
    # Imported here: it imports the trained shop, which must be loaded as a plugin first.
    from tests.ethics.store import build

    return build(service, clock)


def sign_in(client: TestClient, key: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/console/login", data={"api_key": key}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console"
    return response


def new_key(service: Tactful, name: str, *scopes: str) -> str:
    presented, _ = service.keys.create(name, list(scopes))
    return presented


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "no CSRF field on the page"
    return found[1]


def goes_to_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"] == "/console/login"


def without_drawing(html: str) -> str:
    """The page's text outside its plots (a plot holds its own words)."""
    return re.sub(r"<svg\b.*?</svg>", "", html, flags=re.DOTALL)


# -- signing in and out ------------------------------------------------------------------------
def test_the_sign_in_form_has_a_labelled_password_field(client: TestClient) -> None:
    page = client.get("/console/login")
    assert page.status_code == 200
    assert '<label for="api-key">API key</label>' in page.text
    assert re.search(r'<input type="password" id="api-key" name="api_key"', page.text)
    assert '<button type="submit">Sign in</button>' in page.text


def test_the_bootstrap_key_signs_in_with_a_strict_cookie(client: TestClient) -> None:
    response = sign_in(client, KEY)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{CONSOLE_COOKIE}=bootstrap.")
    for attribute in ("HttpOnly", "Path=/console", "SameSite=lax", "Max-Age=28800"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http in tests; https gets Secure
    assert KEY not in cookie
    page = client.get("/console")
    assert page.status_code == 200
    assert "<h1>Overview</h1>" in page.text
    assert "Signed in as bootstrap" in page.text


def test_an_analyst_key_signs_in_and_sees_aggregates_only(
    client: TestClient, service: Tactful
) -> None:
    sign_in(client, new_key(service, "Ana (analyst)", "analyst"))
    page = client.get("/console")
    assert page.status_code == 200
    assert "Signed in as Ana (analyst) (analyst)" in page.text
    assert re.search(r'<svg [^>]*role="img" aria-label="Line chart: [^"]+"', page.text)
    assert "% granted at the end of each week" in page.text
    # Case counts, but no way into the cases themselves.
    assert "Rights requests" in page.text
    assert 'href="/console/requests"' not in page.text
    assert 'href="/console/complaints"' not in page.text
    for path in PAGES[1:]:
        assert client.get(path).status_code == 200, path


def test_a_wrong_key_gets_the_form_again_and_no_cookie(client: TestClient) -> None:
    for wrong in ("tk_AAAAAAAAAAAA_" + "x" * 43, "not a key", ""):
        response = client.post("/console/login", data={"api_key": wrong}, follow_redirects=False)
        assert response.status_code == 401
        assert "set-cookie" not in response.headers
        assert "This key was not accepted" in response.text
        assert 'aria-describedby="key-hint key-error"' in response.text
    assert goes_to_sign_in(client.get("/console", follow_redirects=False))


def test_a_sign_in_posted_from_another_site_is_refused(client: TestClient) -> None:
    response = client.post(
        "/console/login",
        data={"api_key": KEY},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_every_page_without_a_session_goes_to_sign_in(client: TestClient) -> None:
    for path in PAGES:
        assert goes_to_sign_in(client.get(path, follow_redirects=False)), path


def test_a_forged_or_expired_cookie_goes_to_sign_in(client: TestClient, service: Tactful) -> None:
    signer = client.app.state.pages.signer  # type: ignore[attr-defined]
    principal = service.keys.authenticate(KEY)
    fingerprint = service.keys.fingerprint(principal)
    good = signer.console_cookie(principal.key_id, fingerprint)
    key_id, print_, expires, mac = good.split(".")
    expired = signer.console_cookie(principal.key_id, fingerprint, now=time.time() - 9 * 3600)
    forged = [
        f"{key_id}.{print_}.{int(expires) + 3600}.{mac}",
        f"{key_id}.{'0' * 32}.{expires}.{mac}",
        "bootstrap",
        expired,
    ]
    for cookie in forged:
        client.cookies.set(CONSOLE_COOKIE, cookie, path="/console")
        assert goes_to_sign_in(client.get("/console/models", follow_redirects=False)), cookie
    client.cookies.set(CONSOLE_COOKIE, good, path="/console")
    assert client.get("/console/models").status_code == 200


def test_signing_out_needs_the_pages_csrf_token(client: TestClient) -> None:
    sign_in(client, KEY)
    page = client.get("/console")
    missing = client.post("/console/logout", data={}, follow_redirects=False)
    assert missing.status_code == 422
    wrong = client.post("/console/logout", data={"csrf": "x" * 43}, follow_redirects=False)
    assert wrong.status_code == 403
    assert client.get("/console").status_code == 200  # still signed in
    out = client.post("/console/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/console/login?done=signed_out"
    assert f'{CONSOLE_COOKIE}=""' in out.headers["set-cookie"]
    assert "Path=/console" in out.headers["set-cookie"]
    assert goes_to_sign_in(client.get("/console", follow_redirects=False))
    assert "You have signed out." in client.get(out.headers["location"]).text


def test_a_revoked_keys_session_ends_on_its_next_page(client: TestClient, service: Tactful) -> None:
    presented, view = service.keys.create("Temp", ["analyst"])
    sign_in(client, presented)
    assert client.get("/console/models").status_code == 200
    service.keys.revoke(view["key_id"])
    assert goes_to_sign_in(client.get("/console/models", follow_redirects=False))
    assert goes_to_sign_in(client.get("/console", follow_redirects=False))


# -- what each key sees ------------------------------------------------------------------------
def test_a_key_without_console_scopes_is_told_what_it_opens(
    client: TestClient, service: Tactful
) -> None:
    sign_in(client, new_key(service, "Shop backend", "ingest"))
    page = client.get("/console")
    assert page.status_code == 200
    assert "Nothing in this console for your key" in page.text
    assert "<dt>ingest</dt>" in page.text
    assert "<svg" not in page.text
    assert "Rights requests" not in page.text
    assert 'href="/console/models"' not in page.text  # not in the navigation either
    for path in PAGES[1:]:
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html")
        assert "This is not allowed" in refused.text
        assert "&#39;analyst&#39; scope" in refused.text


def test_a_privacy_officer_sees_the_cases_with_their_links_but_no_analyst_parts(
    client: TestClient, service: Tactful, history: Built
) -> None:
    sign_in(client, new_key(service, "Pat (privacy officer)", "privacy-officer"))
    page = client.get("/console")
    text = page.text
    assert page.status_code == 200
    assert 'href="/console/requests"' in text
    assert 'href="/console/complaints"' in text
    assert "Fairness alerts" not in text
    assert "<svg" not in text
    assert client.get("/console/models").status_code == 403


# -- the figures -------------------------------------------------------------------------------
def _facts(html: str) -> list[tuple[str, str]]:
    return re.findall(r"<dt>([^<]+)</dt><dd>(?:<span[^>]*>)?([^<]+)", html)


def test_the_overview_counts_cases_flags_alerts_and_tables_consent_rates(
    client: TestClient, service: Tactful, history: Built
) -> None:
    built = history
    sign_in(client, KEY)
    page = client.get("/console", params={"weeks": WEEKS})
    assert page.status_code == 200
    text = without_drawing(page.text)
    # The unacknowledged audit, linked to its page.
    assert f'<a href="/console/audits/{built.audit_id}">' in text
    assert "1 fairness audit crossed a threshold" in text
    assert "2 checks crossed their thresholds" in text
    # Rights requests open at the end: access, erasure (overdue) and rectification; one
    # complaint, overdue (tests/ethics/test_gather.py works these out).
    assert _facts(text) == [("Open", "3"), ("Overdue", "1"), ("Open", "1"), ("Overdue", "1")]
    assert '<span class="badge danger">1</span>' in text
    # Week 1: 36 people, 34 granted personalization.explicit; week 3 statistics await renewal.
    rows = re.findall(r"<tr>\s*<th scope=\"row\">([^<]+)</th>(.*?)</tr>", text, re.DOTALL)
    weekly = [(week, re.findall(r'<td class="num">([^<]+)</td>', cells)) for week, cells in rows]
    assert len(weekly) == WEEKS + WEEKS  # the general table and the sensitive opt-ins
    people = [cells[0] for _, cells in weekly[:WEEKS]]
    assert people == ["36", "37", "37", "37"]
    assert weekly[0][1][1] == "94.4%"  # personalization.explicit: 34 of 36
    # analytics.aggregate, after the three personalization purposes:
    assert [cells[4] for _, cells in weekly[:WEEKS]] == ["83.3%", "81.1%", "0.0%", "2.7%"]
    # The acknowledged audit leaves the flag.
    service.fairness.acknowledge(built.audit_id, "key:bootstrap")
    assert "No open alert" in client.get("/console").text


def test_the_consent_plot_is_drawn_without_style_attributes(
    client: TestClient, service: Tactful, history: Built
) -> None:
    sign_in(client, KEY)
    page = client.get("/console", params={"weeks": WEEKS})
    drawings = re.findall(r"<svg\b.*?</svg>", page.text, flags=re.DOTALL)
    assert len(drawings) == 1
    drawing = drawings[0]
    assert 'role="img"' in drawing
    assert "personalization.explicit" in drawing  # the legend names each purpose
    assert "Week ending (UTC)" in drawing
    # The page policy forbids inline styles: none in the drawing, none on the page.
    assert " style=" not in page.text
    assert "<style" not in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]


def test_the_plot_is_drawn_again_when_a_choice_changes_it_or_the_language_differs(
    client: TestClient, service: Tactful, history: Built
) -> None:
    sign_in(client, KEY)

    def drawing(**headers: str) -> str:
        page = client.get("/console", params={"weeks": WEEKS}, headers=headers)
        found = re.search(r"<svg\b.*?</svg>", page.text, flags=re.DOTALL)
        assert found
        return found[0]

    first = drawing()
    assert drawing() == first  # nothing changed: the same picture
    french = drawing(**{"Accept-Language": "fr"})
    assert french != first
    assert "nov." in french  # the week ends as a French reader writes them
    service.record_consents(
        "crowd-7", {"choices": [{"purpose": "personalization.explicit", "status": "denied"}]}
    )
    assert drawing() != first
    assert drawing(**{"Accept-Language": "fr"}) != french


def test_guardrail_activity_over_the_chosen_weeks(
    client: TestClient, service: Tactful, clock: Clock, history: Built
) -> None:
    sign_in(client, new_key(service, "Ana", "analyst"))
    page = client.get("/console/guardrails", params={"weeks": WEEKS})
    assert page.status_code == 200
    text = page.text
    held = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="num">(\d+)</td><td class="num">(\d+)</td>'
        r"</tr>",
        text,
    )
    assert (
        "Sensitive category without the person&#39;s opt-in",
        "20",
        "5",
    ) in held
    assert ("Already bought or rated", "6", "2") in held
    assert ("email", "1", "3") in held  # sent, held
    # Held for want of consent: 3 messages, 2 by email and 1 by text message.
    assert (
        '<tr><th scope="row">No consent to the channel&#39;s purpose</th><td class="num">3</td>'
        '<td class="num">2</td><td class="num">1</td></tr>'
    ) in text
    assert "5 decisions were made in these weeks." in text
    assert "5 messages were considered: 1 sent, 4 held." in text
    assert "<dd>1 (gambling: 1)</dd>" in text
    assert "<dt>People who said they are vulnerable</dt><dd>1</dd>" in text
    # The last week, two months on: nothing held since, the protections still in force.
    clock.advance(days=60)
    quiet = client.get("/console/guardrails", params={"weeks": 1}).text
    assert "No item was held back in these weeks." in quiet
    assert "<dt>People who said they are vulnerable</dt><dd>1</dd>" in quiet


@pytest.mark.parametrize("weeks", ["abc", "0", "261", "-1", "1.5", "²"])
def test_a_bad_number_of_weeks_is_a_422_page_saying_why(
    client: TestClient, service: Tactful, weeks: str
) -> None:
    sign_in(client, KEY)
    for path in ("/console/guardrails", "/console"):
        page = client.get(path, params={"weeks": weeks})
        assert page.status_code == 422, (path, weeks)
        assert page.headers["content-type"].startswith("text/html")
        assert "Enter a whole number of weeks from 1 to 260." in page.text
        assert 'aria-describedby="weeks-error"' in page.text
        assert "<svg" not in page.text


def test_the_models_page_mirrors_the_models_api(client: TestClient, service: Tactful) -> None:
    api = client.get("/v1/models", headers={"X-API-Key": KEY}).json()["models"]
    sign_in(client, new_key(service, "Ana", "analyst"))
    text = client.get("/console/models").text
    for model in api:
        current = model["current"]
        assert f"<h2>{model['name']}</h2>" in text
        if current is None:  # the shop has no business accounts: nothing to train on
            assert model["name"].startswith("account-")
            continue
        assert f"<code>{current['version']}</code>" in text
        trained = current["trained_on"]
        assert f"<dt>People</dt><dd>{trained['subjects']:,}</dd>" in text
        assert f"<dt>Interactions learned from</dt><dd>{trained['interactions']:,}</dd>" in text
    assert {m["name"] for m in api} >= {"popularity", "cohorts", "account-segments"}
    assert "fall back to a popular list" in text
    assert "<code>l2</code>" in text


def test_the_data_page_lists_purposes_readers_and_main_parameters(
    client: TestClient, service: Tactful
) -> None:
    sign_in(client, new_key(service, "Ana", "analyst"))
    new_key(service, "Pat", "privacy-officer")
    text = client.get("/console/data").text
    for purpose in service.notice()["purposes"]:
        assert f"<code>{purpose['purpose']}</code>" in text
    assert "explicit_feedback, purchase_history" in text
    assert "730 days after each event" in text  # personalization.explicit keeps purchases
    # One person's data: the privacy officer's keys and the admins', never the analyst's.
    assert "<strong>privacy-officer</strong>: Pat" in text
    assert "<strong>admin</strong>: bootstrap" in text
    assert "<strong>analyst</strong>" not in text
    parameters = service.main_parameters()
    for recommender in parameters["recommenders"]:
        assert f"<h3>{recommender['name']}</h3>" in text
    assert parameters["generated_from"]["sha256"] in text


def test_the_console_speaks_the_readers_language(client: TestClient) -> None:
    sign_in(client, KEY)
    for path in PAGES:
        page = client.get(path, headers={"Accept-Language": "fr"})
        assert page.status_code == 200, path
        assert '<html lang="fr">' in page.text
