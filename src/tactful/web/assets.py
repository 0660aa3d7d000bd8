"""The pages' own style sheet and the front page; nothing is fetched from anywhere else."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/static/tactful.css")
def stylesheet() -> Response:
    return Response(
        (STATIC / "tactful.css").read_bytes(),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/static/live-status.js")
def live_status_script() -> Response:
    return Response(
        (STATIC / "live-status.js").read_bytes(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/")
def front(request: Request) -> Response:
    pages = request.app.state.pages
    return pages.render(request, "index.html")  # type: ignore[no-any-return]
