"""The Privacy Center: one person's notice, choices, recommendations and their history.

Every page calls the `Tactful` facade exactly as the consumer API (`/v1/me`) does, for the
person whose subject token is in the `tactful_center` cookie. The link the shop gives a
person carries that token once (`?token=`): it is moved into the cookie and the address is
cleaned at once.

Forms post, check their CSRF token first, change one thing and redirect (Post/Redirect/
Get) with a `done` code the next page turns into a notice; a form that does not make sense
is shown again with status 422 and nothing stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from tactful.consent.ledger import ConsentMethod, ConsentState
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.errors import NotFound, Unauthorized
from tactful.service import Tactful
from tactful.web.center_session import Person, center_context, check_form, person
from tactful.web.render import Pages, remember_language
from tactful.web.sessions import CENTER_COOKIE, CENTER_PATH, SessionExpired
from tactful.web.texts import Translate

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

Who = Annotated[Person, Depends(person)]
Csrf = Annotated[str, Form(max_length=200)]
Back = Annotated[str, Form(max_length=40)]

# A link whose token does not say how long it lives keeps the session this long.
DEFAULT_SESSION_SECONDS = 3600
RECOMMENDATIONS = 10
HISTORY_PAGE = 10
# Where a form may send the reader back to; anything else goes to the form's own page.
BACK = {
    "overview": CENTER_PATH,
    "choices": CENTER_PATH + "/choices",
    "recommendations": CENTER_PATH + "/recommendations",
    "history": CENTER_PATH + "/history",
}
# `done` codes whose change wrote a consent receipt.
WITH_RECEIPT = frozenset({"saved", "withdrawn", "level_off", "level_basic", "level_full"})
CHOICE_FIELD = "choice:"
# The domain's own sentence for a minor's level: the only way a page learns of it.
MINOR_REASON = derive_level(ConsentState(""), SubjectAttributes(age_band=AgeBand.UNDER_18)).reason


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _t(request: Request) -> Translate:
    """`t("...")` in the reader's language, for the texts written here."""
    t: Translate = _pages(request).translator(request)
    return t


def _service(request: Request) -> Tactful:
    service: Tactful = request.app.state.tactful
    return service


async def _posted(request: Request) -> list[tuple[str, str]]:
    """Every text field of a posted form (FastAPI has parsed it already: this is a read)."""
    form = await request.form()
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


Posted = Annotated[list[tuple[str, str]], Depends(_posted)]


def _back(back: str, default: str) -> str:
    return BACK.get(back, BACK[default])


def _done(url: str, code: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={code}", status_code=303)


def _notices(request: Request, done: str | None) -> list[str]:
    """The notice a `done` code stands for; an unknown code shows nothing (and nothing the
    request wrote is ever shown)."""
    t = _t(request)
    texts = {
        "saved": t("Your choices are saved. They apply from the next page you see."),
        "unchanged": t("Nothing changed: your choices were already as you set them."),
        "withdrawn": t(
            "Done: that purpose is no longer used. What you see now already follows it."
        ),
        "level_off": t("Personalization is off. Nothing about you is used to choose what you see."),
        "level_basic": t("Basic personalization is on: only what you bought and rated is used."),
        "level_full": t(
            "Full personalization is on: what you bought, rated, browsed and searched is used."
        ),
        "not_interested": t("Understood: we will not show you that item again."),
    }
    return [texts[done]] if done in texts else []


def _is_minor(level_reason: str) -> bool:
    return level_reason == MINOR_REASON


# -- entering: the link with the token ------------------------------------------------------
def _seconds_left(token: str, now: float) -> int:
    """How long the (already verified) token still lives, from its `exp` claim."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        expires = claims["exp"]
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return DEFAULT_SESSION_SECONDS
    if not isinstance(expires, int):
        return DEFAULT_SESSION_SECONDS
    return max(1, expires - int(now))


def _open(request: Request, token: str) -> Response:
    service = _service(request)
    try:
        service.subject_of_token(token)
    except Unauthorized as exc:
        raise SessionExpired(
            "This Privacy Center link is not valid or has expired; open it again from your account."
        ) from exc
    response = RedirectResponse(CENTER_PATH, status_code=303)
    response.set_cookie(
        CENTER_COOKIE,
        token,
        max_age=_seconds_left(token, service.clock().timestamp()),
        path=CENTER_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    remember_language(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- overview and notice ----------------------------------------------------------------
@router.get("")
def overview(
    request: Request,
    token: Annotated[str | None, Query(max_length=4096)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    if token is not None:
        return _open(request, token)
    who = person(request)
    service = _service(request)
    view = service.consents(who.subject_id)
    notice = service.notice()
    return _pages(request).render(
        request,
        "center/overview.html",
        {
            **center_context(who, _notices(request, done)),
            "view": view,
            "notice": notice,
            "paragraphs": _paragraphs(notice["text"])[:2],
            "minor": _is_minor(view["level_reason"]),
            "receipt_link": done in WITH_RECEIPT,
        },
        session=who.session,
    )


@router.get("/notice")
def notice_page(request: Request, who: Who) -> Response:
    notice = _service(request).notice()
    return _pages(request).render(
        request,
        "center/notice.html",
        {
            **center_context(who),
            "notice": notice,
            "paragraphs": _paragraphs(notice["text"]),
            "purposes": [p | _what_it_changes(request, p) for p in notice["purposes"]],
        },
        session=who.session,
    )


def _paragraphs(text: str) -> list[str]:
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


# -- choices ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FormErrors:
    choices: str = ""
    level: str = ""


def _what_it_changes(request: Request, p: Mapping[str, Any]) -> dict[str, Any]:
    """What a purpose lets the shop use, what the person gets with it and without it, and
    how long its data is kept: said from the purpose's own fields."""
    t = _t(request)
    words = {
        "purchase_history": t("what you bought"),
        "explicit_feedback": t("how you rated items"),
        "browsing_history": t("the pages you viewed, what you clicked and put in your cart"),
        "search_history": t("what you searched for"),
    }
    uses = [words.get(c, c) for c in p["data_categories"]]
    sensitive = p["sensitive_category"]
    if sensitive:
        uses.append(t("what you do with items in this category"))
        with_it = t(
            "Items in this category may be recommended to you, and your interest in them used."
        )
        without = t(
            "Items in this category are never recommended to you, and what you do with them is "
            "not kept."
        )
    elif p["sale_or_sharing"]:
        with_it = t(
            "This data is shared with advertising partners, to show you ads on other sites."
        )
        without = t("Nothing about you is shared with advertising partners.")
    elif p["direct_marketing"]:
        with_it = t("We may send you offers this way.")
        without = t("You get no offers this way.")
    elif p["profiling"]:
        with_it = t("Your recommendations are chosen with this data.")
        without = t("Your recommendations do not use this data.")
    else:
        with_it = t("Your activity is counted with everyone else's; no profile of you is built.")
        without = t("Your activity is not counted in the shop's statistics.")
    return {
        "uses": uses,
        "with_it": with_it,
        "without": without,
        "kept": t("Kept for %(days)s days, then deleted.", days=p["retention_days"]),
        "third_parties": p["third_parties"],
    }


def _not_offered(
    request: Request, p: Mapping[str, Any], *, minor: bool, gpc: bool, objected: bool
) -> str:
    """Why "Allow" is not offered for this purpose (empty: it is)."""
    t = _t(request)
    if minor and p["profiling"]:
        return t("Never used for people under 18: we do not build profiles of minors.")
    if gpc and p["sale_or_sharing"]:
        return t(
            "Your browser's Global Privacy Control signal opts you out of this, so it is not "
            "allowed."
        )
    if objected and p["direct_marketing"]:
        return t("You objected to direct marketing, so this is not allowed.")
    return ""


def _kind(p: Mapping[str, Any]) -> str:
    if p["sensitive_category"]:
        return "sensitive"
    if p["sale_or_sharing"] or p["direct_marketing"]:
        return "offers"
    return "recommendations" if p["profiling"] else "statistics"


def _groups(request: Request, purposes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The purposes under a few headings, so a long notice can be scanned."""
    t = _t(request)
    headings = [
        ("recommendations", t("Recommendations"), ""),
        ("statistics", t("Statistics"), ""),
        ("offers", t("Offers and advertising"), ""),
        (
            "sensitive",
            t("Sensitive categories"),
            t(
                "Items in these categories are never recommended to you, and what you do "
                "with them is not kept, unless you allow each category here."
            ),
        ),
    ]
    return [
        {"key": key, "title": title, "hint": hint, "purposes": found}
        for key, title, hint in headings
        if (found := [p for p in purposes if p["kind"] == key])
    ]


def _choices_context(request: Request, who: Person) -> dict[str, Any]:
    service = _service(request)
    view = service.consents(who.subject_id)
    notice = service.notice()
    minor = _is_minor(view["level_reason"])
    objected = view["objection_to_direct_marketing"] is not None
    details = {p["purpose"]: p for p in notice["purposes"]}
    purposes = []
    for current in view["purposes"]:
        p = details.get(current["purpose"])
        if p is None:
            continue
        purposes.append(
            current
            | _what_it_changes(request, p)
            | {
                "legal_basis": p["legal_basis"],
                # A minor's profiling purposes are never used, whatever is recorded.
                "shown_status": "never" if minor and p["profiling"] else current["status"],
                "not_offered": _not_offered(
                    request, p, minor=minor, gpc=who.gpc_honoured, objected=objected
                ),
                "field": CHOICE_FIELD + current["purpose"],
                "slug": current["purpose"].replace(".", "-").replace("_", "-"),
                "kind": _kind(p),
            }
        )
    return {
        "view": view,
        "purposes": purposes,
        "groups": _groups(request, purposes),
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
    return _pages(request).render(
        request,
        "center/choices.html",
        {
            **center_context(who, _notices(request, done)),
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
    t = _t(request)
    context = _choices_context(request, who)
    changes, valid = _changes(posted, context["purposes"])
    if not valid:
        message = t("One of these choices is not one we offer. Nothing was changed; choose again.")
        return _render_choices(request, who, errors=FormErrors(choices=message))
    target = _back(back, "choices")
    if not changes:
        return _done(target, "unchanged")
    _service(request).record_consents(
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
    t = _t(request)
    try:
        chosen = PersonalizationLevel(level)
    except ValueError:
        message = t("Choose one of the three levels: off, basic or full. Nothing was changed.")
        return _render_choices(request, who, errors=FormErrors(level=message))
    service = _service(request)
    if chosen is not PersonalizationLevel.OFF:
        view = service.consents(who.subject_id)
        if _is_minor(view["level_reason"]):
            message = t("Personalization is always off for people under 18. Nothing was changed.")
            return _render_choices(request, who, errors=FormErrors(level=message))
    service.set_level(who.subject_id, chosen, ConsentMethod.WEB_FORM)
    return _done(_back(back, "choices"), f"level_{chosen.value}")


# -- recommendations and "Why am I seeing this?" -------------------------------------------
def _why_items(
    why: Mapping[str, Any], minor: bool, categories: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Each item's why, with the controls that can still do something for this person."""
    items = []
    for w in why["items"]:
        controls = [
            c
            for c in w["controls"]
            if not (minor and c["action"] == "set_level" and c["level"] != "off")
        ]
        items.append(
            dict(w)
            | {
                # `domain.reason` reads a why item as it reads a recorded explanation.
                "explanation": w,
                "category": (categories or {}).get(w["item_id"], ""),
                "controls": controls,
                "slug": f"item-{w['rank']}",
            }
        )
    return items


@router.get("/recommendations")
def recommendations(
    request: Request, who: Who, done: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    service = _service(request)
    decision = service.recommend(who.subject_id, k=RECOMMENDATIONS, surface="home")
    why = service.why(who.subject_id, decision["decision_id"])
    minor = _is_minor(why["level_reason"])
    categories = {i["item_id"]: i["category"] for i in decision["items"]}
    return _pages(request).render(
        request,
        "center/recommendations.html",
        {
            **center_context(who, _notices(request, done)),
            "why": why,
            "items": _why_items(why, minor, categories),
            "minor": minor,
            "notice_version": service.notice_version,
            "back": "recommendations",
            "receipt_link": done in WITH_RECEIPT,
        },
        session=who.session,
    )


@router.post("/feedback")
def not_interested(
    request: Request,
    who: Who,
    csrf: Csrf = "",
    item_id: Annotated[str, Form(max_length=128)] = "",
    back: Back = "recommendations",
) -> Response:
    check_form(request, who, csrf)
    _service(request).give_feedback(who.subject_id, "not_interested", item_id)
    return _done(_back(back, "recommendations"), "not_interested")


# -- history ------------------------------------------------------------------------------
@router.get("/history")
def history(
    request: Request,
    who: Who,
    before: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    found = _service(request).decisions_of(who.subject_id, HISTORY_PAGE, before)
    return _pages(request).render(
        request,
        "center/history.html",
        {
            **center_context(who, _notices(request, done)),
            "decisions": found["decisions"],
            "next_before": found["next_before"],
            "paged": before is not None,
        },
        session=who.session,
    )


@router.get("/history/{decision_id}")
def decision_page(request: Request, who: Who, decision_id: str) -> Response:
    try:
        uuid.UUID(decision_id)
    except ValueError:
        # An address that cannot name a decision is a page that does not exist.
        raise NotFound(f"No decision {decision_id!r} for this person.") from None
    service = _service(request)
    why = service.why(who.subject_id, decision_id)
    minor = _is_minor(service.consents(who.subject_id)["level_reason"])
    return _pages(request).render(
        request,
        "center/decision.html",
        {
            **center_context(who),
            "why": why,
            "items": _why_items(why, minor),
            "minor": minor,
            "notice_version": service.notice_version,
            "back": "history",
            "receipt_link": False,
        },
        session=who.session,
    )
