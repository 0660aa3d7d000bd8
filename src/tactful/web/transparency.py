"""The public transparency page: how recommendations are made, and the privacy budget spent.

Anyone may read it, signed in or not: it holds no one's data, only what
`GET /v1/transparency/recommender` states (the recommenders' main parameters, DSA Art. 27)
and the differential-privacy releases behind the aggregate level, with the budget each spent.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tactful.web.app_state import pages_of, service_of

router = APIRouter(include_in_schema=False)
TRANSPARENCY_PATH = "/transparency"


@router.get(TRANSPARENCY_PATH)
def transparency(request: Request) -> HTMLResponse:
    service = service_of(request)
    context = {
        "parameters": service.main_parameters(),
        "notice": service.notice(),
    }
    return pages_of(request).render(request, "transparency.html", context)
