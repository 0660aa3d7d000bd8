"""The person a Privacy Center page is for, from the subject token in their cookie."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from tactful.audit.context import set_actor
from tactful.errors import Unauthorized
from tactful.service import Tactful
from tactful.web.render import Pages
from tactful.web.sessions import CENTER_COOKIE, SessionExpired, same_origin


@dataclass(frozen=True, slots=True)
class Person:
    subject_id: str
    # The subject token the cookie holds; the CSRF token of this person's forms is bound to it.
    session: str
    # Whether this request carried Global Privacy Control and it was applied before anything.
    gpc_honoured: bool


def person(request: Request) -> Person:
    """FastAPI dependency (a plain function: it reads the store, so it runs in the thread
    pool). A missing, expired or forged token asks the reader to reopen their link."""
    token = request.cookies.get(CENTER_COOKIE, "")
    service: Tactful = request.app.state.tactful
    if not token:
        raise SessionExpired("Open your Privacy Center from the link in your account.")
    try:
        subject_id = service.subject_of_token(token)
    except Unauthorized as exc:
        raise SessionExpired(
            "Your Privacy Center link has expired; open it again from your account."
        ) from exc
    set_actor("subject")
    gpc = request.headers.get("sec-gpc", "").strip() == "1"
    if gpc:
        service.apply_gpc(subject_id)
    return Person(subject_id, token, gpc)


def check_form(request: Request, who: Person, csrf: str | None) -> None:
    """A form post must come from our own page and carry this session's CSRF token."""
    pages: Pages = request.app.state.pages
    if not same_origin(request.headers.get("origin"), str(request.base_url)):
        raise SessionExpired("This form was sent from another site; nothing was changed.")
    pages.signer.check_csrf(who.session, csrf)


def center_context(who: Person, notices: list[str] | None = None) -> dict[str, object]:
    """What `center/layout.html` needs besides the page's own data."""
    return {"gpc_honoured": who.gpc_honoured, "notices": notices or [], "person": who}
