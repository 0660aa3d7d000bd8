"""The operator a Console page is for, from the signed session cookie, and what their key's
scopes let them see."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from tactful.audit.context import set_actor
from tactful.domain.access import PERSONAL_DATA_SCOPES, Principal, Scope
from tactful.errors import Forbidden, Unauthorized
from tactful.service import Tactful
from tactful.web.render import Pages
from tactful.web.sessions import CONSOLE_COOKIE, SessionExpired, same_origin


@dataclass(frozen=True, slots=True)
class Staff:
    principal: Principal
    # The cookie value; the CSRF token of this operator's forms is bound to it.
    session: str

    def allows(self, scope: Scope) -> bool:
        return self.principal.allows(scope)

    @property
    def sees_personal_data(self) -> bool:
        return any(self.principal.allows(s) for s in PERSONAL_DATA_SCOPES)

    def require(self, scope: Scope) -> None:
        if not self.allows(scope):
            raise Forbidden(
                f"Your key ({self.principal.name}) does not hold the {scope.value!r} scope, "
                "which this page needs."
            )


def staff(request: Request) -> Staff:
    """FastAPI dependency: the signed-in operator (the key is re-read on each request, so a
    revoked key ends its sessions at once); no session sends the reader to sign in."""
    pages: Pages = request.app.state.pages
    service: Tactful = request.app.state.tactful
    cookie = request.cookies.get(CONSOLE_COOKIE, "")
    session = pages.signer.console_session(cookie)
    try:
        principal = service.keys.resume(session.key_id, session.fingerprint)
    except Unauthorized as exc:  # revoked, expired or replaced
        raise SessionExpired("Your session has ended; sign in again.") from exc
    set_actor(principal.actor)
    request.state.principal = principal
    return Staff(principal, cookie)


def check_form(request: Request, who: Staff, csrf: str | None) -> None:
    pages: Pages = request.app.state.pages
    if not same_origin(request.headers.get("origin"), str(request.base_url)):
        raise SessionExpired("This form was sent from another site; nothing was changed.")
    pages.signer.check_csrf(who.session, csrf)


def console_context(request: Request, who: Staff) -> dict[str, object]:
    """What `console/layout.html` needs: the sections this key may open, and its name."""
    pages: Pages = request.app.state.pages
    t = pages.translator(request)
    sections: list[tuple[str, str, Scope | None]] = [
        ("/console", t("Overview"), None),
        ("/console/requests", t("Rights requests"), Scope.PRIVACY_OFFICER),
        ("/console/complaints", t("Complaints"), Scope.PRIVACY_OFFICER),
        ("/console/audits", t("Fairness audits"), Scope.ANALYST),
        ("/console/models", t("Models"), Scope.ANALYST),
        ("/console/guardrails", t("Guardrails"), Scope.ANALYST),
        ("/console/data", t("Data and parameters"), Scope.ANALYST),
    ]
    return {
        "console_nav": [
            (href, label) for href, label, scope in sections if scope is None or who.allows(scope)
        ],
        "staff_name": who.principal.name,
        "staff_scopes": ", ".join(sorted(s.value for s in who.principal.scopes)),
        "staff": who,
    }
