"""Dependencies shared by routes: the service, the operator key and scope checks, the
consumer's subject token.

The key checks are `async` though they await nothing: FastAPI runs a plain function in its
thread pool, and the hop to a thread costs more than the check, which reads the store only
when its short cache of verified keys has lapsed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from tactful.audit.context import set_actor
from tactful.domain.access import Principal, Scope
from tactful.errors import Forbidden, Unauthorized
from tactful.service import Tactful


async def get_service(request: Request) -> Tactful:
    service: Tactful = request.app.state.tactful
    return service


def presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    """The operator key a request presents: X-API-Key, else a Bearer authorization."""
    if x_api_key is None and authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
    return x_api_key


def operator_principal(request: Request) -> Principal:
    """Authenticate the request's operator key; name it as the actor and keep it on
    `request.state.principal`. Cheap: verified keys are cached (see `services.access`)."""
    # Reads the headers itself: declared header parameters would be validated by FastAPI on
    # every request, which costs more than the check.
    headers = request.headers
    presented = presented_key(headers.get("x-api-key"), headers.get("authorization"))
    service: Tactful = request.app.state.tactful
    principal = service.keys.authenticate(presented)
    set_actor(principal.actor)
    request.state.principal = principal
    return principal


def refuse_without(principal: Principal, scope: Scope) -> None:
    if not principal.allows(scope):
        raise Forbidden(
            f"This API key does not hold the {scope.value!r} scope, which this request needs."
        )


async def require_operator(request: Request) -> None:
    """Any valid operator key, whatever its scopes."""
    operator_principal(request)


class ScopeCheck:
    """The dependency `require` builds; it names its scope, so tests and tools can list what
    each route needs."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(self, request: Request) -> None:
        refuse_without(operator_principal(request), self.scope)


def require(scope: Scope) -> Any:
    """A route dependency: a valid operator key (401 otherwise) holding `scope` (403
    otherwise, naming the scope)."""
    return Depends(ScopeCheck(scope))


def audit_read(service: Tactful, subject_id: str, what: str) -> None:
    """Write an operator's read of one person's data to the audit log, as the key that
    authenticated the request (`key:<key_id>`)."""
    service.audit.record("personal_data.read", subject_id=subject_id, detail={"what": what})


Service = Annotated[Tactful, Depends(get_service)]
Operator = Depends(require_operator)


def gpc_signal(request: Request) -> bool:
    """Whether the request carries Global Privacy Control (`Sec-GPC: 1`)."""
    return request.headers.get("sec-gpc", "").strip() == "1"


def honour_gpc(service: Tactful, subject_id: str, request: Request, response: Response) -> bool:
    """Apply a GPC signal for this subject before anything else; say so in the response."""
    if not gpc_signal(request):
        return False
    outcome = service.apply_gpc(subject_id)
    headers = {"Tactful-GPC": "honoured"}
    if outcome is not None and outcome.get("receipt"):
        headers["Tactful-GPC-Receipt"] = outcome["receipt"]["receipt_id"]
    response.headers.update(headers)
    # Kept on the request too: an error response or a file download is a new response,
    # and the signal was honoured all the same (see `problems` and `gpc_headers`).
    request.state.gpc_headers = headers
    return True


def gpc_headers(request: Request) -> dict[str, str]:
    """The GPC headers this request earned, for responses built outside the route's own."""
    headers: dict[str, str] = getattr(request.state, "gpc_headers", {})
    return headers


def current_subject(request: Request, response: Response) -> str:
    """The subject a consumer request's token is bound to (a plain function: it reads the
    store, so FastAPI runs it in the thread pool)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A subject token is required: Authorization: Bearer <token>.")
    service: Tactful = request.app.state.tactful
    subject_id = service.subject_of_token(token.strip())
    set_actor("subject")
    honour_gpc(service, subject_id, request, response)
    return subject_id


Me = Annotated[str, Depends(current_subject)]
GPC = Annotated[bool, Depends(gpc_signal)]
