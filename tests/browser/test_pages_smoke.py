"""The front page and the error page: served by the app, accessible, in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, assert_accessible

pytestmark = pytest.mark.slow


def test_the_front_page_is_accessible_and_fetches_nothing_elsewhere(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    assert page.locator("h1").inner_text() == "Tactful"
    assert_accessible(page)


def test_the_language_can_be_switched_on_the_page_and_is_remembered(page: Any, site: Site) -> None:
    page.goto(site.base + "/")
    page.get_by_role("link", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.goto(site.base + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
