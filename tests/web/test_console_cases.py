"""The Console's case work over HTTP (SQLite and PostgreSQL): the rights request register, the
complaint queue and its handling, and fairness audits with their plots and alerts; each
page behind its scope, each form behind its CSRF token, each read of a person's words in
the audit log."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.storage import tables as t
from tactful.web.i18n import CATALOGUES, DOMAIN, gettext_for
from tactful.web.render import Pages
from tactful.web.sessions import CONSOLE_COOKIE, CONSOLE_PATH
from tests.clock import Clock
from tests.fairness_runs.support import TIGHT, traffic, with_policy
from tests.http_helpers import ok, subject_headers

pytest_plugins = ["tests.trained_shop"]

WORDS = "These running shoes keep following me around.\nPlease stop."


def console(client: TestClient, service: Tactful, *scopes: str) -> tuple[TestClient, str]:
    """A browser of its own, signed in to the Console with a new key holding `scopes`, and
    how the audit log names that key."""
    text, _ = service.keys.create(f"{'+'.join(scopes)} desk", list(scopes))
    principal = service.keys.authenticate(text)
    pages: Pages = client.app.state.pages  # type: ignore[attr-defined]
    browser = TestClient(client.app, raise_server_exceptions=False)
    cookie = pages.signer.console_cookie(principal.key_id, service.keys.fingerprint(principal))
    browser.cookies.set(CONSOLE_COOKIE, cookie, path=CONSOLE_PATH)
    return browser, principal.actor


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no form"
    return found.group(1)


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    return str(response.text)


def file_complaint(client: TestClient, subject_id: str, text: str = WORDS) -> str:
    """A person reports one item of a list they were shown; the complaint's id."""
    person = subject_headers(client, subject_id)
    shown = ok(client.get("/v1/me/recommendations", headers=person))
    body = {
        "reason": "intrusive",
        "text": text,
        "decision_id": shown["decision_id"],
        "item_id": shown["items"][0]["item_id"],
    }
    made = ok(client.post("/v1/me/complaints", json=body, headers=person), 201)
    return str(made["complaint"]["complaint_id"])


def drawn_texts(page: str) -> set[str]:
    """Every text drawn in the page's plots (one `<text>` per line of a label)."""
    found: set[str] = set()
    for drawing in re.findall(r"<svg\b.*?</svg>", page, re.DOTALL):
        found |= {unescape(x) for x in re.findall(r"<text\b[^>]*>([^<]*)</text>", drawing)}
    return found


def text_alternatives(page: str) -> list[str]:
    return [unescape(x) for x in re.findall(r'<svg\b[^>]*aria-label="([^"]*)"', page)]


def plot_messages_in_french() -> list[tuple[str, str]]:
    """The plots' messages (`reports/plots.py`) that French writes differently, line by line."""
    with (CATALOGUES / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        catalogue = read_po(source, locale="fr", domain=DOMAIN)
    pairs = []
    for message in catalogue:
        if message.id and any(where == "reports/plots.py" for where, _ in message.locations):
            for english, french in zip(
                str(message.id).split("\n"), str(message.string).split("\n"), strict=True
            ):
                if english != french:
                    pairs.append((english, french))
    return pairs


def as_pattern(message: str) -> re.Pattern[str]:
    """A message id as a pattern matching it with any placeholder filled in."""
    parts = re.split(r"%\(\w+\)s", message.replace("%%", "%"))
    return re.compile(".*".join(re.escape(part) for part in parts))


def reads(service: Tactful) -> list[tuple[str, str | None, dict[str, Any]]]:
    log = t.audit_log.c
    with service.store.reading() as conn:
        rows = conn.execute(
            select(log.actor, log.subject_ref, log.detail)
            .where(log.action == "personal_data.read")
            .order_by(log.seq)
        )
        return [(r.actor, r.subject_ref, dict(r.detail)) for r in rows]


def test_each_page_is_behind_its_scope(client: TestClient, service: Tactful) -> None:
    analyst, _ = console(client, service, "analyst")
    officer, _ = console(client, service, "privacy-officer")
    for path in ("/console/audits",):
        html(analyst.get(path))
        assert "This is not allowed" in html(officer.get(path), 403)
    for path in ("/console/complaints", "/console/requests"):
        html(officer.get(path))
        refused = html(analyst.get(path), 403)
        assert "This is not allowed" in refused
        assert "privacy-officer" in refused
    # The navigation offers each key only what it may open.
    assert 'href="/console/complaints"' not in html(analyst.get("/console/audits"))
    # No session: sign in first.
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    gone = anonymous.get("/console/complaints", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/console/login")


def test_the_queue_shows_no_words_and_each_opening_is_one_audited_read(
    client: TestClient, service: Tactful
) -> None:
    complaint_id = file_complaint(client, "alice")
    officer, officer_key = console(client, service, "privacy-officer")
    before = len(reads(service))

    queue = html(officer.get("/console/complaints"))
    assert f"/console/complaints/{complaint_id}" in queue
    assert "running shoes" not in queue
    assert "alice" not in queue
    assert len(reads(service)) == before  # the queue names no one

    page = html(officer.get(f"/console/complaints/{complaint_id}"))
    assert "These running shoes keep following me around." in page
    assert "alice" in page
    logged = reads(service)[before:]
    assert logged == [
        (
            officer_key,
            service.cipher.fingerprint("alice"),
            {"what": "complaint", "via": "console"},
        )
    ]
    # The filters narrow the queue: nobody owns it yet, and it is open.
    assert complaint_id in html(officer.get("/console/complaints", params={"status": "open"}))
    assert complaint_id not in html(
        officer.get("/console/complaints", params={"status": "resolved"})
    )
    assert complaint_id not in html(officer.get("/console/complaints", params={"owner": "Zoe"}))
    assert complaint_id not in html(officer.get("/console/complaints", params={"overdue": "true"}))
    html(officer.get("/console/complaints", params={"status": "lost"}), 422)


def test_handling_a_complaint_takes_the_forms_token(
    client: TestClient, service: Tactful, clock: Clock
) -> None:
    complaint_id = file_complaint(client, "alice")
    officer, _ = console(client, service, "privacy-officer")
    page = f"/console/complaints/{complaint_id}"
    token = csrf_of(html(officer.get(page)))

    def status() -> tuple[str, str | None, str | None]:
        found = service.complaints.get(complaint_id)
        return found["status"], found["owner"], found["resolution"]

    for action, field in (("assign", "owner"), ("resolve", "resolution"), ("reject", "reason")):
        url = f"{page}/{action}"
        html(officer.post(url, data={field: "Zoe"}), 403)
        html(officer.post(url, data={"csrf": "forged", field: "Zoe"}), 403)
        stranger = officer.post(
            url,
            data={"csrf": token, field: "Zoe"},
            headers={"Origin": "https://elsewhere.example"},
            follow_redirects=False,
        )
        assert stranger.status_code == 303  # asked to sign in again
        assert status() == ("open", None, None)

    assigned = officer.post(f"{page}/assign", data={"csrf": token, "owner": " Zoe "})
    assert "The complaint is assigned and in review." in html(assigned)
    assert status() == ("in_review", "Zoe", None)

    for blank in ("", "   \n  "):
        again = html(
            officer.post(f"{page}/resolve", data={"csrf": token, "resolution": blank}), 422
        )
        assert 'aria-describedby="resolution-hint resolution-error"' in again
        assert 'id="resolution-error"' in again
    assert status() == ("in_review", "Zoe", None)
    long = "x" * 2001
    kept = html(officer.post(f"{page}/resolve", data={"csrf": token, "resolution": long}), 422)
    assert long in kept  # the officer's text is given back to correct
    assert status() == ("in_review", "Zoe", None)

    answer = "We stopped showing you running shoes and checked why they came back."
    done = officer.post(
        f"{page}/resolve", data={"csrf": token, "resolution": answer}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, f"{page}?done=resolved")
    assert answer in html(officer.get(done.headers["location"]))
    assert status() == ("resolved", "Zoe", answer)
    # What the person reads.
    person = subject_headers(client, "alice")
    theirs = ok(client.get("/v1/me/complaints", headers=person))["complaints"]
    assert [(c["status"], c["resolution"]) for c in theirs] == [("resolved", answer)]

    # Closed: another answer is refused, and the page offers no form.
    refused = html(officer.post(f"{page}/reject", data={"csrf": token, "reason": "No."}), 409)
    assert "already resolved" in refused
    assert "/reject" not in html(officer.get(page))

    other = file_complaint(client, "carol", "I never asked for this.")
    rejected = officer.post(
        f"/console/complaints/{other}/reject",
        data={"csrf": token, "reason": "The item matches what you bought."},
    )
    assert "The complaint is rejected" in html(rejected)
    assert service.complaints.get(other)["status"] == "rejected"
    html(
        officer.post(f"/console/complaints/{other}/reject", data={"csrf": token, "reason": ""}), 422
    )


def test_the_register_of_rights_requests(
    client: TestClient, service: Tactful, clock: Clock
) -> None:
    officer, _ = console(client, service, "privacy-officer")
    ok(client.get("/v1/me/export", headers=subject_headers(client, "alice")))
    erasure = service.request_erasure("bob")  # rows erased; models wait for the worker
    clock.advance(days=31)

    register = html(officer.get("/console/requests"))
    assert "Erasure" in register
    assert "Access (a copy of the data)" in register
    assert "alice" not in register
    assert "bob" not in register
    assert register.count('class="badge danger">Overdue') == 1

    only = html(officer.get("/console/requests", params={"kind": "access"}))
    assert re.findall(r'href="/console/requests/([0-9a-f-]{36})"', only) != []
    assert erasure["request_id"] not in only
    late = html(officer.get("/console/requests", params={"overdue": "true"}))
    assert re.findall(r'href="/console/requests/([0-9a-f-]{36})"', late) == [erasure["request_id"]]
    html(officer.get("/console/requests", params={"status": "lost"}), 422)

    one = html(officer.get(f"/console/requests/{erasure['request_id']}"))
    assert "Data erased, models waiting" in one
    assert "Rows deleted, per table" in one
    assert "bob" not in one
    html(officer.get("/console/requests/not-an-id"), 422)
    html(officer.get("/console/requests/00000000-0000-4000-8000-000000000000"), 404)


def test_running_an_audit_shows_its_plots(
    client: TestClient, service: Tactful, clock: Clock
) -> None:
    traffic(service, clock)
    analyst, analyst_key = console(client, service, "analyst")
    token = csrf_of(html(analyst.get("/console/audits")))
    ran = analyst.post(
        "/console/audits", data={"csrf": token, "window_days": "7"}, follow_redirects=False
    )
    assert ran.status_code == 303
    location = ran.headers["location"]
    audit_id = re.fullmatch(r"/console/audits/([0-9a-f-]{36})\?done=ran", location)
    assert audit_id is not None
    run = service.fairness.get(audit_id.group(1))
    assert run.triggered_by == analyst_key
    assert run.result["counts"]["lists"] == 22

    page = html(analyst.get(location))
    assert "The audit has run" in page
    drawings = re.findall(r"<svg\b[^>]*>", page)
    assert drawings, "no plot on the audit page"
    assert all('role="img"' in d and 'aria-label="' in d for d in drawings)
    assert " style=" not in page
    report = analyst.get(f"/console/audits/{run.audit_id}/report")
    assert report.status_code == 200
    assert run.audit_id in report.text
    assert "<svg" in report.text
    assert f"/console/audits/{run.audit_id}" in html(analyst.get("/console/audits"))

    # The plots speak the page's language; each language is drawn and kept apart.
    english = html(analyst.get(f"/console/audits/{run.audit_id}", params={"lang": "en"}))
    french = html(analyst.get(f"/console/audits/{run.audit_id}", params={"lang": "fr"}))
    fr = gettext_for("fr")
    axis = "Items, least exposed first (cumulative %)"
    assert axis in drawn_texts(english)
    assert fr(axis) in drawn_texts(french)
    assert fr(axis) != axis
    drawn_in_french = drawn_texts(french)
    for message, _ in plot_messages_in_french():
        pattern = as_pattern(message)
        left = [text for text in drawn_in_french if pattern.fullmatch(text)]
        assert not left, f"English in a French plot: {left}"
    again = html(analyst.get(f"/console/audits/{run.audit_id}", params={"lang": "en"}))
    assert drawn_texts(again) == drawn_texts(english)
    # Their text alternatives send the reader to the full report, which has the tables.
    for page, report_words in ((english, "full report"), (french, "rapport complet")):
        alternatives = text_alternatives(page)
        assert alternatives
        assert any(report_words in alt for alt in alternatives)
        assert not any("table below" in alt or "see the table" in alt for alt in alternatives)
    assert not any("ci-dessous" in alt for alt in text_alternatives(french))
    assert any(alt.startswith("Courbe de Lorenz") for alt in text_alternatives(french))

    for bad in ("0", "366", "seven", "", "7.5", "-3"):
        refused = html(
            analyst.post("/console/audits", data={"csrf": token, "window_days": bad}), 422
        )
        assert 'id="window-error"' in refused
    html(analyst.post("/console/audits", data={"window_days": "7"}), 403)
    assert len(service.fairness.page(100)[0]) == 1
    html(analyst.get("/console/audits/not-an-id"), 422)
    html(analyst.get("/console/audits/00000000-0000-4000-8000-000000000000"), 404)


def test_acknowledging_an_alert_clears_it_from_the_list(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    traffic(service, clock)
    tight = with_policy(service, tmp_path, TIGHT, clock)
    try:
        client = TestClient(create_app(tight.settings, tight), raise_server_exceptions=False)
        analyst, _ = console(client, tight, "analyst")
        officer, officer_key = console(client, tight, "analyst", "privacy-officer")
        token = csrf_of(html(analyst.get("/console/audits")))
        ran = analyst.post("/console/audits", data={"csrf": token, "window_days": "30"})
        page = html(ran)
        assert "Alert: 1 check crossed" in page
        assert "Acknowledge the alert" not in page  # an analyst measures; an officer signs off
        crossed = page.index('<div class="alert">')
        assert page.index("of the catalog was recommended at least once") > crossed
        assert page.index("checks within their thresholds") > crossed
        audit_id = tight.fairness.alerts()[0].audit_id
        assert "Alert: 1 check crossed" in html(analyst.get("/console/audits"))
        ack = f"/console/audits/{audit_id}/acknowledge"
        html(analyst.post(ack, data={"csrf": token}), 403)

        mine = csrf_of(html(officer.get(f"/console/audits/{audit_id}")))
        html(officer.post(ack, data={"csrf": mine, "note": "n" * 1001}), 422)
        assert len(tight.fairness.alerts()) == 1
        done = officer.post(ack, data={"csrf": mine, "note": "A new catalog."})
        assert "The alert is acknowledged" in html(done)
        assert tight.fairness.alerts() == []
        listed = html(analyst.get("/console/audits"))
        assert "Alert: 1 check crossed" not in listed
        assert f"by {officer_key}" in listed
        assert "already" in html(officer.post(ack, data={"csrf": mine}), 409)
    finally:
        tight.close()


def test_pages_speak_the_readers_language(client: TestClient, service: Tactful) -> None:
    officer, _ = console(client, service, "privacy-officer")
    page = html(officer.get("/console/complaints", params={"lang": "fr"}))
    assert '<html lang="fr">' in page
