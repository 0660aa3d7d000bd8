"""Browser tests: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`) driven by
Playwright against a real `tactful serve`-like server on loopback, over a trained shop.

Each test gets its own copy of the shop's data directory (SQLite store, models, keys) and
its own server, so a test that erases someone leaves the next one untouched. Every page a
test opens is watched: a request to anywhere but the server fails the test (no CDN, no
font, no tracker), and so does a page blocked by its own Content-Security-Policy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.conftest import need_service
from tests.live_server import serve

CHROMIUM = Path(os.environ.get("TACTFUL_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
API_KEY = "browser-test-operator-key-0123456789"
# What a root CI container needs, and what keeps Chromium off the network: it would
# otherwise call home for updates, safe-browsing lists and field trials.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]
# Impacts the accessibility check refuses (axe's scale: minor, moderate, serious, critical).
REFUSED_IMPACTS = frozenset({"serious", "critical"})
SCREENSHOTS = os.environ.get("TACTFUL_SCREENSHOTS")


# Module-scoped, not session-scoped: Playwright's sync API keeps an asyncio loop running in
# the thread while it is open, and a later test of another module calling asyncio.run() in
# the same worker would find it.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Any]:
    if not CHROMIUM.exists():
        need_service(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Any) -> Iterator[Any]:
    launched = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def shop_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the trained shop, made once and copied for each test."""
    data = tmp_path_factory.mktemp("browser-shop") / "var"
    service = Tactful(_settings(data))
    shop.populate(service)
    service.train()
    service.close()
    return data


def _settings(data: Path) -> Settings:
    return Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'tactful.db'}",
        api_key=API_KEY,  # type: ignore[arg-type]
        retention_interval_seconds=0,
    )


@dataclass
class Site:
    """The server under test, and what a test needs to reach it as each kind of person."""

    base: str
    settings: Settings
    api: httpx.Client
    third_party: list[str] = field(default_factory=list)

    def token(self, subject_id: str) -> str:
        response = self.api.post(f"/v1/subjects/{subject_id}/tokens")
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def center_link(self, subject_id: str) -> str:
        """The link the shop puts in a person's account page."""
        return f"{self.base}/privacy-center?token={self.token(subject_id)}"

    def key(self, name: str, *scopes: str) -> str:
        """A new operator key holding `scopes`."""
        response = self.api.post("/v1/keys", json={"name": name, "scopes": list(scopes)})
        assert response.status_code == 201, response.text
        return str(response.json()["key"])


@pytest.fixture
def site(shop_data: Path, tmp_path: Path) -> Iterator[Site]:
    data = tmp_path / "var"
    shutil.copytree(shop_data, data)
    settings = _settings(data)
    with (
        serve(create_app(settings)) as base,
        httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}, timeout=60) as api,
    ):
        yield Site(base, settings, api)


@contextmanager
def guarded_context(browser: Any, site: Site, locale: str = "en-GB") -> Iterator[Any]:
    """A fresh browser profile (no cookies) that may talk to the server and nothing else."""
    made = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    made.set_default_timeout(30_000)
    blocked_by_policy: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith((site.base + "/", "data:", "about:", "blob:")):
            route.continue_()
        else:
            site.third_party.append(url)
            route.abort()

    made.route("**/*", guard)

    def watch(page: Any) -> None:
        page.on(
            "console",
            lambda message: (
                blocked_by_policy.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    made.on("page", watch)
    yield made
    made.close()
    assert site.third_party == [], f"pages asked for third-party resources: {site.third_party}"
    assert blocked_by_policy == [], f"pages were blocked by their own CSP: {blocked_by_policy}"


@pytest.fixture
def context(browser: Any, site: Site) -> Iterator[Any]:
    with guarded_context(browser, site) as made:
        yield made


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2.x A/AA
    and axe's best practices). axe is evaluated through the DevTools protocol, which the
    page's own CSP (no script at all) does not govern."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in REFUSED_IMPACTS
    ]


def assert_accessible(page: Any) -> None:
    found = axe_violations(page)
    assert found == [], f"accessibility violations on {page.url}: {found}"


def screenshot(page: Any, name: str) -> None:
    """Saved for the README when `scripts/screenshots.sh` sets TACTFUL_SCREENSHOTS."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


PHONE = {"width": 375, "height": 740}


def fits_a_phone(page: Any) -> None:
    """At 375 px wide the page does not scroll sideways (tables scroll in their own box)."""
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at {PHONE['width']} px"
