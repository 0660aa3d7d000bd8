"""Complaints over HTTP: a person files and follows theirs under /v1/me; privacy officers
work the queue under /v1/complaints.

The consumer routes take no subject parameter: they are bound to the token's subject, and
another person's complaint or decision is answered like a missing one (404).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import Me, Service, audit_read, require
from tactful.audit.context import current_actor
from tactful.domain.access import Scope
from tactful.domain.complaints import (
    MAX_ITEM_ID,
    MAX_MESSAGE_REF,
    MAX_OWNER,
    MAX_RESOLUTION,
    MAX_TEXT,
    Reason,
    Status,
)

consumer = APIRouter(prefix="/v1/me/complaints", tags=["consumer"])
operator = APIRouter(
    prefix="/v1/complaints",
    tags=["complaints"],
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)


class ComplaintIn(BaseModel):
    """A report about a decision the person was shown (or one item of it), or a message."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    text: Annotated[str, Field(max_length=MAX_TEXT)] | None = Field(
        None, description="In the person's words; required when the reason is 'other'."
    )
    decision_id: uuid.UUID | None = Field(None, description="A decision the person was shown.")
    item_id: Annotated[str, Field(min_length=1, max_length=MAX_ITEM_ID)] | None = Field(
        None, description="One item of that decision: it is not shown to the person again."
    )
    message_ref: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_REF)] | None = Field(
        None, description="A message the person received, instead of a decision."
    )


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: Annotated[str, Field(min_length=1, max_length=MAX_OWNER)] | None = Field(
        None, description="Who handles it; omitted, the complaint is taken by the caller."
    )


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Annotated[str, Field(min_length=1, max_length=MAX_RESOLUTION)] = Field(
        description="The answer the person will read."
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=MAX_RESOLUTION)] = Field(
        description="Why the complaint is not upheld; the person will read it."
    )


@consumer.post("", status_code=201, summary="Report a decision, one item of it, or a message")
def file_complaint(subject_id: Me, body: ComplaintIn, service: Service) -> dict[str, Any]:
    return service.complaints.file(
        subject_id,
        reason=body.reason.value,
        text=body.text,
        decision_id=body.decision_id,
        item_id=body.item_id,
        message_ref=body.message_ref,
    )


@consumer.get("", summary="My complaints, newest first, with how each was handled")
def my_complaints(subject_id: Me, service: Service) -> dict[str, Any]:
    return {"complaints": service.complaints.of_subject(subject_id)}


@consumer.get("/{complaint_id}", summary="One of my complaints")
def my_complaint(subject_id: Me, complaint_id: str, service: Service) -> dict[str, Any]:
    return service.complaints.mine(subject_id, complaint_id)


@operator.get("", summary="The complaint queue, soonest due first (no personal text)")
def complaint_queue(
    service: Service,
    status: Annotated[
        list[Status] | None, Query(description="Only these statuses (repeatable).")
    ] = None,
    overdue: Annotated[bool, Query(description="Only those past due and still open.")] = False,
    owner: Annotated[
        str | None, Query(max_length=MAX_OWNER, description="Only those this person owns.")
    ] = None,
    limit: Annotated[int, Query(description="Page size (1-100).")] = 50,
    after: Annotated[str | None, Query(description="Page cursor (next_after).")] = None,
) -> dict[str, Any]:
    return service.complaints.queue(
        status=[s.value for s in status or ()],
        overdue=overdue,
        owner=owner,
        limit=limit,
        after=after,
    )


@operator.get("/{complaint_id}", summary="One complaint with the person's text (audited read)")
def complaint_detail(complaint_id: str, service: Service) -> dict[str, Any]:
    found = service.complaints.get(complaint_id)
    audit_read(service, found["subject_id"], "complaint")
    return found


@operator.post("/{complaint_id}/assign", summary="Give the complaint an owner; it is in review")
def assign_complaint(
    complaint_id: str, service: Service, body: AssignIn | None = None
) -> dict[str, Any]:
    owner = body.owner if body is not None and body.owner is not None else current_actor()
    return service.complaints.assign(complaint_id, owner)


@operator.post("/{complaint_id}/resolve", summary="Resolve the complaint with an answer")
def resolve_complaint(complaint_id: str, body: ResolveIn, service: Service) -> dict[str, Any]:
    return service.complaints.resolve(complaint_id, body.resolution)


@operator.post("/{complaint_id}/reject", summary="Reject the complaint, saying why")
def reject_complaint(complaint_id: str, body: RejectIn, service: Service) -> dict[str, Any]:
    return service.complaints.reject(complaint_id, body.reason)


router = APIRouter()
router.include_router(consumer)
router.include_router(operator)
