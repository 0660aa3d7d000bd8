"""The Operator Console in Chromium, as staff use it: sign in with a key typed into the form
using the keyboard, read the overview's consent plot and its table, open the models,
guardrails and data pages, sign out. Every page passes the accessibility check and fits a
phone-sized screen; the overview is photographed for the README."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tactful.storage import tables as t
from tactful.storage.database import make_engine
from tests.browser.conftest import API_KEY, Site, assert_accessible, screenshot

pytestmark = pytest.mark.slow

PAGES = {
    "/console": "Overview",
    "/console/models": "Models in use",
    "/console/guardrails": "Guardrail activity",
    "/console/data": "Data and main parameters",
}
NARROW = 375
WEEK = timedelta(days=7)


def give_the_shop_a_history(site: Site) -> None:
    """The shop's people all arrived minutes ago, so every week but the last would be empty:
    date their arrival and first choices back over ten weeks (the crowd a few at a time),
    then record this week's changes and ask for a few lists through the API, as the shop's
    systems would."""
    now = datetime.now(UTC)
    arrivals = dict.fromkeys(("alice", "bob", "carol", "dan", "erin"), now - 11 * WEEK)
    arrivals |= {f"crowd-{n}": now - (10 - n // 3) * WEEK + timedelta(hours=1) for n in range(30)}
    engine = make_engine(site.settings.resolved_database_url)
    with engine.begin() as conn:
        for subject_id, since in arrivals.items():
            for table, column in (
                (t.subjects, t.subjects.c.created_at),
                (t.consent_records, t.consent_records.c.recorded_at),
            ):
                conn.execute(
                    update(table).where(table.c.subject_id == subject_id).values({column: since})
                )
    engine.dispose()
    changes = [(f"crowd-{n}", "personalization.behavioral", "denied") for n in range(8)]
    changes += [(f"crowd-{n}", "marketing.email", "granted") for n in range(10, 22)]
    for subject_id, purpose, status in changes:
        response = site.api.put(
            f"/v1/subjects/{subject_id}/consents",
            json={"choices": [{"purpose": purpose, "status": status}]},
        )
        assert response.status_code == 200, response.text
    for subject_id in ("alice", "bob", "carol", "erin"):
        shown = site.api.get(f"/v1/subjects/{subject_id}/recommendations", params={"k": 5})
        assert shown.status_code == 200, shown.text


def sign_in_by_keyboard(page: Any, site: Site, key: str) -> None:
    """Tab from the top of the page to the key field, type the key, press Enter."""
    page.goto(site.base + "/console/login")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "api-key":
            break
    else:
        pytest.fail("the key field cannot be reached with Tab")
    page.keyboard.type(key)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def heading(page: Any) -> str:
    return str(page.locator("h1").inner_text())


def test_an_analyst_signs_in_reads_the_overview_and_signs_out(page: Any, site: Site) -> None:
    give_the_shop_a_history(site)
    sign_in_by_keyboard(page, site, site.key("Ana (analyst)", "analyst"))
    assert page.url == site.base + "/console"
    assert heading(page) == "Overview"
    plot = page.locator("figure svg[role=img]")
    assert plot.count() == 1
    assert plot.get_attribute("aria-label").startswith("Line chart")
    assert plot.bounding_box()["height"] > 200
    table = page.get_by_role("table", name="% granted at the end of each week", exact=True)
    assert table.locator("tbody tr").count() == 12
    last_week = table.locator("tbody tr").last
    assert last_week.locator("td").first.inner_text() == "35"  # people counted this week
    # personalization.behavioral: 33 of the 35 granted it, then 8 of the crowd withdrew.
    assert last_week.locator("td").nth(2).inner_text() == "71.4%"
    assert_accessible(page)

    for path, title in list(PAGES.items())[1:]:
        page.get_by_role("navigation", name="Sections").get_by_role(
            "link", name=_nav_label(path)
        ).click()
        assert page.url == site.base + path
        assert heading(page) == title
        assert_accessible(page)
        if path == "/console/guardrails":
            held = page.get_by_role("table", name="Items held back, per reason", exact=False)
            assert "Sensitive category without the person's opt-in" in held.inner_text()

    page.get_by_role("button", name="Sign out").click()
    assert page.url == site.base + "/console/login?done=signed_out"
    assert page.get_by_role("status").inner_text() == "You have signed out."
    page.goto(site.base + "/console/models")
    assert page.url == site.base + "/console/login"


def _nav_label(path: str) -> str:
    return {
        "/console/models": "Models",
        "/console/guardrails": "Guardrails",
        "/console/data": "Data and parameters",
    }[path]


def test_a_wrong_key_is_told_so_on_the_form(page: Any, site: Site) -> None:
    sign_in_by_keyboard(page, site, "tk_notarealkey_butlongenough")
    assert page.url == site.base + "/console/login"
    error = page.get_by_role("alert")
    assert "This key was not accepted" in error.inner_text()
    field = page.get_by_label("API key")
    assert field.get_attribute("aria-invalid") == "true"
    assert_accessible(page)


def test_every_console_page_fits_a_phone_and_the_overview_is_photographed(
    page: Any, site: Site
) -> None:
    give_the_shop_a_history(site)
    sign_in_by_keyboard(page, site, API_KEY)
    assert heading(page) == "Overview"
    screenshot(page, "console")
    page.set_viewport_size({"width": NARROW, "height": 800})
    for path, title in [*PAGES.items(), ("/console/guardrails?weeks=12", "Guardrail activity")]:
        page.goto(site.base + path)
        assert heading(page) == title
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW, f"{path} scrolls sideways at {NARROW} px: {width} px wide"
        assert_accessible(page)
    page.goto(site.base + "/console/login?lang=fr")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
