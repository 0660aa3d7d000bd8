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


async def require_operator(request: Request) -> None:
    # Reads the headers itself: declared header parameters would be validated by FastAPI on
    # every request, which costs more than the check.
    presented = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization")
    if presented is None and authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            presented = value.strip()
    expected: str = request.app.state.api_key
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("A valid operator API key is required (X-API-Key or Bearer).")


Service = Annotated[Tactful, Depends(get_service)]
Operator = Depends(require_operator)
