"""The front page, the transparency page and the error page: served by the app, accessible,
in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, assert_accessible

pytestmark = pytest.mark.slow


def test_the_front_page_is_accessible_and_fetches_nothing_elsewhere(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    assert page.locator("h1").inner_text() == "Tactful"
    assert_accessible(page)


def test_the_transparency_page_is_reached_from_the_front_page_and_is_accessible(
    page: Any, site: Site
) -> None:
    page.goto(site.base + "/")
    page.get_by_role("link", name="How recommendations are made").click()
    assert page.locator("h1").inner_text() == "How recommendations are made"
    # The privacy budget the trends spent: a total and one row per release.
    assert page.locator("#budget-total").inner_text().strip() != ""
    rows = page.get_by_role("table", name="Each release of the trends and the budget it spent")
    assert rows.locator("tbody tr").count() >= 1
    assert_accessible(page)
    page.goto(site.base + "/transparency?lang=fr")
    assert page.locator("h1").inner_text() == "Comment les recommandations sont faites"
    assert_accessible(page)


def test_the_language_can_be_switched_on_the_page_and_is_remembered(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    page.get_by_role("link", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.goto(site.base + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
