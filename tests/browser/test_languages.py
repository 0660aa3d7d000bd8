"""The pages in the second language: a browser asking for French gets French pages, the
domain's own sentences (reasons, levels) in French too, dates and numbers written the French
way, and pages as accessible as the English ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import (
    API_KEY,
    Site,
    assert_accessible,
    guarded_context,
    screenshot,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def french(browser: Any, site: Site) -> Iterator[Any]:
    """A page in a browser set to French (it asks for fr-FR first)."""
    with guarded_context(browser, site, locale="fr-FR") as made:
        yield made.new_page()


def test_a_french_browser_gets_the_privacy_center_in_french(french: Any, site: Site) -> None:
    french.goto(site.center_link("alice"))
    assert french.locator("html").get_attribute("lang") == "fr"
    assert french.get_by_role("link", name="Vos choix").first.is_visible()
    assert_accessible(french)
    screenshot(french, "privacy-center-fr")

    french.get_by_role("link", name="Recommandations").first.click()
    reasons = french.locator("p.reason").all_inner_texts()
    assert reasons
    assert any(r.startswith("Parce que vous avez acheté «\u00a0") for r in reasons), reasons
    assert not any("Because you" in r for r in reasons)
    french.locator("summary").first.click()
    assert french.get_by_text("Pourquoi est-ce que je vois ceci").first.is_visible()
    assert_accessible(french)

    french.get_by_role("link", name="Vos choix").first.click()
    assert french.get_by_role("heading", level=1).inner_text() == "Vos choix"
    assert_accessible(french)


def test_the_language_links_switch_and_the_choice_is_remembered(french: Any, site: Site) -> None:
    french.goto(site.center_link("alice"))
    french.get_by_role("link", name="English").click()
    assert french.locator("html").get_attribute("lang") == "en"
    french.get_by_role("link", name="Your choices").first.click()
    # The browser still prefers French; the reader's own choice wins.
    assert french.get_by_role("heading", level=1).inner_text() == "Your choices"


def test_the_console_signs_in_and_shows_its_overview_in_french(french: Any, site: Site) -> None:
    french.goto(site.base + "/console")
    assert french.locator("html").get_attribute("lang") == "fr"
    assert_accessible(french)
    french.get_by_label("Clé d'API").fill(API_KEY)
    french.get_by_label("Clé d'API").press("Enter")
    french.wait_for_url(site.base + "/console")
    assert french.get_by_role("heading", level=1).inner_text() == "Vue d'ensemble"
    # Dates in the French way: "24 nov. 2026", never "Nov 24, 2026".
    body = french.locator("main").inner_text()
    assert " 2026" in body
    assert "Nov " not in body
    assert_accessible(french)
