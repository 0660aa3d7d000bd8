"""Dependencies shared by routes: the service and the operator API key check.

Both are `async` though they await nothing: FastAPI runs a plain function in its thread
pool, and the hop to a thread costs more than the check itself.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

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


Service = Annotated[Tactful, Depends(get_service)]
Operator = Depends(require_operator)
