"""The Privacy Center's consent receipts: the list of them, and each one as the signed file
(JWS) the person can keep and have verified anywhere.

Another person's receipt is answered like a missing one (404), as the consumer API does.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from tactful.web.center_common import Who, pages_of, purpose_titles, service_of
from tactful.web.center_session import center_context
from tactful.web.sessions import CENTER_PATH

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)


@router.get("/receipts")
def receipts(request: Request, who: Who) -> HTMLResponse:
    service = service_of(request)
    context = {
        "receipts": service.receipts(who.subject_id),
        "titles": purpose_titles(service),
        **center_context(who),
    }
    return pages_of(request).render(request, "center/receipts.html", context, session=who.session)


@router.get("/receipts/{receipt_id}.jws")
def receipt_file(request: Request, who: Who, receipt_id: str) -> Response:
    """The bare JWS, as `GET /v1/me/receipts/{id}?download=true`."""
    found = service_of(request).receipt(who.subject_id, receipt_id)
    return Response(
        found["jws"],
        media_type="application/jose",
        headers={
            "Content-Disposition": f'attachment; filename="receipt-{found["receipt_id"]}.jws"',
            "Cache-Control": "no-store",
        },
    )
