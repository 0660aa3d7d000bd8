"""The Console's case work in a real browser: a privacy officer answers a person's concern,
reads the rights request register, and an analyst runs a fairness audit and sees its plots;
every page accessible, and none scrolling sideways on a phone."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Site, assert_accessible, screenshot

pytestmark = pytest.mark.slow

WORDS = "The running shoes follow me on every page, even after I bought a pair."
ANSWER = "We have stopped showing you running shoes; you bought what you needed."
PHONE = 375


def sign_in(page: Any, site: Site, key: str) -> None:
    page.goto(site.base + "/console/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/console$"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/console/login.*"))


def open_section(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=name).click()
    assert page.locator("h1").inner_text() == name


def fits_a_phone(page: Any, url: str) -> None:
    """At 375 px wide the page scrolls only up and down (wide tables scroll in their box)."""
    size = page.viewport_size
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"{url} is {width} px wide at {PHONE} px"
    page.set_viewport_size(size)


def report_a_concern(site: Site) -> str:
    """Alice is shown a list and reports its first item, through the consumer API."""
    headers = {"Authorization": f"Bearer {site.token('alice')}"}
    with httpx.Client(base_url=site.base, headers=headers, timeout=60) as alice:
        shown = alice.get("/v1/me/recommendations").json()
        body = {
            "reason": "intrusive",
            "text": WORDS,
            "decision_id": shown["decision_id"],
            "item_id": shown["items"][0]["item_id"],
        }
        made = alice.post("/v1/me/complaints", json=body)
        assert made.status_code == 201, made.text
        return str(made.json()["complaint"]["complaint_id"])


def her_answers(site: Site) -> list[tuple[str, str | None]]:
    headers = {"Authorization": f"Bearer {site.token('alice')}"}
    with httpx.Client(base_url=site.base, headers=headers, timeout=60) as alice:
        found = alice.get("/v1/me/complaints").json()["complaints"]
    return [(c["status"], c["resolution"]) for c in found]


def test_a_privacy_officer_answers_a_concern(page: Any, site: Site) -> None:
    complaint_id = report_a_concern(site)
    erased = site.api.post("/v1/subjects/bob/erasure", json={"confirm": True})
    assert erased.status_code == 202, erased.text
    sign_in(page, site, site.key("Dana (privacy officer)", "privacy-officer"))

    open_section(page, "Complaints")
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text="Intrusive")
    assert row.count() == 1
    assert WORDS not in page.content()  # the queue shows no one's words
    row.get_by_role("link").click()
    assert page.get_by_text(WORDS).is_visible()
    assert_accessible(page)
    detail = page.url

    page.get_by_label("Owner").fill("Dana")
    page.get_by_role("button", name="Assign the complaint").click()
    assert page.get_by_role("status").inner_text() == "The complaint is assigned and in review."
    # An empty answer is refused, said next to the field, and nothing changes.
    page.get_by_role("button", name="Resolve with this answer").click()
    assert page.locator("#resolution-error").is_visible()
    assert page.get_by_label("Answer").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    assert her_answers(site) == [("in_review", None)]

    page.get_by_label("Answer").fill(ANSWER)
    page.get_by_role("button", name="Resolve with this answer").click()
    assert "the person can read your answer" in page.get_by_role("status").inner_text()
    assert page.get_by_text(ANSWER).is_visible()
    assert page.get_by_role("button", name="Resolve with this answer").count() == 0
    screenshot(page, "console-complaint")
    assert her_answers(site) == [("resolved", ANSWER)]

    open_section(page, "Rights requests")
    assert_accessible(page)
    assert page.get_by_role("cell", name="Erasure").count() == 1
    page.get_by_role("link", name=re.compile("Open request")).first.click()
    assert page.get_by_role("heading", name="Steps").is_visible()
    assert_accessible(page)
    request_page = page.url

    for url in (
        site.base + "/console/complaints",
        detail,
        site.base + "/console/requests",
        request_page,
    ):
        fits_a_phone(page, url)
    assert complaint_id in detail


def test_an_analyst_runs_an_audit_and_sees_its_plots(page: Any, site: Site) -> None:
    for who in ["alice", "carol", "erin", *(f"crowd-{n}" for n in range(12))]:
        shown = site.api.get(f"/v1/subjects/{who}/recommendations", params={"k": 5})
        assert shown.status_code == 200, shown.text
    sign_in(page, site, site.key("Ana (analyst)", "analyst"))

    open_section(page, "Fairness audits")
    assert_accessible(page)
    assert page.get_by_text("No audit has run yet.").is_visible()
    page.get_by_label("Window (days before now)").fill("30")
    page.get_by_role("button", name="Run the audit").click()
    assert page.get_by_role("status").inner_text() == "The audit has run; its figures are below."
    plots = page.locator("figure svg[role='img']")
    assert plots.count() >= 2
    assert "exposure" in (plots.first.get_attribute("aria-label") or "")
    assert plots.first.bounding_box()["height"] > 100
    assert_accessible(page)
    screenshot(page, "console-audit")
    audit = page.url

    page.get_by_role("link", name=re.compile("full printable report")).click()
    assert page.locator("svg").count() >= 2
    assert_accessible(page)
    page.go_back()

    page.get_by_role("link", name="Back to the fairness audits").click()
    assert page.get_by_role("link", name=re.compile("Open audit")).count() == 1
    assert page.get_by_text("No alert").is_visible()
    for url in (site.base + "/console/audits", audit):
        fits_a_phone(page, url)
