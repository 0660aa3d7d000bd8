"""The Privacy Center's data pages over HTTP, on SQLite and PostgreSQL: what is held and its
downloads, removal from history, profile corrections, erasure and its status page,
receipts, and concerns. Each page must do what the matching `/v1/me` route does, refuse a
form without this session's CSRF token, and never reach another person's data."""

from __future__ import annotations

import ast
import inspect
import json
import re
from typing import Any

from fastapi.testclient import TestClient

from tactful.service import Tactful
from tactful.services import access, inventory
from tactful.services.rectification import history_page
from tactful.web import center_data
from tests import trained_shop
from tests.http_helpers import ok, subject_headers

# The trained shop on each backend, its clock, and an HTTP client on it.
clock = trained_shop.clock
service = trained_shop.service
client = trained_shop.client

CENTER = "/privacy-center"


# -- helpers -------------------------------------------------------------------------------
def _open_center(client: TestClient, service: Tactful, subject_id: str) -> str:
    """Open the person's Privacy Center as their link would; their token."""
    token = str(service.issue_token(subject_id)["token"])
    client.cookies.clear()
    opened = client.get(CENTER, params={"token": token}, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    assert client.cookies.get("tactful_center") == token
    return token


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def _page(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _event_ids(service: Tactful, subject_id: str) -> list[int]:
    return [e["event_id"] for e in history_page(service, subject_id, limit=200)["events"]]


def _decision(client: TestClient, subject_id: str) -> dict[str, Any]:
    me = subject_headers(client, subject_id)
    return ok(client.get("/v1/me/recommendations", params={"k": 3}, headers=me))


# -- what is held, and its downloads ---------------------------------------------------------
def test_the_data_page_shows_what_is_held_the_profile_the_history_and_the_requests(
    client: TestClient, service: Tactful
) -> None:
    _open_center(client, service, "alice")
    client.get(CENTER + "/export.json")  # an access request, to be listed
    html = _page(client, CENTER + "/data")
    assert "<h1>Your data</h1>" in html
    # The inventory: each kind, where it came from, why, until when, who may read it.
    assert "What you bought" in html
    assert "Sent by the shop&#39;s systems as you used the shop" in html
    assert "Recommendations from what you bought and rated" in html
    assert "The privacy officer, answering requests about your data" in html
    # The profile and where to correct it.
    assert "north" in html
    assert 'href="/privacy-center/data/profile"' in html
    # The history, newest first, each event a labelled checkbox.
    ids = _event_ids(service, "alice")
    positions = [html.index(f'id="event-{event_id}"') for event_id in ids]
    assert positions == sorted(positions)
    assert f'<label for="event-{ids[0]}">Bought: Running thing 2</label>' in html
    # The requests, each linking to its status.
    request_id = service.rights_requests(subject_id="alice")["requests"][0]["request_id"]
    assert f'href="/privacy-center/requests/{request_id}"' in html
    assert "A copy of your data" in html


def test_the_inventory_sentences_the_page_translates_are_those_the_service_writes() -> None:
    """A sentence reworded in `services.inventory` would silently stop being translated."""
    written = {
        node.value
        for node in ast.walk(ast.parse(inspect.getsource(inventory)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    } | set(access.SCOPE_TITLES.values())
    known = center_data._known_sentences(lambda message, **values: message)
    assert sorted(set(known) - written) == []


def test_the_data_pages_need_the_persons_link(client: TestClient) -> None:
    for path in ("/data", "/export.json", "/receipts", "/concerns", "/erase"):
        html = _page(client, CENTER + path, 401)
        assert "Please open this page again from your link" in html


def test_the_downloads_are_files_of_the_persons_own_data_as_the_api_gives_them(
    client: TestClient, service: Tactful
) -> None:
    _open_center(client, service, "alice")
    response = client.get(CENTER + "/export.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-disposition"].endswith('.json"')
    assert response.headers["cache-control"] == "no-store"
    export = json.loads(response.content)
    assert export["subject_id"] == "alice"
    api = ok(client.get("/v1/me/export", headers=subject_headers(client, "alice")))
    # The same document as the API's, made at another moment under another request id.
    for varying in ("request_id", "generated_at", "rights_requests", "access_log", "counts"):
        export.pop(varying)
        api.pop(varying)
    assert export == api

    page = client.get(CENTER + "/export.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-disposition"].startswith("attachment;")
    assert "Running thing 2" in page.text


def test_the_readable_download_speaks_the_language_of_the_pages(
    client: TestClient, service: Tactful
) -> None:
    _open_center(client, service, "alice")
    french = client.get(CENTER + "/export.html", params={"lang": "fr"})
    assert french.status_code == 200
    assert french.headers["content-language"] == "fr"
    assert '<html lang="fr">' in french.text
    assert "<h2>Ce qui a été déduit à votre sujet</h2>" in french.text
    assert "<th>Responsable du traitement</th>" in french.text
    # The French typography of the catalogue: a no-break space before the colon.
    assert "<strong>Choisi automatiquement\u00a0:</strong>" in french.text
    assert "What was inferred about you" not in french.text
    # The person's data is shown as stored, in any language.
    assert "Running thing 2" in french.text

    # Another reader's language does not stick to the page: English without a choice.
    client.cookies.delete("tactful_lang")
    english = client.get(CENTER + "/export.html", headers={"Accept-Language": "en"})
    assert english.headers["content-language"] == "en"
    assert '<html lang="en">' in english.text
    assert "<h2>What was inferred about you</h2>" in english.text


def test_the_apis_readable_export_follows_accept_language(client: TestClient) -> None:
    me = subject_headers(client, "alice")
    french = client.get("/v1/me/export.html", headers={**me, "Accept-Language": "fr-CA, en;q=0.5"})
    assert french.status_code == 200
    assert french.headers["content-language"] == "fr"
    assert "accept-language" in french.headers["vary"].lower()
    assert '<html lang="fr">' in french.text
    assert "<h1>Vos données détenues par " in french.text
    assert "<th>Identifiant de la personne</th>" in french.text
    # A language the pages do not speak: English.
    german = client.get("/v1/me/export.html", headers={**me, "Accept-Language": "de"})
    assert german.headers["content-language"] == "en"
    assert "<h1>Your data held by " in german.text


# -- removing from the history ---------------------------------------------------------------
def test_events_are_removed_from_the_history_only_with_this_sessions_csrf_token(
    client: TestClient, service: Tactful
) -> None:
    # Bob's page's token does not carry Alice's form.
    _open_center(client, service, "bob")
    bobs = _csrf(_page(client, CENTER + "/data/profile"))
    _open_center(client, service, "alice")
    csrf = _csrf(_page(client, CENTER + "/data"))
    before = _event_ids(service, "alice")
    chosen = before[:2]

    forged = client.post(
        CENTER + "/data/remove", data={"csrf": "forged", "event_ids": [str(i) for i in chosen]}
    )
    assert forged.status_code == 403
    missing = client.post(CENTER + "/data/remove", data={"event_ids": [str(i) for i in chosen]})
    assert missing.status_code == 403
    crossed = client.post(
        CENTER + "/data/remove", data={"csrf": bobs, "event_ids": [str(i) for i in chosen]}
    )
    assert crossed.status_code == 403
    assert _event_ids(service, "alice") == before

    nothing = client.post(CENTER + "/data/remove", data={"csrf": csrf})
    assert nothing.status_code == 422
    assert "Tick at least one event to remove; nothing was removed." in nothing.text
    assert 'aria-describedby="remove-error"' in nothing.text
    assert _event_ids(service, "alice") == before

    done = client.post(
        CENTER + "/data/remove",
        data={"csrf": csrf, "event_ids": [str(i) for i in chosen]},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == CENTER + "/data?done=removed"
    assert _event_ids(service, "alice") == before[2:]
    after = _page(client, done.headers["location"])
    assert "Removed from your history." in after
    assert f'id="event-{chosen[0]}"' not in after


def test_another_persons_event_removes_nothing(client: TestClient, service: Tactful) -> None:
    others = _event_ids(service, "carol")
    _open_center(client, service, "alice")
    csrf = _csrf(_page(client, CENTER + "/data"))
    mine = _event_ids(service, "alice")
    response = client.post(
        CENTER + "/data/remove", data={"csrf": csrf, "event_ids": [str(mine[0]), str(others[0])]}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert _event_ids(service, "alice") == mine
    assert _event_ids(service, "carol") == others


# -- correcting the profile -----------------------------------------------------------------
def test_the_profile_is_corrected_field_by_field_and_bad_input_stores_nothing(
    client: TestClient, service: Tactful
) -> None:
    _open_center(client, service, "alice")
    form = _page(client, CENTER + "/data/profile")
    csrf = _csrf(form)
    assert '<label for="region">New value</label>' in form

    def profile() -> dict[str, Any]:
        return ok(client.get("/v1/me/profile", headers=subject_headers(client, "alice")))

    before = profile()
    both = client.post(
        CENTER + "/data/profile", data={"csrf": csrf, "region": "south", "clear": ["region"]}
    )
    assert both.status_code == 422
    assert "Type a new value or tick “clear”, not both." in both.text
    nothing = client.post(CENTER + "/data/profile", data={"csrf": csrf})
    assert nothing.status_code == 422
    bad = client.post(
        CENTER + "/data/profile", data={"csrf": csrf, "email": "not an address", "region": "x"}
    )
    assert bad.status_code == 422
    assert "Enter an email address such as name@example.com." in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert profile() == before

    done = client.post(
        CENTER + "/data/profile",
        data={"csrf": csrf, "region": "south", "email": "alice@example.com", "clear": ["gender"]},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = profile()
    assert after["attributes"]["region"] == "south"
    assert after["attributes"]["gender"] is None
    assert after["attributes"]["age_band"] == "25-34"  # left empty: kept
    assert after["identity"]["email"] == "alice@example.com"
    assert "Your profile was corrected." in _page(client, done.headers["location"])


# -- erasure --------------------------------------------------------------------------------
def test_erasure_without_the_tick_is_refused_and_nothing_is_requested(
    client: TestClient, service: Tactful
) -> None:
    _open_center(client, service, "alice")
    page = _page(client, CENTER + "/erase")
    assert "What is kept, because the law asks us to" in page
    refused = client.post(CENTER + "/erase", data={"csrf": _csrf(page)})
    assert refused.status_code == 422
    assert "Tick “I understand this cannot be undone” to erase; nothing was erased." in refused.text
    assert 'aria-describedby="confirm-error"' in refused.text
    kinds = [r["kind"] for r in service.rights_requests(subject_id="alice")["requests"]]
    assert "erasure" not in kinds
    assert _page(client, CENTER + "/data")  # the person and their session are still there


def test_erasure_clears_the_session_and_its_status_page_follows_it_to_done(
    client: TestClient, service: Tactful
) -> None:
    token = _open_center(client, service, "alice")
    session = next(c for c in client.cookies.jar if c.name == "tactful_center")
    csrf = _csrf(_page(client, CENTER + "/erase"))
    response = client.post(
        CENTER + "/erase", data={"csrf": csrf, "confirm": "yes"}, follow_redirects=False
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(CENTER + r"/requests/[0-9a-f-]{36}", location)
    cleared = response.headers["set-cookie"]
    assert cleared.startswith(('tactful_center="";', "tactful_center=;"))
    assert "Max-Age=0" in cleared
    assert "Path=/privacy-center" in cleared
    assert "tactful_center" not in client.cookies

    # Reachable by its id alone; the rows are gone, the models not yet retrained.
    pending_response = client.get(location)
    pending = pending_response.text
    assert '<script src="/static/live-status.js" defer></script>' in pending
    assert "data-live-status" in pending
    assert "data-finished" not in pending
    assert 'http-equiv="refresh"' not in pending
    assert f'href="{location}">Check again</a>' in pending
    # Only the service's own script, and its fetch of the page, are allowed on this page.
    policy = pending_response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "Your data and the key to your personal details were erased" in pending
    assert "under way" in pending
    assert "alice" not in pending

    service.process_erasures()
    finished_response = client.get(location)
    finished = finished_response.text
    assert "live-status.js" not in finished
    assert "data-finished" in finished
    assert "script-src" not in finished_response.headers["content-security-policy"]
    assert "Done: completed on" in finished
    assert finished.count('class="badge ok">done<') == 3

    # The old link no longer opens the center.
    reopened = client.get(CENTER, params={"token": token})
    assert reopened.status_code == 401
    client.cookies.jar.set_cookie(session)  # kept by a browser that ignored the clearing
    assert "Your Privacy Center link has expired" in _page(client, CENTER + "/data", 401)


def test_a_status_page_of_no_request_is_not_found(client: TestClient) -> None:
    html = _page(client, CENTER + "/requests/00000000-0000-4000-8000-000000000000", 404)
    assert "Not found" in html


# -- receipts -------------------------------------------------------------------------------
def test_receipts_are_readable_and_download_as_the_bare_jws(
    client: TestClient, service: Tactful
) -> None:
    _open_center(client, service, "alice")
    receipt = service.receipts("alice")[0]
    html = _page(client, CENTER + "/receipts")
    assert "Recommendations from what you bought and rated" in html
    assert ">Granted<" in html
    assert "<dd>Sent by the shop's systems</dd>" in html  # method api, in words
    assert receipt["notice_version"] in html
    assert "tactful receipts verify" in html
    assert 'href="/.well-known/jwks.json"' in html
    download = client.get(CENTER + f"/receipts/{receipt['receipt_id']}.jws")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/jose")
    assert download.headers["content-disposition"] == (
        f'attachment; filename="receipt-{receipt["receipt_id"]}.jws"'
    )
    assert download.text == receipt["jws"]
    verified = client.post("/v1/receipts/verify", json={"jws": download.text})
    assert ok(verified)["claims"]["piiPrincipalId"] == "alice"


# -- concerns -------------------------------------------------------------------------------
def test_a_concern_about_a_recommendation_is_filed_listed_and_followed(
    client: TestClient, service: Tactful
) -> None:
    decision = _decision(client, "alice")
    item = decision["items"][0]
    _open_center(client, service, "alice")
    form = _page(
        client,
        CENTER + "/concerns/new",
    )
    assert 'name="message_ref"' in form  # no decision given: choose one, or a message
    query = f"?decision_id={decision['decision_id']}&item_id={item['item_id']}"
    form = _page(client, CENTER + "/concerns/new" + query)
    assert f"About: “{item['title']}” shown on" in form
    assert f'name="decision_id" value="{decision["decision_id"]}"' in form
    for reason in ("intrusive", "irrelevant", "offensive", "manipulative", "other"):
        assert f'<option value="{reason}"' in form

    response = client.post(
        CENTER + "/concerns",
        data={
            "csrf": _csrf(form),
            "decision_id": decision["decision_id"],
            "item_id": item["item_id"],
            "reason": "irrelevant",
            "text": "I never run.",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    complaint_id = re.fullmatch(CENTER + r"/concerns/([0-9a-f-]{36})\?done=filed", location)
    assert complaint_id
    page = _page(client, location)
    assert "Your concern was received." in page
    assert "Received, waiting to be looked at" in page
    assert f"“{item['title']}”, shown to you on" in page
    assert "I never run." in page

    listed = _page(client, CENTER + "/concerns")
    assert f'href="/privacy-center/concerns/{complaint_id.group(1)}"' in listed
    assert "It is not relevant to me" in listed
    # Answered by an officer: the answer shows on both pages.
    service.complaints.resolve(complaint_id.group(1), "We stopped showing running gear.")
    assert "We stopped showing running gear." in _page(client, CENTER + "/concerns")
    assert "Answered" in _page(client, location)


def test_a_bad_concern_is_shown_again_with_its_message_and_nothing_is_stored(
    client: TestClient, service: Tactful
) -> None:
    decision = _decision(client, "alice")
    _open_center(client, service, "alice")
    form = _page(client, CENTER + "/concerns/new")
    assert f'<option value="{decision["decision_id"]}"' in form  # recent ones to choose from
    csrf = _csrf(form)
    bogus = client.post(
        CENTER + "/concerns",
        data={"csrf": csrf, "decision_id": decision["decision_id"], "reason": "bogus"},
    )
    assert bogus.status_code == 422
    assert "Choose one of the reasons in the list." in bogus.text
    assert 'aria-describedby="reason-error"' in bogus.text
    other = client.post(
        CENTER + "/concerns",
        data={"csrf": csrf, "decision_id": decision["decision_id"], "reason": "other"},
    )
    assert other.status_code == 422
    assert "it is needed for “Other”" in other.text
    about_nothing = client.post(CENTER + "/concerns", data={"csrf": csrf, "reason": "offensive"})
    assert about_nothing.status_code == 422
    assert "Choose the recommendations you are reporting, or give a message." in about_nothing.text
    forged = client.post(
        CENTER + "/concerns",
        data={"csrf": "forged", "decision_id": decision["decision_id"], "reason": "offensive"},
    )
    assert forged.status_code == 403
    assert service.complaints.of_subject("alice") == []


def test_a_person_cannot_open_another_persons_concern_receipt_or_decision(
    client: TestClient, service: Tactful
) -> None:
    decision = _decision(client, "alice")
    alices = service.complaints.file(
        "alice", reason="intrusive", decision_id=decision["decision_id"]
    )["complaint"]["complaint_id"]
    receipt_id = service.receipts("alice")[0]["receipt_id"]
    _open_center(client, service, "erin")
    for path in (
        f"/concerns/{alices}",
        f"/receipts/{receipt_id}.jws",
        f"/concerns/new?decision_id={decision['decision_id']}",
        "/concerns/not-a-uuid",
    ):
        html = _page(client, CENTER + path, 404)
        assert "Not found" in html
        assert "intrusive" not in html
    _open_center(client, service, "alice")
    assert _page(client, CENTER + f"/concerns/{alices}")
