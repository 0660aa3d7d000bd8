"""The Privacy Center's data pages: what is held, its download, removal from history,
erasure and its status, receipts, and concerns.

Each page calls the same service functions as the consumer API (`/v1/me/...`), bound to the
person of the session cookie, so a page can reach no one else's data: another person's
receipt or complaint is answered like a missing one (404). Forms post back here with the
session's CSRF token, and a change answers with a redirect to the page that shows it.

The status page of a rights request needs no session: an erased person's link no longer
opens the center, and the request id alone (random, naming no one) is what they keep, as
with the public `GET /v1/rights-requests/{id}/status`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.encoders import jsonable_encoder
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tactful.domain.complaints import MAX_MESSAGE_REF, MAX_TEXT, Reason
from tactful.domain.subjects import AgeBand
from tactful.errors import InvalidInput, NotFound
from tactful.service import Tactful
from tactful.services.export import export_subject, render_export_html
from tactful.services.rectification import (
    ATTRIBUTE_FIELDS,
    IDENTITY_FIELDS,
    correct_profile,
    get_profile,
    history_page,
    remove_events,
)
from tactful.web.center_session import Person, center_context, check_form, person
from tactful.web.render import Pages
from tactful.web.sessions import CENTER_COOKIE, CENTER_PATH

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

Who = Annotated[Person, Depends(person)]
Csrf = Annotated[str, Form()]
Text = Annotated[str, Form()]
HISTORY_PAGE = 25
RECENT_DECISIONS = 10
PROFILE_FIELDS = (*ATTRIBUTE_FIELDS, *IDENTITY_FIELDS)
Translate = Callable[..., str]


def _service(request: Request) -> Tactful:
    service: Tactful = request.app.state.tactful
    return service


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _notices(done: str | None, known: Mapping[str, str]) -> list[str]:
    """The notice a redirect asked for by its code; an unknown code shows nothing."""
    return [known[done]] if done is not None and done in known else []


def _purpose_titles(service: Tactful) -> dict[str, str]:
    """Purpose codes to the titles the notice gives them (operator content, as stored)."""
    return {code: purpose.title for code, purpose in service.purposes.by_code.items()}


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
    service = _service(request)
    t = _pages(request).translator(request)
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
        "titles": _purpose_titles(service),
        "remove_error": remove_error,
        **center_context(who, notices),
    }
    return _pages(request).render(
        request, "center/data.html", context, status=status, session=who.session
    )


@router.get("/data")
def data(
    request: Request,
    who: Who,
    before: Annotated[str | None, Query(max_length=200)] = None,
    done: str | None = None,
) -> HTMLResponse:
    t = _pages(request).translator(request)
    notices = _notices(
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
    csrf: Csrf = "",
    event_ids: Annotated[list[str] | None, Form()] = None,
    before: Text = "",
) -> Response:
    check_form(request, who, csrf)
    t = _pages(request).translator(request)
    chosen = [value for value in event_ids or [] if value.strip()]
    if not chosen or not all(value.strip().isdigit() for value in chosen):
        message = t("Tick at least one event to remove; nothing was removed.")
        return _data_page(request, who, before=before or None, remove_error=message, status=422)
    # All or none: an id that is not one of this person's events removes nothing (404).
    remove_events(_service(request), who.subject_id, [int(v) for v in chosen], via="consumer")
    return _see(f"{CENTER_PATH}/data?done=removed")


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
def _day(export: Mapping[str, Any]) -> str:
    moment = datetime.fromisoformat(export["generated_at"]).astimezone(UTC)
    return moment.strftime("%Y%m%d")


@router.get("/export.json")
def export_json(request: Request, who: Who) -> Response:
    """The same JSON as `GET /v1/me/export`, as a file to save."""
    export = export_subject(_service(request), who.subject_id, format="json", via="consumer")
    return JSONResponse(
        jsonable_encoder(export),
        headers={
            "Content-Disposition": f'attachment; filename="tactful-export-{_day(export)}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/export.html")
def export_html(request: Request, who: Who) -> Response:
    """The same readable page as `GET /v1/me/export.html`, as a file to save."""
    export = export_subject(_service(request), who.subject_id, format="html", via="consumer")
    return HTMLResponse(
        render_export_html(export),
        headers={
            "Content-Disposition": f'attachment; filename="tactful-export-{_day(export)}.html"',
            "Cache-Control": "no-store",
        },
    )


# -- the profile ----------------------------------------------------------------------------
def _profile_page(
    request: Request,
    who: Person,
    *,
    errors: Mapping[str, str] | None = None,
    form_error: str | None = None,
    entered: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    profile = get_profile(_service(request), who.subject_id)
    current = {**profile["attributes"], **(profile["identity"] or {})}
    context = {
        "fields": PROFILE_FIELDS,
        "current": {name: current.get(name) for name in PROFILE_FIELDS},
        "age_bands": [band.value for band in AgeBand],
        "errors": errors or {},
        "form_error": form_error,
        "entered": entered or {},
        **center_context(who),
    }
    return _pages(request).render(
        request, "center/profile.html", context, status=status, session=who.session
    )


@router.get("/data/profile")
def profile(request: Request, who: Who) -> HTMLResponse:
    return _profile_page(request, who)


@router.post("/data/profile")
def correct(
    request: Request,
    who: Who,
    csrf: Csrf = "",
    age_band: Text = "",
    region: Text = "",
    gender: Text = "",
    occupation: Text = "",
    time_zone: Text = "",
    email: Text = "",
    name: Text = "",
    phone: Text = "",
    clear: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """`PATCH /v1/me/profile` from a form: a field left empty is kept, a field ticked
    "clear" is cleared, a field given a value is set."""
    check_form(request, who, csrf)
    t = _pages(request).translator(request)
    given = {
        "age_band": age_band,
        "region": region,
        "gender": gender,
        "occupation": occupation,
        "time_zone": time_zone,
        "email": email,
        "name": name,
        "phone": phone,
    }
    cleared = set(clear or ())
    errors: dict[str, str] = {}
    change: dict[str, str | None] = {}
    for field, value in given.items():
        value = value.strip()
        if field in cleared and value:
            errors[field] = t("Type a new value or tick “clear”, not both.")
        elif field in cleared:
            change[field] = None
        elif value:
            change[field] = value
    entered = {k: v.strip() for k, v in given.items()}
    if errors:
        return _profile_page(request, who, errors=errors, entered=entered, status=422)
    if not change:
        message = t("Type a new value or tick “clear” for at least one field; nothing changed.")
        return _profile_page(request, who, form_error=message, entered=entered, status=422)
    try:
        correct_profile(_service(request), who.subject_id, change, via="consumer")
    except InvalidInput as exc:
        found = {
            e.field.split(".")[0]: _profile_error(e.field.split(".")[0], t) for e in exc.errors
        }
        found = {k: v for k, v in found.items() if k in PROFILE_FIELDS}
        if not found:
            raise
        return _profile_page(request, who, errors=found, entered=entered, status=422)
    return _see(f"{CENTER_PATH}/data?done=corrected")


def _profile_error(field: str, t: Translate) -> str:
    return {
        "age_band": t("Choose one of the age bands in the list."),
        "email": t("Enter an email address such as name@example.com."),
        "phone": t("Enter a phone number with digits, spaces and + ( ) - only."),
        "time_zone": t("Enter a time zone by its name, such as Europe/Paris."),
        "name": t("Enter a name of at most 200 characters."),
    }.get(field, t("Enter at most 64 characters."))


# -- erasure --------------------------------------------------------------------------------
@router.get("/erase")
def erase_form(request: Request, who: Who) -> HTMLResponse:
    context = {"error": None, **center_context(who)}
    return _pages(request).render(request, "center/erase.html", context, session=who.session)


@router.post("/erase")
def erase(request: Request, who: Who, csrf: Csrf = "", confirm: Text = "") -> Response:
    """`POST /v1/me/erasure`: the rows and the key go now, the models are retrained in the
    background; the person follows it on the status page, which needs no session."""
    check_form(request, who, csrf)
    if confirm != "yes":
        t = _pages(request).translator(request)
        context = {
            "error": t("Tick “I understand this cannot be undone” to erase; nothing was erased."),
            **center_context(who),
        }
        return _pages(request).render(
            request, "center/erase.html", context, status=422, session=who.session
        )
    view = _service(request).request_erasure(who.subject_id, via="consumer")
    worker = getattr(request.app.state, "erasure_worker", None)
    if worker is not None:
        worker.wake()
    response = _see(f"{CENTER_PATH}/requests/{view['request_id']}")
    response.delete_cookie(
        CENTER_COOKIE,
        path=CENTER_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


ERASURE_STEPS = ("received", "rows_erased", "models_retrained")


@router.get("/requests/{request_id}")
def request_status(request: Request, request_id: str) -> HTMLResponse:
    """A rights request's status by its id alone, as `GET /v1/rights-requests/{id}/status`.

    While it is under way the page's status region keeps itself up to date through the
    service's one small script, announced politely to a screen reader; the page itself
    never reloads or moves on its own (WCAG 2.2.1), and works without script."""
    view = _service(request).rights_request(request_id)
    finished = view["completed_at"] is not None
    return _pages(request).render(
        request,
        "center/request.html",
        {"req": view, "steps": _steps(view), "finished": finished},
    )


def _steps(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each step with its state: done (and when), under way, or still to come. An erasure
    shows its three steps from the start; other requests show the steps they went through."""
    recorded = {s["step"]: s["at"] for s in view["steps"]}
    if view["kind"] != "erasure":
        return [{"step": s["step"], "state": "done", "at": s["at"]} for s in view["steps"]]
    steps = []
    waiting = False
    for step in ERASURE_STEPS:
        if step in recorded:
            steps.append({"step": step, "state": "done", "at": recorded[step]})
        else:
            steps.append({"step": step, "state": "waiting" if waiting else "doing", "at": None})
            waiting = True
    return steps


# -- receipts -------------------------------------------------------------------------------
@router.get("/receipts")
def receipts(request: Request, who: Who) -> HTMLResponse:
    service = _service(request)
    context = {
        "receipts": service.receipts(who.subject_id),
        "titles": _purpose_titles(service),
        **center_context(who),
    }
    return _pages(request).render(request, "center/receipts.html", context, session=who.session)


@router.get("/receipts/{receipt_id}.jws")
def receipt_file(request: Request, who: Who, receipt_id: str) -> Response:
    """The bare JWS, as `GET /v1/me/receipts/{id}?download=true`."""
    found = _service(request).receipt(who.subject_id, receipt_id)
    return Response(
        found["jws"],
        media_type="application/jose",
        headers={
            "Content-Disposition": f'attachment; filename="receipt-{found["receipt_id"]}.jws"',
            "Cache-Control": "no-store",
        },
    )


# -- concerns -------------------------------------------------------------------------------
@router.get("/concerns")
def concerns(request: Request, who: Who) -> HTMLResponse:
    context = {
        "complaints": _service(request).complaints.of_subject(who.subject_id),
        **center_context(who),
    }
    return _pages(request).render(request, "center/concerns.html", context, session=who.session)


def _about(service: Tactful, who: Person, decision_id: str, item_id: str) -> dict[str, Any]:
    """What a concern is about, in words: the item's title and when the decision was made.
    Another person's decision is answered like a missing one (404), as the API does."""
    if not decision_id:
        return {}
    try:
        uuid.UUID(decision_id)
    except ValueError:
        raise NotFound(f"No decision {decision_id} for this person.") from None
    why = service.why(who.subject_id, decision_id)
    titles = {i["item_id"]: i["title"] for i in why["items"]}
    if item_id and item_id not in titles:
        raise NotFound(f"Item {item_id!r} was not part of decision {decision_id}.")
    return {
        "decision_id": decision_id,
        "item_id": item_id,
        "title": titles.get(item_id),
        "shown_at": why["created_at"],
        "titles": titles,
    }


def _concern_form(
    request: Request,
    who: Person,
    *,
    decision_id: str = "",
    item_id: str = "",
    entered: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    service = _service(request)
    about = _about(service, who, decision_id, item_id)
    recent = [] if about else service.decisions_of(who.subject_id, RECENT_DECISIONS)["decisions"]
    context = {
        "about": about,
        "recent": recent,
        "reasons": [reason.value for reason in Reason],
        "entered": entered or {},
        "errors": errors or {},
        "max_text": MAX_TEXT,
        "max_ref": MAX_MESSAGE_REF,
        **center_context(who),
    }
    return _pages(request).render(
        request, "center/concern_new.html", context, status=status, session=who.session
    )


@router.get("/concerns/new")
def new_concern(
    request: Request,
    who: Who,
    decision_id: Annotated[str, Query(max_length=64)] = "",
    item_id: Annotated[str, Query(max_length=128)] = "",
) -> HTMLResponse:
    return _concern_form(request, who, decision_id=decision_id, item_id=item_id)


@router.post("/concerns")
def file_concern(
    request: Request,
    who: Who,
    csrf: Csrf = "",
    reason: Text = "",
    text: Text = "",
    decision_id: Text = "",
    item_id: Text = "",
    message_ref: Text = "",
) -> Response:
    """`POST /v1/me/complaints` from the form; a refused report stores nothing."""
    check_form(request, who, csrf)
    t = _pages(request).translator(request)
    entered = {
        "reason": reason,
        "text": text,
        "message_ref": message_ref,
        "decision_id": decision_id,
    }
    try:
        filed = _service(request).complaints.file(
            who.subject_id,
            reason=reason,
            text=text or None,
            decision_id=decision_id.strip() or None,
            item_id=item_id.strip() or None,
            message_ref=message_ref.strip() or None,
        )
    except InvalidInput as exc:
        errors = {e.field: _concern_error(e.field, e.message, t) for e in exc.errors}
        if "decision_id" in errors and decision_id.strip():
            raise  # a decision id the form itself carried: not the person's to fix
        return _concern_form(
            request,
            who,
            decision_id=decision_id.strip(),
            item_id=item_id.strip(),
            entered=entered,
            errors=errors or {"reason": _concern_error("reason", "", t)},
            status=422,
        )
    return _see(f"{CENTER_PATH}/concerns/{filed['complaint']['complaint_id']}?done=filed")


def _concern_error(field: str, message: str, t: Translate) -> str:
    if field == "text":
        if "required" in message:
            return t("Please say in your own words what is wrong: it is needed for “Other”.")
        return t("Please keep it under %(n)s characters.", n=MAX_TEXT)
    return {
        "reason": t("Choose one of the reasons in the list."),
        "decision_id": t("Choose the recommendations you are reporting, or give a message."),
        "message_ref": t(
            "Give either the recommendations or a message reference (as printed at the end "
            "of the message), not both."
        ),
        "item_id": t("That item was not among those recommendations."),
    }.get(field, t("Please check this field."))


@router.get("/concerns/{complaint_id}")
def concern(request: Request, who: Who, complaint_id: str, done: str | None = None) -> HTMLResponse:
    service = _service(request)
    t = _pages(request).translator(request)
    try:
        uuid.UUID(complaint_id)
    except ValueError:
        raise NotFound(f"No complaint {complaint_id} for this person.") from None
    found = service.complaints.mine(who.subject_id, complaint_id)
    about: dict[str, Any] = {}
    if found["about"]["decision_id"]:
        try:
            about = _about(service, who, found["about"]["decision_id"], "")
        except NotFound:
            about = {}  # the decision was deleted when its retention ended
    notices = _notices(done, {"filed": t("Your concern was received. You can follow it here.")})
    context = {"complaint": found, "about": about, **center_context(who, notices)}
    return _pages(request).render(request, "center/concern.html", context, session=who.session)
