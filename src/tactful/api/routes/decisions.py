"""Recommendations (each one a recorded decision) and the records themselves."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tactful.api.deps import Service, audit_read, presented_key, require
from tactful.api.responses import FastJSON
from tactful.audit.context import set_actor
from tactful.domain.access import Scope as Access
from tactful.errors import TactfulError

router = APIRouter(prefix="/v1", tags=["decisions"])

RECOMMENDATIONS_PATH = "/subjects/{subject_id}/recommendations"


@router.get(
    RECOMMENDATIONS_PATH,
    summary="Decide what to show one subject, with an explanation per item",
    dependencies=[require(Access.RECOMMEND)],
)
async def get_recommendations(
    subject_id: str,
    service: Service,
    k: Annotated[int, Query(description="How many items (1 to the configured maximum).")] = 10,
    surface: Annotated[str, Query(description="Where the items will be shown.")] = "home",
    pin: Annotated[
        list[str] | None,
        Query(
            description="Items the shop places first, in order (repeat the parameter). The "
            "guardrails still apply: a pinned item this person must not see is held back.",
            max_length=1000,
        ),
    ] = None,
) -> FastJSON:
    return FastJSON(service.recommend(subject_id, k=k, surface=surface, pinned=pin or ()))


@router.get(
    "/decisions/{decision_id}",
    summary="A stored decision record",
    # It shows one person's record: what they were shown and why.
    dependencies=[require(Access.PRIVACY_OFFICER)],
)
def get_decision(decision_id: str, service: Service) -> dict[str, Any]:
    record = service.decision(decision_id)
    audit_read(service, record["subject_id"], "decision")
    return record


# The route's path as Starlette matches it: a path parameter is one non-empty segment.
_PATH = re.compile(r"/v1/subjects/([^/]+)/recommendations")
_DIGITS = re.compile(r"[0-9]{1,9}")


class RecommendationsLane:
    """ASGI middleware answering plain recommendation requests without FastAPI's routing.

    Routing, dependency solving and parameter validation cost FastAPI about a third of
    what the decision itself costs. A request the route would take exactly this way -- a
    GET on its path with a valid operator key holding the `recommend` scope, `k` as plain
    digits and `surface` each at most once, no other query parameter -- is answered here by
    the same service call, the same response class and the app's own handler for the
    service's errors. Anything else (a bad, missing or under-scoped key, a malformed `k`,
    another method, a mounted root path) goes on to the app, which answers it as it always
    has.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            match = _PATH.fullmatch(scope["path"])
            params = _plain_query(scope["query_string"]) if match else None
            if match and params is not None and _is_operator(scope):
                await self._answer(scope, receive, send, match[1], *params)
                return
        await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, subject_id: str, k: int, surface: str
    ) -> None:
        app = scope["app"]
        try:
            response = FastJSON(app.state.tactful.recommend(subject_id, k=k, surface=surface))
        except TactfulError as exc:
            # What Starlette's ExceptionMiddleware would do: the handler for the nearest
            # class, the catch-all (500) handler left to the server error middleware.
            handlers = app.exception_handlers
            kind = next(
                (c for c in type(exc).__mro__ if c in handlers and c is not Exception), None
            )
            if kind is None:
                raise
            response = await handlers[kind](Request(scope, receive), exc)
        await response(scope, receive, send)


def _plain_query(query_string: bytes) -> tuple[int, str] | None:
    """(k, surface) when the query is only those, each at most once and `k` plain digits."""
    k, surface = 10, "home"
    if not query_string:
        return k, surface
    seen: set[str] = set()
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return None
        seen.add(name)
        if name == "k" and _DIGITS.fullmatch(value):
            k = int(value)
        elif name == "surface":
            surface = value
        else:
            return None
    return k, surface


def _is_operator(scope: Scope) -> bool:
    """`deps.require(Access.RECOMMEND)`'s check, on the raw headers (the first of each name):
    the same keys, the same cache, the actor named alike. A refused key goes on to the app,
    which answers 401 or 403 as the route would."""
    api_key: str | None = None
    authorization: str | None = None
    for name, value in scope["headers"]:
        if name == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
        elif name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
    try:
        principal = scope["app"].state.tactful.keys.authenticate(
            presented_key(api_key, authorization)
        )
    except TactfulError:
        return False
    if not principal.allows(Access.RECOMMEND):
        return False
    set_actor(principal.actor)
    scope.setdefault("state", {})["principal"] = principal
    return True
