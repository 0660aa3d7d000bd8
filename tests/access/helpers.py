"""Shared by the access tests: time that moves when told, keys per scope, a hardened app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tactful.api.ratelimit import RateLimit
from tactful.api.security import SecurityHeaders, StrictCORS
from tactful.domain.access import Scope
from tactful.service import Tactful
from tactful.settings import Settings

BOOTSTRAP_KEY = "test-operator-key-0123456789abcdef"
# For tests of the HTTP edge, where the backend makes no difference.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Ticker:
    """Monotonic time as the test sets it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def harden(app: FastAPI, settings: Settings) -> FastAPI:
    """Add the hardening middleware as api/app.py is to add it, unless it already does."""
    present = {m.cls for m in app.user_middleware}
    if RateLimit not in present:
        app.add_middleware(
            RateLimit,
            per_minute=settings.rate_limit_per_minute,
            subject_per_minute=settings.subject_rate_limit_per_minute,
        )
    if StrictCORS not in present:
        app.add_middleware(StrictCORS, origins=settings.cors_origins)
    if SecurityHeaders not in present:
        app.add_middleware(SecurityHeaders)
    return app


def scope_keys(service: Tactful) -> dict[Scope, str]:
    """One key per scope, holding that scope alone."""
    return {scope: service.keys.create(f"only-{scope.value}", [scope])[0] for scope in Scope}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body
