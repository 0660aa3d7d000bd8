"""What every page relies on: signed console sessions, CSRF tokens, HTML error pages on
page paths (problem+json everywhere else), the style sheet and the page policy."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tactful.errors import Forbidden, Unauthorized
from tactful.service import Tactful
from tactful.web.sessions import SessionExpired, Signer, same_origin
from tests.http_helpers import KEY

pytest_plugins = ["tests.trained_shop"]


def test_csrf_tokens_are_bound_to_their_session() -> None:
    signer = Signer("s" * 40)
    token = signer.csrf("session-a")
    signer.check_csrf("session-a", token)
    assert token == Signer("s" * 40).csrf("session-a")
    for wrong in (signer.csrf("session-b"), Signer("t" * 40).csrf("session-a"), "", None):
        with pytest.raises(Forbidden):
            signer.check_csrf("session-a", wrong)


def test_a_console_cookie_round_trips_and_refuses_forgery_and_age() -> None:
    signer = Signer("s" * 40)
    now = time.time()
    cookie = signer.console_cookie("abc123", "f" * 32, now=now)
    session = signer.console_session(cookie, now=now)
    assert (session.key_id, session.fingerprint) == ("abc123", "f" * 32)
    key_id, fingerprint, expires, mac = cookie.split(".")
    forged = [
        f"other.{fingerprint}.{expires}.{mac}",
        f"{key_id}.{fingerprint}.{int(expires) + 3600}.{mac}",
        Signer("t" * 40).console_cookie("abc123", "f" * 32, now=now),
        "",
        "a.b.c",
        f"{key_id}.{fingerprint}.soon.{mac}",
    ]
    for text in forged:
        with pytest.raises(SessionExpired):
            signer.console_session(text, now=now)
    with pytest.raises(SessionExpired):
        signer.console_session(cookie, now=now + 9 * 3600)


def test_same_origin_accepts_only_our_own_origin() -> None:
    assert same_origin(None, "http://127.0.0.1:8000/")
    assert same_origin("http://127.0.0.1:8000", "http://127.0.0.1:8000/")
    assert not same_origin("http://127.0.0.1:8001", "http://127.0.0.1:8000/")
    assert not same_origin("https://shop.example.com", "http://127.0.0.1:8000/")


def test_a_session_resumes_only_while_its_key_is_usable_and_unchanged(service: Tactful) -> None:
    bootstrap = service.keys.authenticate(KEY)
    assert service.keys.resume(bootstrap.key_id, service.keys.fingerprint(bootstrap)) == bootstrap
    presented, view = service.keys.create("Ana (analyst)", ["analyst"])
    analyst = service.keys.authenticate(presented)
    fingerprint = service.keys.fingerprint(analyst)
    assert service.keys.resume(view["key_id"], fingerprint) == analyst
    with pytest.raises(Unauthorized):
        service.keys.resume(view["key_id"], "0" * 32)
    with pytest.raises(Unauthorized):
        service.keys.resume(bootstrap.key_id, fingerprint)
    service.keys.revoke(view["key_id"])
    with pytest.raises(Unauthorized):
        service.keys.resume(view["key_id"], fingerprint)
    with pytest.raises(Unauthorized):
        service.keys.resume("no-such-key", fingerprint)


def test_errors_on_page_paths_are_pages_and_elsewhere_problems(client: TestClient) -> None:
    page = client.get("/privacy-center/no-such-page", headers={"Accept-Language": "fr"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text
    assert "problem" not in page.headers["content-type"]
    api = client.get("/v1/no-such-route")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_a_center_page_without_a_session_asks_to_reopen_the_link(client: TestClient) -> None:
    response = client.get("/privacy-center/choices")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert "link" in response.text


def test_a_console_page_without_a_session_goes_to_sign_in(client: TestClient) -> None:
    response = client.get("/console/models", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"


def test_the_style_sheet_and_the_front_page_allow_no_script(client: TestClient) -> None:
    css = client.get("/static/tactful.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    front = client.get("/")
    assert front.status_code == 200
    policy = front.headers["content-security-policy"]
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "style-src 'self'" in policy
    assert front.headers["cache-control"] == "no-store"


def test_the_language_follows_the_query_then_the_cookie_then_the_browser(
    client: TestClient,
) -> None:
    english = client.get("/", headers={"Accept-Language": "de-DE, en;q=0.5"})
    assert '<html lang="en">' in english.text
    browser = client.get("/", headers={"Accept-Language": "fr-CA, en;q=0.5"})
    assert '<html lang="fr">' in browser.text
    chosen = client.get("/?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in chosen.text
    assert chosen.cookies.get("tactful_lang") == "en"
    remembered = client.get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in remembered.text
