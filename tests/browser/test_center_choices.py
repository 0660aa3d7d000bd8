"""The Privacy Center's core pages in a real browser, walked as a person would: open the
link, ask "Why am I seeing this?" with the keyboard, turn personalization off, change a
choice and see the next suggestions change, send Global Privacy Control, use a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Site, assert_accessible, screenshot

pytestmark = pytest.mark.slow

CENTER = "/privacy-center"


def reasons(page: Any) -> list[str]:
    return [r.strip() for r in page.locator("ol.recs p.reason").all_inner_texts()]


def titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("ol.recs h3").all_inner_texts()]


def test_alice_asks_why_with_the_keyboard_then_turns_personalization_off(
    page: Any, site: Site
) -> None:
    page.goto(site.center_link("alice"))
    # The token went into a cookie; the address bar no longer holds it.
    assert page.url == site.base + CENTER
    assert page.get_by_role("heading", level=1).inner_text() == "Your Privacy Center"
    assert_accessible(page)

    page.get_by_role("link", name="Recommendations", exact=True).first.click()
    page.wait_for_url(site.base + CENTER + "/recommendations")
    personal = reasons(page)
    assert any(r.startswith("Because you bought") for r in personal), personal
    before = titles(page)

    first = page.locator("details.why").first
    assert first.get_attribute("open") is None
    summary = first.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert first.get_attribute("open") is not None
    assert first.get_by_text("Data used").is_visible()
    assert first.get_by_text("Purposes relied on").is_visible()
    assert first.get_by_text("Recommendations from what you bought and rated").first.is_visible()
    assert first.get_by_role("button", name="Not interested in this").is_visible()
    assert first.get_by_role("button", name=re.compile("Turn personalization off")).is_visible()
    assert first.get_by_role("link", name="Report a concern about this").is_visible()
    assert_accessible(page)
    page.evaluate("document.activeElement.blur()")
    screenshot(page, "privacy-center")

    page.get_by_role("link", name="Overview").click()
    page.wait_for_url(site.base + CENTER)
    page.get_by_role("button", name="Turn personalization off").click()
    page.wait_for_url(site.base + CENTER + "?done=level_off")
    assert page.get_by_role("status").get_by_text("Personalization is off.").is_visible()
    assert page.get_by_role("button", name="Turn personalization off").count() == 0

    page.goto(site.base + CENTER + "/recommendations")
    after = reasons(page)
    assert after
    assert not any(r.startswith("Because you") for r in after), after
    assert all("personalization is off" in r for r in after), after
    assert titles(page) != before
    assert page.get_by_role("heading", name="Personalization is off").is_visible()


def test_a_purpose_choice_changed_on_the_choices_page_changes_the_next_suggestions(
    page: Any, site: Site
) -> None:
    page.goto(site.center_link("alice"))
    page.goto(site.base + CENTER + "/recommendations")
    assert any(r.startswith("Because you bought") for r in reasons(page))
    before = titles(page)

    page.get_by_role("link", name="Your choices", exact=True).click()
    page.wait_for_url(site.base + CENTER + "/choices")
    assert_accessible(page)
    explicit = page.get_by_role("group", name="Recommendations from what you bought and rated")
    assert explicit.get_by_text("Allowed", exact=True).is_visible()
    explicit.get_by_label("Don't allow", exact=True).check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_url(site.base + CENTER + "/choices?done=saved")
    assert page.get_by_role("status").get_by_text("Your choices are saved.").is_visible()
    assert page.get_by_role("link", name="See the receipt of this change").is_visible()
    explicit = page.get_by_role("group", name="Recommendations from what you bought and rated")
    assert explicit.get_by_label("Don't allow", exact=True).is_checked()
    assert explicit.get_by_text("Not allowed", exact=True).is_visible()

    page.goto(site.base + CENTER + "/recommendations")
    now = reasons(page)
    assert now
    assert not any(r.startswith("Because you") for r in now), now
    assert titles(page) != before
    why = page.locator("details.why").first
    why.locator("summary").click()
    assert why.get_by_text("None: nothing you allowed was needed for this item.").is_visible()

    # Personalization back on from the page itself: the very next list is personal again.
    page.get_by_role("button", name="Personalize from what I buy and rate").first.click()
    page.wait_for_url(site.base + CENTER + "/recommendations?done=level_basic")
    assert any(r.startswith("Because you bought") for r in reasons(page)), reasons(page)


def test_a_browser_sending_gpc_is_told_it_was_honoured(page: Any, site: Site) -> None:
    page.context.set_extra_http_headers({"Sec-GPC": "1"})
    page.goto(site.center_link("alice"))
    banner = page.locator("#gpc-honoured")
    assert banner.is_visible()
    assert "Global Privacy Control" in banner.inner_text()
    page.goto(site.base + CENTER + "/choices")
    advertising = page.get_by_role("group", name="Advertising on other sites")
    assert advertising.get_by_text("Not allowed", exact=True).is_visible()
    assert advertising.get_by_label("Allow", exact=True).count() == 0
    assert_accessible(page)


def test_every_page_fits_a_phone_and_passes_the_accessibility_check(page: Any, site: Site) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(site.center_link("alice"))
    page.goto(site.base + CENTER + "/recommendations")
    page.locator("details.why summary").first.click()
    page.goto(site.base + CENTER + "/history")
    page.locator("table a").first.click()
    page.wait_for_url(re.compile(r".*/history/[0-9a-f-]{36}$"))
    decision = page.url
    assert re.search(r"/privacy-center/history/[0-9a-f-]{36}$", decision)
    for path in ("", "/notice", "/choices", "/recommendations", "/history", decision):
        page.goto(path if path.startswith("http") else site.base + CENTER + path)
        for why in page.locator("details.why").all()[:2]:
            why.locator("summary").click()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (page.url, width)
        assert_accessible(page)
