"""No page ever answers 500: every page route of the Privacy Center and the Console, with
generated path values, query strings and form fields, signed in (with a valid CSRF token)
and not, answers with a page, a redirect or a clear refusal."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.web.sessions import CENTER_COOKIE, CONSOLE_COOKIE
from tests import shop
from tests.http_helpers import KEY

pytestmark = pytest.mark.slow

PAGE_PREFIXES = ("/privacy-center", "/console")
# Erasure and sign-out end the session the other examples use; they have tests of their own.
SESSION_ENDING = {"/privacy-center/erase", "/console/logout"}
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFF), max_size=40
)
values = st.one_of(text, st.integers(-(10**12), 10**12).map(str), st.sampled_from(["", "0"]))
fields = st.dictionaries(
    st.sampled_from(
        [
            "level",
            "purpose",
            "status",
            "item_id",
            "decision_id",
            "event_ids",
            "reason",
            "text",
            "owner",
            "resolution",
            "note",
            "window_days",
            "weeks",
            "confirm",
            "kind",
            "before",
            "after",
            "limit",
            "overdue",
            "lang",
            "field",
            "clear",
            "api_key",
            "choice",
            "back",
            "channel",
            "category",
            "email",
            "name",
        ]
    ),
    values,
    max_size=6,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Tactful]]:
    data = tmp_path_factory.mktemp("pages-fuzz") / "var"
    settings_ = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'tactful.db'}",
        api_key=KEY,  # type: ignore[arg-type]
        retention_interval_seconds=0,
    )
    service = Tactful(settings_)
    shop.populate(service)
    service.train()
    service.recommend("alice", k=5)
    with TestClient(create_app(settings_, service), raise_server_exceptions=False) as client:
        yield client, service
    service.close()


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Every route with its full path, through the routers the app includes (FastAPI wraps
    each one, and a router included in another adds the prefix it was included under)."""
    for route in routes:
        if isinstance(route, Route):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            inner = prefix + (getattr(context, "prefix", "") or "")
            yield from _walk(route.original_router.routes, inner)


def _routes(app: Any) -> list[tuple[str, str]]:
    found = []
    for path, route in _walk(app.routes):
        if path.startswith(PAGE_PREFIXES) and path not in SESSION_ENDING:
            found += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return sorted(set(found))


def _sessions(client: TestClient, service: Tactful) -> dict[str, str]:
    pages = client.app.state.pages  # type: ignore[attr-defined]
    token = service.issue_token("alice", 3600)["token"]
    principal = service.keys.authenticate(KEY)
    console = pages.signer.console_cookie(principal.key_id, service.keys.fingerprint(principal))
    return {CENTER_COOKIE: token, CONSOLE_COOKIE: console}


def test_the_page_routes_are_all_covered(site: tuple[TestClient, Tactful]) -> None:
    routes = _routes(site[0].app)
    assert ("GET", "/privacy-center") in routes
    assert ("POST", "/console/login") in routes
    assert ("POST", "/console/complaints/{complaint_id}/resolve") in routes
    assert ("GET", "/console/audits/{audit_id}") in routes
    assert len(routes) >= 40


@settings(
    max_examples=int(os.environ.get("TACTFUL_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_page_answers_a_server_error(site: tuple[TestClient, Tactful], data: Any) -> None:
    client, service = site
    method, path = data.draw(st.sampled_from(_routes(client.app)))
    filled = re.sub(
        r"\{[^}]+\}",
        lambda _: data.draw(
            st.one_of(text.filter(bool).map(lambda s: quote(s, safe="")), st.uuids().map(str))
        ),
        path,
    )
    signed_in = data.draw(st.booleans())
    cookies = _sessions(client, service) if signed_in else {}
    form = data.draw(fields)
    if signed_in and data.draw(st.booleans()):
        pages = client.app.state.pages  # type: ignore[attr-defined]
        session = cookies[CONSOLE_COOKIE if path.startswith("/console") else CENTER_COOKIE]
        form["csrf"] = pages.signer.csrf(session)
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    if method == "GET":
        response = client.get(filled, params=form, follow_redirects=False)
    else:
        response = client.request(method, filled, data=form, follow_redirects=False)
    assert response.status_code < 500, (method, filled, form, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("text/html")
