"""Security headers on every response and strict CORS, on the real app."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tactful.api.app import create_app
from tactful.api.security import exact_origin
from tactful.service import Tactful
from tactful.settings import Settings
from tests.access.helpers import BOOTSTRAP_KEY, SQLITE_ONLY, harden

SHOP = "https://shop.example.com"
LOCAL = "http://localhost:3000"
EVIL = "https://evil.example.net"
KEY = {"X-API-Key": BOOTSTRAP_KEY}


@pytest.fixture
def web(settings: Settings, service: Tactful) -> tuple[TestClient, str]:
    """The app allowing two origins (one written with a trailing slash) besides a wildcard
    and `null`, which must be ignored; with a plain HTML page; and a subject token."""
    strict = settings.model_copy(
        update={
            "cors_origins": [SHOP, LOCAL + "/", "*", "null"],
            "subject_rate_limit_per_minute": 0,
        }
    )
    app = create_app(strict, service)

    @app.get("/test-page", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return "<!doctype html><title>t</title><style>p { color: #333 }</style><p>hello"

    service.ingest_subjects([{"subject_id": "alice"}])
    token = service.issue_token("alice")["token"]
    return TestClient(harden(app, strict), raise_server_exceptions=False), token


def _policy(response: httpx.Response) -> dict[str, str]:
    directives = (
        d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")
    )
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives if d[0]}


def _assert_hardened(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    # Pages send their Origin to themselves (their forms' CSRF check reads it); the API
    # and every other answer give no referrer at all.
    html = headers.get("content-type", "").startswith("text/html")
    assert headers["referrer-policy"] == ("same-origin" if html else "no-referrer")
    assert headers["x-frame-options"] == "DENY"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    policy = _policy(response)
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "'unsafe-eval'" not in headers["content-security-policy"]


@SQLITE_ONLY
def test_every_response_carries_the_security_headers(web: tuple[TestClient, str]) -> None:
    client, token = web
    me = {"Authorization": f"Bearer {token}"}
    responses = [
        client.get("/healthz"),
        client.get("/v1/notice"),
        client.get("/openapi.json"),
        client.get("/v1/me", headers=me),
        client.get("/v1/me"),  # 401
        client.get("/v1/models", headers=KEY),
        client.get("/v1/nowhere"),  # 404
        client.post("/v1/items", content=b"{", headers=KEY | {"content-type": "application/json"}),
        client.get("/v1/subjects/alice/recommendations", headers=KEY),  # the lane (409)
        client.options("/v1/me", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}),
        client.get("/test-page"),
    ]
    for response in responses:
        _assert_hardened(response)
    for response in responses[:10]:
        assert "style-src" not in _policy(response)


@SQLITE_ONLY
def test_a_page_may_use_exactly_its_own_styles_and_no_script(
    web: tuple[TestClient, str],
) -> None:
    client, token = web
    me = {"Authorization": f"Bearer {token}"}
    pages = [client.get("/test-page"), client.get("/v1/me/export.html", headers=me)]
    for page in pages:
        assert page.status_code == 200
        styles = re.findall(rb"<style>(.*?)</style>", page.content, re.DOTALL)
        assert styles
        policy = _policy(page)
        assert policy["style-src"].split() == ["'self'", *(_sha256(s) for s in styles)]
        assert "script-src" not in policy
    # No page of the service loads anything from elsewhere: the CDN explorer is off.
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def _sha256(block: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(block).digest()).decode() + "'"


@SQLITE_ONLY
def test_no_store_on_the_consumer_api_and_on_every_credentialed_answer(
    web: tuple[TestClient, str],
) -> None:
    client, token = web
    me = {"Authorization": f"Bearer {token}"}
    for response in (
        client.get("/v1/me", headers=me),
        client.get("/v1/me/inventory", headers=me),
        client.get("/v1/me"),
        client.get("/v1/subjects/alice/consents", headers=KEY),
        client.get(
            "/v1/subjects/alice/consents", headers={"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
        ),
        client.get("/v1/keys", headers=KEY),
    ):
        assert response.headers["cache-control"] == "no-store", response.url
    assert "no-store" not in client.get("/v1/notice").headers.get("cache-control", "")


@SQLITE_ONLY
def test_cors_answers_only_the_exact_configured_origins(web: tuple[TestClient, str]) -> None:
    client, token = web
    me = {"Authorization": f"Bearer {token}"}
    for origin in (SHOP, LOCAL):
        response = client.get("/v1/me", headers=me | {"Origin": origin})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == origin
        assert "origin" in response.headers["vary"].lower()
        assert "access-control-allow-credentials" not in response.headers
        assert "Retry-After" in response.headers["access-control-expose-headers"]
    for origin in (
        EVIL,
        "null",
        "*",
        SHOP + ".evil.example.net",
        "http://shop.example.com",
        SHOP + ":8443",
    ):
        response = client.get("/v1/me", headers=me | {"Origin": origin})
        assert response.status_code == 200  # answered, but not readable by that page
        assert not [h for h in response.headers if h.startswith("access-control-")], origin
        assert "origin" in response.headers["vary"].lower()


@SQLITE_ONLY
def test_a_preflight_is_allowed_for_a_configured_origin_and_refused_for_any_other(
    web: tuple[TestClient, str],
) -> None:
    client, _ = web
    ask = {
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = client.options("/v1/me/consents", headers=ask | {"Origin": SHOP})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "PUT" in allowed.headers["access-control-allow-methods"]
    assert "Authorization" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in allowed.headers
    for origin in (EVIL, "null", "*"):
        refused = client.options("/v1/me/consents", headers=ask | {"Origin": origin})
        assert refused.status_code == 403
        assert not [h for h in refused.headers if h.startswith("access-control-")]


@SQLITE_ONLY
def test_without_configured_origins_no_page_may_call(settings: Settings, service: Tactful) -> None:
    assert settings.cors_origins == []
    client = TestClient(harden(create_app(settings, service), settings))
    response = client.get("/v1/notice", headers={"Origin": SHOP})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/notice", headers={"Origin": SHOP, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 403


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("*", None),
        ("null", None),
        ("https://*.example.com", None),
        ("https://shop.example.com/path", None),
        ("https://user@shop.example.com", None),
        ("ftp://shop.example.com", None),
        ("shop.example.com", None),
        ("https://shop.example.com:99999", None),
    ],
)
def test_configured_origins_are_exact(text: str, origin: str | None) -> None:
    assert exact_origin(text) == origin


@pytest.mark.parametrize(
    "origin", ["*", "null", "https://shop.example.com/path", "ftp://x.example"]
)
def test_settings_refuse_an_origin_that_is_not_exact(origin: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="TACTFUL_CORS_ORIGINS"):
        Settings(data_dir=tmp_path, cors_origins=[SHOP, origin])
