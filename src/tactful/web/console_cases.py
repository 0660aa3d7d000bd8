"""The Console's case work: the register of rights requests and the complaints queue (for
privacy officers), and, from `console_audits`, the fairness audits (for analysts).

Each page calls the facade method its operator route calls, with the same scope. The
request register names no one (as `GET /v1/rights-requests`: an erased person's id is gone,
and the others' are not needed to follow a deadline), and the complaint queue shows no
person's words; opening one complaint shows its subject and text, and that read is written
to the audit log as the signed-in key's, as `GET /v1/complaints/{id}` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tactful.audit.context import current_actor
from tactful.domain.access import Scope
from tactful.domain.complaints import (
    MAX_OWNER,
    MAX_RESOLUTION,
    Reason,
    Status,
    clean_line,
    clean_text,
)
from tactful.errors import InvalidInput
from tactful.services.erasure import COMPLETED, RECEIVED, RETRAINING, ROWS_ERASED
from tactful.services.ethics_sections import RIGHTS_KINDS
from tactful.web import console_audits
from tactful.web.console_common import FormText, Who, service_of, show, translator_of
from tactful.web.console_session import Staff, check_form
from tactful.web.sessions import CONSOLE_PATH

cases = APIRouter(include_in_schema=False)
PAGE = 50
REQUEST_STATUSES = (RECEIVED, ROWS_ERASED, RETRAINING, COMPLETED)


# -- rights requests -------------------------------------------------------------------------
def request_labels(t: Callable[..., str]) -> dict[str, dict[str, str]]:
    return {
        "status": {
            RECEIVED: t("Received"),
            ROWS_ERASED: t("Data erased, models waiting"),
            RETRAINING: t("Models being retrained"),
            COMPLETED: t("Completed"),
            "retry": t("Retraining to be tried again"),
            "models_retrained": t("Models retrained"),
        },
        "kind": {
            "access": t("Access (a copy of the data)"),
            "rectification": t("Rectification"),
            "erasure": t("Erasure"),
        },
        "via": {"consumer": t("the person"), "operator": t("an operator")},
        "detail": {
            "rows_deleted": t("Rows deleted, per table"),
            "key_destroyed": t("The person's data key destroyed"),
            "model_state": t("Models"),
            "models_retrained": t("Models retrained"),
            "retraining_note": t("Retraining"),
            "format": t("Format"),
            "counts": t("Records included, per kind"),
            "fields": t("Fields corrected"),
        },
    }


@cases.get("/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    who: Who,
    status: str = "",
    kind: str = "",
    overdue: bool = False,
    before: str | None = None,
) -> HTMLResponse:
    who.require(Scope.PRIVACY_OFFICER)
    wrong = [
        name
        for name, value, allowed in (
            ("status", status, REQUEST_STATUSES),
            ("kind", kind, RIGHTS_KINDS),
        )
        if value and value not in allowed
    ]
    if wrong:
        raise InvalidInput(f"Unknown {' and '.join(wrong)} in the filter.")
    found = service_of(request).rights_requests(
        status=status or None, kind=kind or None, overdue=overdue, limit=PAGE, before=before
    )
    filters = {"status": status, "kind": kind, "overdue": overdue}
    following = found["next_before"]
    return show(
        request,
        who,
        "console/requests.html",
        {
            "requests": found["requests"],
            "filters": filters,
            "statuses": REQUEST_STATUSES,
            "kinds": RIGHTS_KINDS,
            "labels": request_labels(translator_of(request)),
            "older": None if following is None else _link("/requests", filters, before=following),
            "paged": before is not None,
        },
    )


@cases.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, who: Who, request_id: str) -> HTMLResponse:
    who.require(Scope.PRIVACY_OFFICER)
    found = service_of(request).rights_request(request_id)
    return show(
        request,
        who,
        "console/request.html",
        # What its steps did: counts and names, never a value about the person.
        {
            "r": found,
            "labels": request_labels(translator_of(request)),
            "done": sorted(found["detail"].items()),
        },
    )


# -- complaints ------------------------------------------------------------------------------
def complaint_labels(t: Callable[..., str]) -> dict[str, dict[str, str]]:
    return {
        "status": {
            Status.OPEN: t("Open"),
            Status.IN_REVIEW: t("In review"),
            Status.RESOLVED: t("Resolved"),
            Status.REJECTED: t("Rejected"),
        },
        "reason": {
            Reason.INTRUSIVE: t("Intrusive"),
            Reason.IRRELEVANT: t("Irrelevant"),
            Reason.OFFENSIVE: t("Offensive"),
            Reason.MANIPULATIVE: t("Manipulative"),
            Reason.OTHER: t("Other"),
        },
        "about": {
            "decision": t("A whole list of recommendations"),
            "item": t("One recommended item"),
            "message": t("A message"),
        },
    }


@cases.get("/complaints", response_class=HTMLResponse)
def complaints_page(
    request: Request,
    who: Who,
    status: str = "",
    overdue: bool = False,
    owner: str = "",
    after: str | None = None,
) -> HTMLResponse:
    who.require(Scope.PRIVACY_OFFICER)
    found = service_of(request).complaints.queue(
        status=[status] if status else [],
        overdue=overdue,
        owner=owner or None,
        limit=PAGE,
        after=after,
    )
    filters = {"status": status, "overdue": overdue, "owner": owner}
    following = found["next_after"]
    return show(
        request,
        who,
        "console/complaints.html",
        {
            "complaints": found["complaints"],
            "filters": filters,
            "statuses": list(Status),
            "labels": complaint_labels(translator_of(request)),
            "later": None if following is None else _link("/complaints", filters, after=following),
            "paged": after is not None,
            "max_owner": MAX_OWNER,
        },
    )


@cases.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(
    request: Request, who: Who, complaint_id: str, done: str | None = None
) -> HTMLResponse:
    who.require(Scope.PRIVACY_OFFICER)
    t = translator_of(request)
    notices = {
        "assigned": t("The complaint is assigned and in review."),
        "resolved": t("The complaint is resolved; the person can read your answer."),
        "rejected": t("The complaint is rejected; the person can read why."),
    }
    return _complaint(
        request, who, complaint_id, notices=[notices[done]] if done in notices else []
    )


def _complaint(
    request: Request,
    who: Staff,
    complaint_id: str,
    *,
    notices: list[str] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The complaint with the person's words: an audited read, each time it is shown."""
    service = service_of(request)
    found = service.complaints.get(complaint_id)
    service.audit.record(
        "personal_data.read",
        subject_id=found["subject_id"],
        detail={"what": "complaint", "via": "console"},
    )
    return show(
        request,
        who,
        "console/complaint.html",
        {
            "c": found,
            "labels": complaint_labels(translator_of(request)),
            "errors": errors or {},
            "values": values or {},
            "max_owner": MAX_OWNER,
            "max_answer": MAX_RESOLUTION,
        },
        notices=notices,
        status=422 if errors else 200,
    )


def _act_url(complaint_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"{CONSOLE_PATH}/complaints/{complaint_id}?done={done}", status_code=303
    )


@cases.post("/complaints/{complaint_id}/assign", response_class=HTMLResponse)
def assign(
    request: Request, who: Who, complaint_id: str, csrf: FormText = "", owner: FormText = ""
) -> Response:
    check_form(request, who, csrf)
    who.require(Scope.PRIVACY_OFFICER)
    name = clean_line(owner)
    if len(name) > MAX_OWNER:
        t = translator_of(request)
        problem = t("A name of at most %(n)s characters, please.", n=MAX_OWNER)
        return _complaint(
            request, who, complaint_id, errors={"owner": problem}, values={"owner": owner}
        )
    # Left empty, the complaint is taken by the signed-in key, as the API does.
    service_of(request).complaints.assign(complaint_id, name or current_actor())
    return _act_url(complaint_id, "assigned")


@cases.post("/complaints/{complaint_id}/resolve", response_class=HTMLResponse)
def resolve(
    request: Request, who: Who, complaint_id: str, csrf: FormText = "", resolution: FormText = ""
) -> Response:
    return _answer(request, who, complaint_id, csrf, "resolution", resolution)


@cases.post("/complaints/{complaint_id}/reject", response_class=HTMLResponse)
def reject(
    request: Request, who: Who, complaint_id: str, csrf: FormText = "", reason: FormText = ""
) -> Response:
    return _answer(request, who, complaint_id, csrf, "reason", reason)


def _answer(
    request: Request, who: Staff, complaint_id: str, csrf: str, field: str, text: str
) -> Response:
    """Close a complaint with words the person reads: a resolution, or a rejection's
    reason; an answer that cannot be sent shows the form again and changes nothing."""
    check_form(request, who, csrf)
    who.require(Scope.PRIVACY_OFFICER)
    problem = _answer_problem(request, text)
    if problem is not None:
        return _complaint(request, who, complaint_id, errors={field: problem}, values={field: text})
    complaints = service_of(request).complaints
    if field == "resolution":
        complaints.resolve(complaint_id, text)
        return _act_url(complaint_id, "resolved")
    complaints.reject(complaint_id, text)
    return _act_url(complaint_id, "rejected")


def _answer_problem(request: Request, text: str) -> str | None:
    """Why an answer the person would read cannot be sent, or None when it can."""
    t = translator_of(request)
    cleaned = clean_text(text)
    if not cleaned:
        return t("Write what the person will read; nothing was changed.")
    if len(cleaned) > MAX_RESOLUTION:
        return t("At most %(n)s characters, please; nothing was changed.", n=MAX_RESOLUTION)
    return None


def _link(path: str, filters: dict[str, Any], **cursor: str) -> str:
    kept = {k: ("true" if v is True else v) for k, v in filters.items() if v}
    return f"{CONSOLE_PATH}{path}?{urlencode({**kept, **cursor})}"


router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)
router.include_router(cases)
router.include_router(console_audits.router)
