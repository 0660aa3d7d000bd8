"""Access, portability and rectification over HTTP (GDPR Art. 15, 16 and 20).

The person reaches their own data under `/v1/me` (bound to their token; no parameter names
a subject). Privacy officers reach anyone's under `/v1/subjects/{subject_id}`, and every
such read of personal data is written to the audit log as theirs. The export's JSON Schema
is public.

Removing events is a `POST .../events/remove`, not a `DELETE` with a body: a body on DELETE
has no defined meaning in HTTP (RFC 9110 §9.3.5), so proxies and clients may drop it, and
the request names a list (or an item), not one resource that a DELETE could address.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tactful.api.deps import Me, Service, audit_read, gpc_headers, require
from tactful.domain.access import Scope
from tactful.ingestion.schemas import Identifier
from tactful.service import Tactful
from tactful.services.export import export_schema, export_subject, render_export_html
from tactful.services.rectification import (
    MAX_EVENT_IDS,
    MAX_PAGE,
    ProfileChange,
    correct_profile,
    get_profile,
    history_page,
    remove_events,
    remove_events_by_item,
)
from tactful.web.i18n import negotiate, translations

consumer = APIRouter(prefix="/v1/me", tags=["consumer"])
operator = APIRouter(
    prefix="/v1/subjects/{subject_id}",
    tags=["rights"],
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)
public = APIRouter(tags=["transparency"])

EventId = Annotated[int, Field(ge=1, le=2**63 - 1)]
HTML_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The export as a readable page, as a file to save."}
}


class RemoveEventsIn(BaseModel):
    """Events to remove from the history: a list of event ids, or every event about one
    item. Either all are removed or, if any id is not one of the person's events, none."""

    model_config = ConfigDict(extra="forbid")

    event_ids: Annotated[list[EventId], Field(min_length=1, max_length=MAX_EVENT_IDS)] | None = (
        Field(None, description=f"Ids of the person's events (at most {MAX_EVENT_IDS}).")
    )
    item_id: Identifier | None = Field(
        None, description="Forget every event about this item instead."
    )

    @model_validator(mode="after")
    def _one_of(self) -> RemoveEventsIn:
        if (self.event_ids is None) == (self.item_id is None):
            raise ValueError("give either event_ids or item_id")
        return self


def _remove(service: Tactful, subject_id: str, body: RemoveEventsIn, via: str) -> dict[str, Any]:
    if body.item_id is not None:
        return remove_events_by_item(service, subject_id, body.item_id, via=via)
    return remove_events(service, subject_id, body.event_ids or [], via=via)


def _page(export: dict[str, Any], request: Request) -> HTMLResponse:
    """The readable export in the language the client asks for (Accept-Language; English
    when it names none of the pages' languages)."""
    day = datetime.fromisoformat(export["generated_at"]).astimezone(UTC).strftime("%Y%m%d")
    locale = negotiate(None, None, request.headers.get("accept-language"))
    return HTMLResponse(
        render_export_html(export, translations(locale), lang=locale),
        headers={
            "Content-Disposition": f'attachment; filename="tactful-export-{day}.html"',
            "Content-Language": locale,
            "Vary": "Accept-Language",
            **gpc_headers(request),
        },
    )


# -- the person -----------------------------------------------------------------------------
@consumer.get("/export", summary="Everything held about me, as JSON (see the export schema)")
def my_export(subject_id: Me, service: Service) -> dict[str, Any]:
    return export_subject(service, subject_id, format="json", via="consumer")


@consumer.get(
    "/export.html",
    summary="Everything held about me, as a page to save and read",
    response_class=HTMLResponse,
    responses=HTML_PAGE,
)
def my_export_page(subject_id: Me, service: Service, request: Request) -> HTMLResponse:
    return _page(export_subject(service, subject_id, format="html", via="consumer"), request)


@consumer.get("/profile", summary="My profile: attributes and identifying fields")
def my_profile(subject_id: Me, service: Service) -> dict[str, Any]:
    return get_profile(service, subject_id)


@consumer.patch(
    "/profile",
    summary="Correct my profile: a field set to null is cleared, a field left out is kept",
)
def correct_my_profile(subject_id: Me, body: ProfileChange, service: Service) -> dict[str, Any]:
    change = body.model_dump(mode="json", exclude_unset=True)
    return correct_profile(service, subject_id, change, via="consumer")


@consumer.get("/events", summary="My history, newest first, in pages: pick events to remove")
def my_events(
    subject_id: Me,
    service: Service,
    limit: Annotated[int, Query(description=f"Page size (1-{MAX_PAGE}).")] = 50,
    before: Annotated[str | None, Query(description="Page cursor (next_before).")] = None,
    item_id: Annotated[str | None, Query(description="Only events about this item.")] = None,
) -> dict[str, Any]:
    return history_page(service, subject_id, limit=limit, before=before, item_id=item_id)


@consumer.post(
    "/events/remove",
    summary="Remove events from my history (all or none), effective on the next decision",
)
def remove_my_events(subject_id: Me, body: RemoveEventsIn, service: Service) -> dict[str, Any]:
    return _remove(service, subject_id, body, "consumer")


# -- the privacy officer ----------------------------------------------------------------------
@operator.get("/export", summary="Everything held about a subject, as JSON (audited read)")
def subject_export(subject_id: str, service: Service) -> dict[str, Any]:
    export = export_subject(service, subject_id, format="json", via="operator")
    audit_read(service, subject_id, "export")
    return export


@operator.get(
    "/export.html",
    summary="Everything held about a subject, as a page (audited read)",
    response_class=HTMLResponse,
    responses=HTML_PAGE,
)
def subject_export_page(subject_id: str, service: Service, request: Request) -> HTMLResponse:
    export = export_subject(service, subject_id, format="html", via="operator")
    audit_read(service, subject_id, "export")
    return _page(export, request)


@operator.get("/profile", summary="A subject's profile (audited read)")
def subject_profile(subject_id: str, service: Service) -> dict[str, Any]:
    profile = get_profile(service, subject_id)
    audit_read(service, subject_id, "profile")
    return profile


@operator.patch("/profile", summary="Correct a subject's profile on their behalf")
def correct_subject_profile(
    subject_id: str, body: ProfileChange, service: Service
) -> dict[str, Any]:
    change = body.model_dump(mode="json", exclude_unset=True)
    profile = correct_profile(service, subject_id, change, via="operator")
    audit_read(service, subject_id, "profile")
    return profile


@operator.post("/events/remove", summary="Remove events from a subject's history (all or none)")
def remove_subject_events(
    subject_id: str, body: RemoveEventsIn, service: Service
) -> dict[str, Any]:
    return _remove(service, subject_id, body, "operator")


# -- public ---------------------------------------------------------------------------------
@public.get(
    "/v1/schemas/subject-export.json",
    summary="The JSON Schema of the subject export (draft 2020-12)",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The schema; its descriptions document every field.",
            "content": {"application/schema+json": {"schema": {"type": "object"}}},
        }
    },
)
def subject_export_schema() -> JSONResponse:
    return JSONResponse(export_schema(), media_type="application/schema+json")


router = APIRouter()
router.include_router(consumer)
router.include_router(operator)
router.include_router(public)
