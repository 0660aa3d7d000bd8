"""The Privacy Center's data page: what is held about the person and why, their recent
history (from which they may remove events), their rights requests, and the downloads of it
all.

Each page calls the same service functions as the consumer API (`/v1/me/...`), bound to the
person of the session cookie, so a page can reach no one else's data. Forms post back here
with the session's CSRF token, and a change answers with a redirect to the page that shows
it. The profile, erasure, receipts and concerns have their own modules (`center_profile`,
`center_erasure`, `center_receipts`, `center_concerns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.encoders import jsonable_encoder
from starlette.responses import HTMLResponse, JSONResponse, Response

from tactful.services.export import export_subject, render_export_html
from tactful.services.rectification import get_profile, history_page, remove_events
from tactful.web.center_common import (
    Text,
    Who,
    done_notices,
    pages_of,
    purpose_titles,
    see,
    service_of,
    translator_of,
)
from tactful.web.center_session import Person, center_context, check_form
from tactful.web.i18n import translations
from tactful.web.sessions import CENTER_PATH
from tactful.web.texts import Translate

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

HISTORY_PAGE = 25


# -- what is held ---------------------------------------------------------------------------
def _data_page(
    request: Request,
    who: Person,
    *,
    before: str | None = None,
    notices: list[str] | None = None,
    remove_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    service = service_of(request)
    t = translator_of(request)
    inventory = service.inventory(who.subject_id)
    history = history_page(service, who.subject_id, limit=HISTORY_PAGE, before=before)
    requests = service.rights_requests(subject_id=who.subject_id, limit=200)["requests"]
    context = {
        "inventory": [_inventory_entry(entry, t) for entry in inventory["data"]],
        "profile": get_profile(service, who.subject_id),
        "events": history["events"],
        "next_before": history["next_before"],
        "before": before or "",
        "requests": requests,
        "titles": purpose_titles(service),
        "remove_error": remove_error,
        **center_context(who, notices),
    }
    return pages_of(request).render(
        request, "center/data.html", context, status=status, session=who.session
    )


@router.get("/data")
def data(
    request: Request,
    who: Who,
    before: Annotated[str | None, Query(max_length=200)] = None,
    done: str | None = None,
) -> HTMLResponse:
    t = translator_of(request)
    notices = done_notices(
        done,
        {
            "removed": t("Removed from your history. Your next recommendations no longer use it."),
            "corrected": t("Your profile was corrected. Your next recommendations use it."),
        },
    )
    return _data_page(request, who, before=before, notices=notices)


@router.post("/data/remove")
def remove_from_history(
    request: Request,
    who: Who,
    csrf: Text = "",
    event_ids: Annotated[list[str] | None, Form()] = None,
    before: Text = "",
) -> Response:
    check_form(request, who, csrf)
    t = translator_of(request)
    chosen = [value for value in event_ids or [] if value.strip()]
    if not chosen or not all(value.strip().isdigit() for value in chosen):
        message = t("Tick at least one event to remove; nothing was removed.")
        return _data_page(request, who, before=before or None, remove_error=message, status=422)
    # All or none: an id that is not one of this person's events removes nothing (404).
    remove_events(service_of(request), who.subject_id, [int(v) for v in chosen], via="consumer")
    return see(f"{CENTER_PATH}/data?done=removed")


def _inventory_entry(entry: Mapping[str, Any], t: Translate) -> dict[str, Any]:
    """An inventory entry with its sentences in the reader's language where they are known
    (the stored English otherwise), and when it is kept until, in one phrase."""
    known = _known_sentences(t)
    until = entry.get("retention")
    return {
        **entry,
        "what": known.get(entry["description"], entry["description"]),
        "source_text": known.get(entry["source"], entry["source"]),
        "purpose_titles": [known.get(p["title"], p["title"]) for p in entry["purposes"]],
        "until_text": known.get(until, until) if until else None,
        "readers": [known.get(r["title"], r["title"]) for r in entry["readable_by"]],
    }


def _known_sentences(t: Translate) -> dict[str, str]:
    """The inventory's fixed English sentences (`services.inventory`), translated."""
    return {
        "What you bought": t("What you bought"),
        "How you rated items": t("How you rated items"),
        "What you viewed, clicked and put in your cart": t(
            "What you viewed, clicked and put in your cart"
        ),
        "What you searched for": t("What you searched for"),
        "Your choices, their receipts, and the signals behind them": t(
            "Your choices, their receipts, and the signals behind them"
        ),
        "What you were shown, and why": t("What you were shown, and why"),
        "Sent by the shop's systems as you used the shop (events API or import)": t(
            "Sent by the shop's systems as you used the shop"
        ),
        "The shop's customer records (subjects API or import)": t("The shop's customer records"),
        "Made by Tactful each time recommendations were shown to you": t(
            "Made by Tactful each time recommendations were shown to you"
        ),
        "Until your account is erased": t("Until your account is erased"),
        "Kept as evidence until your account is erased": t(
            "Kept as evidence until your account is erased"
        ),
        "Your own choices, your browser's Global Privacy Control signal, or your consent "
        "banner (IAB TCF)": t(
            "Your own choices, your browser's Global Privacy Control signal, or your consent banner"
        ),
        "Each time a marketing message to you was considered: sent or held, and why (never "
        "its text)": t(
            "Each time a marketing message to you was considered: sent or held, and why (never "
            "its text)"
        ),
        "Made by Tactful each time the shop asked whether to message you; opens and clicks "
        "as the shop's sender reported them": t(
            "Made by Tactful each time the shop asked whether to message you; opens and clicks "
            "as the shop's sender reported them"
        ),
        "What you asked for: items and categories you want less of, fewer messages, "
        "self-exclusions, and whether you told us you are vulnerable": t(
            "What you asked for: items and categories you want less of, fewer messages, "
            "self-exclusions, and whether you told us you are vulnerable"
        ),
        "You, in the privacy center (or a privacy officer at your request)": t(
            "You, in the Privacy Center (or a privacy officer at your request)"
        ),
        "Never profiling minors, and checking that no group of people is treated unfairly": t(
            "Never profiling minors, and checking that no group of people is treated unfairly"
        ),
        "Proving what you agreed to (GDPR Art. 7(1))": t(
            "Proving what you agreed to (GDPR Art. 7(1))"
        ),
        "Answering \u201cwhy am I seeing this?\u201d and auditing recommendations": t(
            "Answering “why am I seeing this?” and auditing recommendations"
        ),
        "Keeping to your choices, your limits and the frequency caps, and showing why a "
        "message was or was not sent": t(
            "Keeping to your choices, your limits and the frequency caps, and showing why a "
            "message was or was not sent"
        ),
        "Honouring what you asked for in every recommendation and message": t(
            "Honouring what you asked for in every recommendation and message"
        ),
        "The shop's systems that send your activity and relay your choices": t(
            "The shop's systems that send your activity and relay your choices"
        ),
        "The shop's systems that ask which items to show you": t(
            "The shop's systems that ask which items to show you"
        ),
        "Analysts, who see only counts across many people, never you alone": t(
            "Analysts, who see only counts across many people, never you alone"
        ),
        "The privacy officer, answering requests about your data": t(
            "The privacy officer, answering requests about your data"
        ),
        "The administrators of the recommendation service": t(
            "The administrators of the recommendation service"
        ),
    }


# -- downloads ------------------------------------------------------------------------------
def _attachment(export: Mapping[str, Any], suffix: str) -> dict[str, str]:
    """A download's headers: a file named by the day it was made, never kept in a cache."""
    day = datetime.fromisoformat(export["generated_at"]).astimezone(UTC).strftime("%Y%m%d")
    return {
        "Content-Disposition": f'attachment; filename="tactful-export-{day}.{suffix}"',
        "Cache-Control": "no-store",
    }


@router.get("/export.json")
def export_json(request: Request, who: Who) -> Response:
    """The same JSON as `GET /v1/me/export`, as a file to save."""
    export = export_subject(service_of(request), who.subject_id, format="json", via="consumer")
    return JSONResponse(
        jsonable_encoder(export),
        headers=_attachment(export, "json"),
    )


@router.get("/export.html")
def export_html(request: Request, who: Who) -> Response:
    """The same readable page as `GET /v1/me/export.html`, as a file to save, in the
    language of the pages the person is reading."""
    export = export_subject(service_of(request), who.subject_id, format="html", via="consumer")
    locale = pages_of(request).locale(request)
    return HTMLResponse(
        render_export_html(export, translations(locale), lang=locale),
        headers={**_attachment(export, "html"), "Content-Language": locale},
    )
