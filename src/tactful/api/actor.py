"""Open an audit actor scope per request; authentication names the actor (see `deps`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from tactful.audit.context import acting_as

ANONYMOUS = "anonymous"


class ActorScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with acting_as(ANONYMOUS):
            await self.app(scope, receive, send)
