"""RFC 9457 problem details: the one place errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tactful.errors import (
    BatchRejected,
    Conflict,
    Forbidden,
    InvalidInput,
    ModelNotTrained,
    NotFound,
    RateLimited,
    StoreUnavailable,
    TactfulError,
    Unauthorized,
)

log = logging.getLogger("tactful.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://tactful.example.com/problems/"

_STATUS: list[tuple[type[TactfulError], int, str]] = [
    (BatchRejected, 422, "batch-rejected"),
    (InvalidInput, 422, "invalid-input"),
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (RateLimited, 429, "rate-limited"),
    (ModelNotTrained, 409, "model-not-trained"),
    (StoreUnavailable, 503, "store-unavailable"),
]


def problem(
    status: int, slug: str, title: str, detail: str, instance: str, **extra: Any
) -> Response:
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _page(request: Request, status: int, title: str, detail: str) -> Response | None:
    """The same error as a page, when a person asked for a page (`tactful.web.errors`)."""
    pages = getattr(request.app.state, "page_errors", None)
    if pages is None or not pages.handles(request):
        return None
    response: Response = pages.render(request, status, title, detail)
    return response


def _for_error(request: Request, exc: TactfulError) -> Response:
    status, slug = 500, "internal"
    for kind, code, name in _STATUS:
        if isinstance(exc, kind):
            status, slug = code, name
            break
    page = _page(request, status, exc.title, exc.detail)
    if page is not None:
        return page
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [e.as_dict() for e in exc.errors]
    response = problem(status, slug, exc.title, exc.detail, request.url.path, **extra)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    # A Global Privacy Control signal honoured before the failure stays honoured: say so.
    response.headers.update(getattr(request.state, "gpc_headers", {}))
    return response


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "(body)"


def install(app: FastAPI) -> None:
    @app.exception_handler(TactfulError)
    async def _tactful(request: Request, exc: TactfulError) -> Response:
        return _for_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            message = str(err.get("msg", "invalid"))
            if err.get("type") == "json_invalid":
                message = "malformed JSON: " + str(err.get("ctx", {}).get("error", message))
            errors.append({"field": _field(loc), "message": message})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        page = _page(request, 422, "Invalid input", detail)
        if page is not None:
            return page
        return problem(
            422,
            "invalid-input",
            "Invalid input",
            "The request does not have the expected shape; nothing was stored.",
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Content too large"}
        title = titles.get(exc.status_code, "HTTP error")
        page = _page(request, exc.status_code, title, str(exc.detail))
        if page is not None:
            return page
        return problem(
            exc.status_code,
            f"http-{exc.status_code}",
            title,
            str(exc.detail),
            request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Last line of defence: log the cause, tell the caller no more than needed.
        log.exception("unhandled error on %s", request.url.path)
        page = _page(request, 500, "Internal error", "")
        if page is not None:
            return page
        return problem(
            500,
            "internal",
            "Internal error",
            "Something went wrong on our side; nothing was stored.",
            request.url.path,
        )
