"""The Privacy Center: one person's notice, choices, recommendations and data."""

from __future__ import annotations

from fastapi import APIRouter

from tactful.web.sessions import CENTER_PATH

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)
