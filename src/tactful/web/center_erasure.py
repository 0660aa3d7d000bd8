"""The Privacy Center's erasure: the form that erases the person (`POST /v1/me/erasure`) and
the status page of a rights request.

The status page needs no session: an erased person's link no longer opens the center, and
the request id alone (random, naming no one) is what they keep, as with the public
`GET /v1/rights-requests/{id}/status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from tactful.web.center_common import Text, Who, pages_of, see, service_of, translator_of
from tactful.web.center_session import center_context, check_form
from tactful.web.sessions import CENTER_COOKIE, CENTER_PATH, end_session

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)


@router.get("/erase")
def erase_form(request: Request, who: Who) -> HTMLResponse:
    context = {"error": None, **center_context(who)}
    return pages_of(request).render(request, "center/erase.html", context, session=who.session)


@router.post("/erase")
def erase(request: Request, who: Who, csrf: Text = "", confirm: Text = "") -> Response:
    """`POST /v1/me/erasure`: the rows and the key go now, the models are retrained in the
    background; the person follows it on the status page, which needs no session."""
    check_form(request, who, csrf)
    if confirm != "yes":
        t = translator_of(request)
        context = {
            "error": t("Tick “I understand this cannot be undone” to erase; nothing was erased."),
            **center_context(who),
        }
        return pages_of(request).render(
            request, "center/erase.html", context, status=422, session=who.session
        )
    view = service_of(request).request_erasure(who.subject_id, via="consumer")
    worker = getattr(request.app.state, "erasure_worker", None)
    if worker is not None:
        worker.wake()
    response = see(f"{CENTER_PATH}/requests/{view['request_id']}")
    end_session(request, response, CENTER_COOKIE, CENTER_PATH)
    return response


ERASURE_STEPS = ("received", "rows_erased", "models_retrained")


@router.get("/requests/{request_id}")
def request_status(request: Request, request_id: str) -> HTMLResponse:
    """A rights request's status by its id alone, as `GET /v1/rights-requests/{id}/status`.

    While it is under way the page's status region keeps itself up to date through the
    service's one small script, announced politely to a screen reader; the page itself
    never reloads or moves on its own (WCAG 2.2.1), and works without script."""
    view = service_of(request).rights_request(request_id)
    finished = view["completed_at"] is not None
    return pages_of(request).render(
        request,
        "center/request.html",
        {"req": view, "steps": _steps(view), "finished": finished},
    )


def _steps(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each step with its state: done (and when), under way, or still to come. An erasure
    shows its three steps from the start; other requests show the steps they went through."""
    recorded = {s["step"]: s["at"] for s in view["steps"]}
    if view["kind"] != "erasure":
        return [{"step": s["step"], "state": "done", "at": s["at"]} for s in view["steps"]]
    steps = []
    waiting = False
    for step in ERASURE_STEPS:
        if step in recorded:
            steps.append({"step": step, "state": "done", "at": recorded[step]})
        else:
            steps.append({"step": step, "state": "waiting" if waiting else "doing", "at": None})
            waiting = True
    return steps
