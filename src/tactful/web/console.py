"""The Operator Console: what staff see, by the scopes of the key they signed in with."""

from __future__ import annotations

from fastapi import APIRouter

from tactful.web.sessions import CONSOLE_PATH

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)
