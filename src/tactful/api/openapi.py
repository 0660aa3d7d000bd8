"""The OpenAPI document: who may call each operation, and the problems it can answer.

Keys and tokens are checked by plain dependencies reading the headers (see `deps`), and
errors become RFC 9457 problems in one handler (see `problems`); the generated document
sees neither, so both are declared here, for every operation alike.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

# Documents anyone may read (see `routes.transparency`), and one-click unsubscribe links
# (the random token in the path is the capability; see `routes.messages`).
PUBLIC_PATHS = (
    "/v1/notice",
    "/v1/transparency/",
    "/v1/receipts/verify",
    "/v1/schemas/",
    "/v1/unsubscribe/",
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "What is wrong with which field (and row, for batches).",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "row": {"type": "integer"},
                },
            },
        },
    },
}

PROBLEMS = {
    "400": "The body could not be read (not JSON, or not UTF-8).",
    "401": "No or wrong credentials.",
    "403": "The key lacks the scope this operation needs.",
    "404": "No such resource (or not yours).",
    "409": "Clashes with what is stored.",
    "413": "The request body is too large.",
    "422": "The request is invalid; nothing was stored.",
    "429": "Too many requests; retry after the Retry-After header.",
    "503": "The store is unavailable.",
}


def is_public(path: str) -> bool:
    if path.startswith("/v1/rights-requests/") and path.endswith("/status"):
        return True  # the request id is the capability; the status names no one
    return path.startswith(PUBLIC_PATHS)


def document(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            components = schema.setdefault("components", {})
            components["securitySchemes"] = {
                "operatorKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "operatorBearer": {"type": "http", "scheme": "bearer"},
                "subjectToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            }
            components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            for path, operations in schema.get("paths", {}).items():
                security = _security(path)
                for operation in operations.values():
                    if security is not None:
                        operation["security"] = security
                    _declare_problems(operation)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _security(path: str) -> list[dict[str, list[str]]] | None:
    if path == "/v1/me" or path.startswith("/v1/me/"):  # not /v1/messages
        return [{"subjectToken": []}]
    if path.startswith("/v1/") and not is_public(path):
        return [{"operatorKey": []}, {"operatorBearer": []}]
    return None


def _declare_problems(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    problem = {"$ref": "#/components/schemas/Problem"}
    for status, description in PROBLEMS.items():
        # Replaces FastAPI's own 422 entry: validation errors are problems here too.
        responses[status] = {
            "description": description,
            "content": {"application/problem+json": {"schema": problem}},
        }
