"""The Privacy Center's answers to "Why am I seeing this?": the person's current
recommendations with each item's why, and the history of what they were shown, one past
decision at a time.

The controls beside each why post to `center_choices`; a minor is never offered a level
that would personalize.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tactful.errors import NotFound
from tactful.web.center_common import (
    WITH_RECEIPT,
    Who,
    consent_notices,
    is_minor,
    pages_of,
    service_of,
)
from tactful.web.center_session import center_context
from tactful.web.sessions import CENTER_PATH

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

RECOMMENDATIONS = 10
HISTORY_PAGE = 10


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
    service = service_of(request)
    decision = service.recommend(who.subject_id, k=RECOMMENDATIONS, surface="home")
    why = service.why(who.subject_id, decision["decision_id"])
    minor = is_minor(service.consents(who.subject_id))
    categories = {i["item_id"]: i["category"] for i in decision["items"]}
    return pages_of(request).render(
        request,
        "center/recommendations.html",
        {
            **center_context(who, consent_notices(request, done)),
            "why": why,
            "items": _why_items(why, minor, categories),
            "minor": minor,
            "notice_version": service.notice_version,
            "back": "recommendations",
            "receipt_link": done in WITH_RECEIPT,
        },
        session=who.session,
    )


# -- history ------------------------------------------------------------------------------
@router.get("/history")
def history(
    request: Request,
    who: Who,
    before: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    found = service_of(request).decisions_of(who.subject_id, HISTORY_PAGE, before)
    return pages_of(request).render(
        request,
        "center/history.html",
        {
            **center_context(who, consent_notices(request, done)),
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
    service = service_of(request)
    why = service.why(who.subject_id, decision_id)
    minor = is_minor(service.consents(who.subject_id))
    return pages_of(request).render(
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
