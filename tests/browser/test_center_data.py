"""The Privacy Center's data pages in a real browser, walked as a person would: download
the export, remove something from the history, correct the profile, report a concern from a
recommendation and follow it, keep a receipt, and erase everything, watching the status
page until it says done. Every page passes the accessibility check and fits a phone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Site, assert_accessible, fits_a_phone

pytestmark = pytest.mark.slow

CENTER = "/privacy-center"


def checked(page: Any) -> None:
    """The page as it is now is accessible and fits a phone."""
    assert_accessible(page)
    fits_a_phone(page)


def open_data(page: Any, site: Site, subject_id: str = "alice") -> None:
    page.goto(site.center_link(subject_id))
    page.get_by_role("link", name="Your data", exact=True).first.click()
    page.wait_for_url(site.base + CENTER + "/data")


def test_alice_downloads_her_data_and_it_is_hers(page: Any, site: Site, tmp_path: Path) -> None:
    open_data(page, site)
    assert page.get_by_role("heading", level=1).inner_text() == "Your data"
    held = page.get_by_role("table", name="Your data, by kind")
    assert held.get_by_role("cell", name=re.compile("^What you bought 3 records")).is_visible()
    checked(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as JSON (for other services)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert re.fullmatch(r"tactful-export-\d{8}\.json", saved.name)
    export = json.loads(saved.read_text("utf-8"))
    assert export["subject_id"] == "alice"
    assert {e["item_id"] for e in export["events"]} >= {"running-1", "running-2"}

    with page.expect_download() as readable:
        page.get_by_role("link", name="Download as a page to read").click()
    assert readable.value.suggested_filename.endswith(".html")
    text = Path(readable.value.path()).read_text("utf-8")
    assert "Running thing 2" in text

    # The download made an access request; it is listed, and its status page says done.
    page.reload()
    page.get_by_role("link", name="A copy of your data").first.click()
    page.wait_for_url(re.compile(re.escape(site.base + CENTER) + r"/requests/[0-9a-f-]{36}$"))
    assert page.locator("#request-state").inner_text().startswith("Done")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    checked(page)


def test_alice_removes_a_purchase_from_her_history_and_corrects_her_profile(
    page: Any, site: Site
) -> None:
    open_data(page, site)
    history = page.get_by_role("group", name="Choose what to remove from your history")
    remove = history.get_by_role("button", name="Remove the ticked events from my history")
    remove.click()  # nothing ticked
    assert page.locator("#remove-error").inner_text() == (
        "Tick at least one event to remove; nothing was removed."
    )
    checked(page)

    bought = page.get_by_role("checkbox", name="Bought: Running thing 2", exact=True)
    assert bought.count() == 1
    bought.check()
    remove.click()
    page.wait_for_url(site.base + CENTER + "/data?done=removed")
    assert page.get_by_role("status").first.inner_text().startswith("Removed from your history.")
    assert page.get_by_role("checkbox", name="Bought: Running thing 2", exact=True).count() == 0
    assert page.get_by_role("checkbox", name="Viewed: Running thing 2", exact=True).count() == 1
    events = site.api.get("/v1/subjects/alice/export").json()["events"]
    assert ("purchase", "running-2") not in {(e["event_type"], e["item_id"]) for e in events}

    page.get_by_role("link", name="Correct your profile").click()
    page.wait_for_url(site.base + CENTER + "/data/profile")
    checked(page)
    region = page.get_by_role("group", name="Region")
    region.get_by_label("New value").fill("south")
    page.get_by_role("group", name="Gender").get_by_label("Clear this field").check()
    page.get_by_role("button", name="Save the corrections").click()
    page.wait_for_url(site.base + CENTER + "/data?done=corrected")
    facts = page.locator("#profile-heading + dl.facts")
    assert "south" in facts.inner_text()
    assert "female" not in facts.inner_text()


def test_alice_reports_a_recommendation_and_follows_her_concern(page: Any, site: Site) -> None:
    page.goto(site.center_link("alice"))
    page.get_by_role("link", name="Recommendations", exact=True).first.click()
    page.wait_for_url(site.base + CENTER + "/recommendations")
    first = page.locator("details.why").first
    first.locator("summary").click()
    title = page.locator("ol.recs h3").first.inner_text().strip()
    first.get_by_role("link", name="Report a concern about this").click()
    page.wait_for_url(re.compile(re.escape(site.base + CENTER) + r"/concerns/new\?decision_id="))
    about = page.locator("#about").inner_text()
    assert about.startswith(f"About: “{title}” shown on"), about
    checked(page)

    # "Something else" needs the person's words: the form comes back with the message.
    page.get_by_label("What is wrong?").select_option(label="Something else")
    page.get_by_role("button", name="Send my concern").click()
    page.locator("#text-error").wait_for()
    assert page.locator("#about").inner_text() == about
    checked(page)

    page.get_by_label("What is wrong?").select_option(label="It is not relevant to me")
    page.get_by_label(re.compile("In your own words")).fill("I never run.")
    page.get_by_role("button", name="Send my concern").click()
    page.wait_for_url(re.compile(re.escape(site.base + CENTER) + r"/concerns/[0-9a-f-]{36}\?"))
    complaint_id = page.url.split("/")[-1].split("?")[0]
    assert page.locator("#concern-status").inner_text() == "Received, waiting to be looked at"
    assert page.get_by_text("I never run.").is_visible()
    checked(page)

    # An officer answers; the person sees the answer on the list and on the concern.
    answer = "We will show you fewer running items."
    resolved = site.api.post(f"/v1/complaints/{complaint_id}/resolve", json={"resolution": answer})
    assert resolved.status_code == 200, resolved.text
    page.get_by_role("link", name="Concerns", exact=True).first.click()
    page.wait_for_url(site.base + CENTER + "/concerns")
    assert page.get_by_role("cell", name=answer).is_visible()
    checked(page)
    page.get_by_role("table").get_by_role("link").first.click()
    assert page.locator("#concern-status").inner_text() == "Answered"
    assert page.get_by_text(answer).is_visible()


def test_alice_keeps_a_receipt(page: Any, site: Site) -> None:
    page.goto(site.center_link("alice"))
    page.get_by_role("link", name="Receipts", exact=True).first.click()
    page.wait_for_url(site.base + CENTER + "/receipts")
    assert page.get_by_text("tactful receipts verify").is_visible()
    checked(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download the receipt of")).first.click()
    jws = Path(download.value.path()).read_text("utf-8")
    verified = site.api.post("/v1/receipts/verify", json={"jws": jws})
    assert verified.status_code == 200, verified.text
    assert verified.json()["claims"]["piiPrincipalId"] == "alice"


def test_alice_erases_everything_and_watches_it_finish(page: Any, site: Site) -> None:
    link = site.center_link("alice")
    page.goto(link)
    page.goto(site.base + CENTER + "/data")
    page.get_by_role("link", name="Erase everything…").click()
    page.wait_for_url(site.base + CENTER + "/erase")
    assert page.get_by_role("heading", name="What is kept, because the law asks us to").is_visible()
    checked(page)

    page.get_by_role("button", name="Erase everything").click()  # not ticked
    page.locator("#confirm-error").wait_for()
    checked(page)

    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Erase everything").click()
    page.wait_for_url(re.compile(re.escape(site.base + CENTER) + r"/requests/[0-9a-f-]{36}$"))
    status_url = page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Erasing everything"
    assert page.locator("ol.steps li").count() == 3
    # The status region keeps itself up to date in place (the page never reloads, which
    # axe would refuse, WCAG 2.2.1); the models are retrained in the background.
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    checked(page)
    state = page.locator("#request-state")
    state.filter(has_text="Done").wait_for(timeout=60_000)
    assert page.url == status_url
    assert page.locator("ol.steps .badge.ok").count() == 3
    checked(page)

    cookies = [c["name"] for c in page.context.cookies()]
    assert "tactful_center" not in cookies
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Please open this page again from your link"
    )
    page.goto(site.base + CENTER + "/data")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Please open this page again from your link"
    )
