"""The Privacy Center's data pages: what is held, its download, removal from history,
erasure and its status, receipts, and concerns."""

from __future__ import annotations

from fastapi import APIRouter

from tactful.web.sessions import CENTER_PATH

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)
