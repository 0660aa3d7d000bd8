"""The Privacy Center's way in and first pages: the link with the token, the overview and
the notice.

Every page calls the `Tactful` facade exactly as the consumer API (`/v1/me`) does, for the
person whose subject token is in the `tactful_center` cookie. The link the shop gives a
person carries that token once (`?token=`): it is moved into the cookie and the address is
cleaned at once.

Forms post, check their CSRF token first, change one thing and redirect (Post/Redirect/
Get) with a `done` code the next page turns into a notice; a form that does not make sense
is shown again with status 422 and nothing stored. The other pages are in
`center_choices` (choices, level, feedback), `center_why` (recommendations, history),
`center_data`, `center_profile`, `center_erasure`, `center_receipts` and
`center_concerns`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tactful.errors import Unauthorized
from tactful.web.center_common import (
    WITH_RECEIPT,
    Who,
    consent_notices,
    is_minor,
    pages_of,
    see,
    service_of,
)
from tactful.web.center_purposes import what_it_changes
from tactful.web.center_session import center_context, person
from tactful.web.render import remember_language
from tactful.web.sessions import CENTER_COOKIE, CENTER_PATH, SessionExpired, keep_session

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

# A link whose token does not say how long it lives keeps the session this long.
DEFAULT_SESSION_SECONDS = 3600


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
    service = service_of(request)
    try:
        service.subject_of_token(token)
    except Unauthorized as exc:
        raise SessionExpired(
            "This Privacy Center link is not valid or has expired; open it again from your account."
        ) from exc
    response = see(CENTER_PATH)
    seconds = _seconds_left(token, service.clock().timestamp())
    keep_session(request, response, CENTER_COOKIE, token, CENTER_PATH, seconds)
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
    service = service_of(request)
    view = service.consents(who.subject_id)
    notice = service.notice()
    return pages_of(request).render(
        request,
        "center/overview.html",
        {
            **center_context(who, consent_notices(request, done)),
            "view": view,
            "notice": notice,
            "paragraphs": _paragraphs(notice["text"])[:2],
            "minor": is_minor(view),
            "receipt_link": done in WITH_RECEIPT,
        },
        session=who.session,
    )


@router.get("/notice")
def notice_page(request: Request, who: Who) -> Response:
    notice = service_of(request).notice()
    return pages_of(request).render(
        request,
        "center/notice.html",
        {
            **center_context(who),
            "notice": notice,
            "paragraphs": _paragraphs(notice["text"]),
            "purposes": [p | what_it_changes(request, p) for p in notice["purposes"]],
        },
        session=who.session,
    )


def _paragraphs(text: str) -> list[str]:
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
