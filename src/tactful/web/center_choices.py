"""The Privacy Center's choices page and the forms that change what may be used: a choice
per purpose, the personalization level, and "not interested" in an item.

Each form checks its CSRF token first, records the change through the facade exactly as the
consumer API does, and redirects back with a `done` code (see `center_common`); a form that
does not make sense is shown again with status 422 and nothing stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from tactful.consent.ledger import ConsentMethod
from tactful.consent.levels import PersonalizationLevel
from tactful.web.center_common import (
    WITH_RECEIPT,
    Csrf,
    Who,
    consent_notices,
    is_minor,
    pages_of,
    see,
    service_of,
    translator_of,
)
from tactful.web.center_purposes import groups, kind_of, not_offered, what_it_changes
from tactful.web.center_session import Person, center_context, check_form
from tactful.web.sessions import CENTER_PATH

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

Back = Annotated[str, Form(max_length=40)]
# Where a form may send the reader back to; anything else goes to the form's own page.
BACK = {
    "overview": CENTER_PATH,
    "choices": CENTER_PATH + "/choices",
    "recommendations": CENTER_PATH + "/recommendations",
    "history": CENTER_PATH + "/history",
}
CHOICE_FIELD = "choice:"


async def _posted(request: Request) -> list[tuple[str, str]]:
    """Every text field of a posted form (FastAPI has parsed it already: this is a read)."""
    form = await request.form()
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


Posted = Annotated[list[tuple[str, str]], Depends(_posted)]


def _back(back: str, default: str) -> str:
    return BACK.get(back, BACK[default])


def _done(url: str, code: str) -> RedirectResponse:
    return see(f"{url}?done={code}")


# -- choices ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FormErrors:
    choices: str = ""
    level: str = ""


def _choices_context(request: Request, who: Person) -> dict[str, Any]:
    service = service_of(request)
    view = service.consents(who.subject_id)
    notice = service.notice()
    minor = is_minor(view)
    objected = view["objection_to_direct_marketing"] is not None
    details = {p["purpose"]: p for p in notice["purposes"]}
    purposes = []
    for current in view["purposes"]:
        p = details.get(current["purpose"])
        if p is None:
            continue
        purposes.append(
            current
            | what_it_changes(request, p)
            | {
                "legal_basis": p["legal_basis"],
                # A minor's profiling purposes are never used, whatever is recorded.
                "shown_status": "never" if minor and p["profiling"] else current["status"],
                "not_offered": not_offered(
                    request, p, minor=minor, gpc=who.gpc_honoured, objected=objected
                ),
                "field": CHOICE_FIELD + current["purpose"],
                "slug": current["purpose"].replace(".", "-").replace("_", "-"),
                "kind": kind_of(p),
            }
        )
    return {
        "view": view,
        "purposes": purposes,
        "groups": groups(request, purposes),
        "notice_version": notice["version"],
        "minor": minor,
    }


def _render_choices(
    request: Request,
    who: Person,
    *,
    done: str | None = None,
    errors: FormErrors | None = None,
) -> Response:
    status = 422 if errors else 200
    return pages_of(request).render(
        request,
        "center/choices.html",
        {
            **center_context(who, consent_notices(request, done)),
            **_choices_context(request, who),
            "errors": errors or FormErrors(),
            "receipt_link": done in WITH_RECEIPT,
        },
        status=status,
        session=who.session,
    )


@router.get("/choices")
def choices_page(
    request: Request, who: Who, done: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    return _render_choices(request, who, done=done)


def _changes(
    posted: Sequence[tuple[str, str]], purposes: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, str]], bool]:
    """The choices that differ from the current ones, and whether the form made sense."""
    by_code = {p["purpose"]: p for p in purposes}
    seen: set[str] = set()
    changes = []
    for name, value in posted:
        if not name.startswith(CHOICE_FIELD):
            continue
        code = name[len(CHOICE_FIELD) :]
        current = by_code.get(code)
        if current is None or code in seen or value not in ("allow", "deny"):
            return [], False
        seen.add(code)
        status = current["status"]
        if value == "allow":
            if current["not_offered"]:
                return [], False
            if status != "granted":
                changes.append({"purpose": code, "status": "granted"})
        elif status in ("granted", "stale"):
            changes.append({"purpose": code, "status": "withdrawn"})
        elif status == "not_chosen":
            changes.append({"purpose": code, "status": "denied"})
    return changes, True


@router.post("/choices")
def change_choices(
    request: Request,
    who: Who,
    posted: Posted,
    csrf: Csrf = "",
    notice_version: Annotated[str, Form(max_length=64)] = "",
    back: Back = "choices",
) -> Response:
    check_form(request, who, csrf)
    t = translator_of(request)
    context = _choices_context(request, who)
    changes, valid = _changes(posted, context["purposes"])
    if not valid:
        message = t("One of these choices is not one we offer. Nothing was changed; choose again.")
        return _render_choices(request, who, errors=FormErrors(choices=message))
    target = _back(back, "choices")
    if not changes:
        return _done(target, "unchanged")
    service_of(request).record_consents(
        who.subject_id,
        {
            "choices": changes,
            "notice_version": notice_version or context["notice_version"],
            "method": ConsentMethod.WEB_FORM.value,
        },
        gpc=who.gpc_honoured,
    )
    return _done(target, "saved" if target == BACK["choices"] else "withdrawn")


@router.post("/level")
def change_level(
    request: Request,
    who: Who,
    csrf: Csrf = "",
    level: Annotated[str, Form(max_length=20)] = "",
    back: Back = "choices",
) -> Response:
    check_form(request, who, csrf)
    t = translator_of(request)
    try:
        chosen = PersonalizationLevel(level)
    except ValueError:
        message = t(
            "Choose one of the levels: off, trends only, basic or full. Nothing was changed."
        )
        return _render_choices(request, who, errors=FormErrors(level=message))
    service = service_of(request)
    if chosen is not PersonalizationLevel.OFF:
        view = service.consents(who.subject_id)
        if is_minor(view):
            message = t("Personalization is always off for people under 18. Nothing was changed.")
            return _render_choices(request, who, errors=FormErrors(level=message))
    service.set_level(who.subject_id, chosen, ConsentMethod.WEB_FORM)
    return _done(_back(back, "choices"), f"level_{chosen.value}")


@router.post("/feedback")
def not_interested(
    request: Request,
    who: Who,
    csrf: Csrf = "",
    item_id: Annotated[str, Form(max_length=128)] = "",
    back: Back = "recommendations",
) -> Response:
    check_form(request, who, csrf)
    service_of(request).give_feedback(who.subject_id, "not_interested", item_id)
    return _done(_back(back, "recommendations"), "not_interested")
