"""Dependencies shared by routes: the service and the operator API key check.

Both are `async` though they await nothing: FastAPI runs a plain function in its thread
pool, and the hop to a thread costs more than the check itself.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from tactful.audit.context import set_actor
from tactful.domain.access import Scope
from tactful.errors import Unauthorized
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


def is_operator_key(presented: str | None, expected: str) -> bool:
    return bool(presented) and hmac.compare_digest((presented or "").encode(), expected.encode())


async def require_operator(request: Request) -> None:
    # Reads the headers itself: declared header parameters would be validated by FastAPI on
    # every request, which costs more than the check.
    headers = request.headers
    presented = presented_key(headers.get("x-api-key"), headers.get("authorization"))
    if not is_operator_key(presented, request.app.state.api_key):
        raise Unauthorized("A valid operator API key is required (X-API-Key or Bearer).")


def require(scope: Scope) -> Any:
    """A route dependency: an operator key holding `scope` (interim: the one operator key)."""

    async def check(request: Request) -> None:
        await require_operator(request)
        set_actor("key:operator")

    return Depends(check)


def audit_read(service: Tactful, subject_id: str, what: str) -> None:
    """Write an operator's read of one person's data to the audit log."""
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
    honour_gpc(service, subject_id, request, response)
    return subject_id


Me = Annotated[str, Depends(current_subject)]
GPC = Annotated[bool, Depends(gpc_signal)]
