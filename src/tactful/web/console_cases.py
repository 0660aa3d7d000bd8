"""The Console's case work: rights requests, the complaints queue, and fairness audits."""

from __future__ import annotations

from fastapi import APIRouter

from tactful.web.sessions import CONSOLE_PATH

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)
