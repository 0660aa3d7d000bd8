"""Reports over HTTP: the ethics report, for a regulator or an internal review.

The report holds aggregates only, but it describes the whole service's handling of
personal data, so it takes the privacy officer's scope; each one made is written to the
audit log with the key that asked and the period it covers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tactful.api.deps import Service, require
from tactful.api.responses import FastJSON
from tactful.domain.access import Scope
from tactful.services.ethics import DEFAULT_WEEKS, MAX_WEEKS

router = APIRouter(
    prefix="/v1/reports", tags=["reports"], dependencies=[require(Scope.PRIVACY_OFFICER)]
)

ETHICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: a printable, self-contained HTML page (no script, nothing "
        "fetched), or with format=json the figures it is made of.",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


@router.get(
    "/ethics",
    summary="The ethics report: latest fairness audit, consent rates, rights requests and "
    "complaints, guardrail activity, the recommenders' main parameters",
    response_class=HTMLResponse,
    responses=ETHICS_RESPONSES,
)
def ethics_report(
    service: Service,
    weeks: Annotated[
        int,
        Query(ge=1, le=MAX_WEEKS, description="Weeks covered, up to now (1-260)."),
    ] = DEFAULT_WEEKS,
    fmt: Annotated[
        Literal["html", "json"],
        Query(alias="format", description="html (a page to print) or json (the figures)."),
    ] = "html",
) -> Response:
    data, page = service.ethics.make(weeks, fmt=fmt)
    if page is None:
        return FastJSON(data)
    day = datetime.fromisoformat(data["period"]["end"]).strftime("%Y-%m-%d")
    return HTMLResponse(
        page, headers={"Content-Disposition": f'inline; filename="ethics-{day}.html"'}
    )
