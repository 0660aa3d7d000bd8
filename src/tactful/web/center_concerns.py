"""The Privacy Center's concerns: the person's complaints about what they were shown or
sent, a new one about a decision, an item or a message, and each one's progress.

Each call is the consumer API's (`/v1/me/complaints`); another person's complaint or
decision is answered like a missing one (404). A refused report stores nothing and is shown
again with status 422, each field's problem in words.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, Response

from tactful.domain.complaints import MAX_MESSAGE_REF, MAX_TEXT, Reason
from tactful.errors import InvalidInput, NotFound
from tactful.service import Tactful
from tactful.web.center_common import (
    Text,
    Who,
    done_notices,
    pages_of,
    see,
    service_of,
    translator_of,
)
from tactful.web.center_session import Person, center_context, check_form
from tactful.web.sessions import CENTER_PATH
from tactful.web.texts import Translate

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

RECENT_DECISIONS = 10


@router.get("/concerns")
def concerns(request: Request, who: Who) -> HTMLResponse:
    context = {
        "complaints": service_of(request).complaints.of_subject(who.subject_id),
        **center_context(who),
    }
    return pages_of(request).render(request, "center/concerns.html", context, session=who.session)


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
    service = service_of(request)
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
    return pages_of(request).render(
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
    csrf: Text = "",
    reason: Text = "",
    text: Text = "",
    decision_id: Text = "",
    item_id: Text = "",
    message_ref: Text = "",
) -> Response:
    """`POST /v1/me/complaints` from the form; a refused report stores nothing."""
    check_form(request, who, csrf)
    t = translator_of(request)
    entered = {
        "reason": reason,
        "text": text,
        "message_ref": message_ref,
        "decision_id": decision_id,
    }
    try:
        filed = service_of(request).complaints.file(
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
    return see(f"{CENTER_PATH}/concerns/{filed['complaint']['complaint_id']}?done=filed")


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
    service = service_of(request)
    t = translator_of(request)
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
    notices = done_notices(done, {"filed": t("Your concern was received. You can follow it here.")})
    context = {"complaint": found, "about": about, **center_context(who, notices)}
    return pages_of(request).render(request, "center/concern.html", context, session=who.session)
