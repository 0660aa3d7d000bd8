"""The audit log for the privacy officer: its entries, and a check of the whole chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tactful.api.deps import Service, require
from tactful.audit.chain import AuditAction, ProblemKind
from tactful.domain.access import Scope
from tactful.services.audit import MAX_LIMIT, MAX_SEQ

router = APIRouter(
    prefix="/v1/audit", tags=["audit"], dependencies=[require(Scope.PRIVACY_OFFICER)]
)


class EntryOut(BaseModel):
    seq: int = Field(description="Position in the chain, from 1 with no gaps.")
    at: str = Field(description="When it was appended (UTC, ISO 8601).")
    actor: str = Field(description='Who acted: "key:<id>", "subject", "cli", "system".')
    action: str = Field(description="What was done: a dotted name such as consent.changed.")
    subject_ref: str | None = Field(
        description="The subject's keyed fingerprint (never their id), if about one person."
    )
    detail: dict[str, Any] = Field(description="What happened; never personal data.")
    prev_hash: str = Field(description="SHA-256 (hex) of the entry before; 64 zeros for seq 1.")
    hash: str = Field(description="SHA-256 (hex) over this entry's canonical JSON.")


class EntriesOut(BaseModel):
    entries: list[EntryOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next (older) page; null on the last page."
    )


class ProblemOut(BaseModel):
    seq: int = Field(description="Where the problem was found.")
    kind: ProblemKind
    message: str


class ReportOut(BaseModel):
    ok: bool = Field(description="True when nothing was found wrong.")
    entries_checked: int
    checkpoints_checked: int
    first_bad_seq: int | None
    problems: list[ProblemOut]


@router.get(
    "/entries",
    summary="Audit log entries, newest first",
    response_model=EntriesOut,
)
def get_entries(
    service: Service,
    subject_id: Annotated[
        str | None,
        Query(min_length=1, max_length=128, description="Only entries about this subject."),
    ] = None,
    action: Annotated[AuditAction | None, Query(description="Only this action.")] = None,
    since: Annotated[
        datetime | None, Query(description="Only entries at or after this time (with a zone).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_SEQ, description="Only entries before this seq.")
    ] = None,
) -> dict[str, Any]:
    entries = service.audit.entries(
        subject_id=subject_id, action=action, since=since, limit=limit, before=before
    )
    next_before = entries[-1].seq if len(entries) == limit and entries[-1].seq > 1 else None
    return {"entries": [e.as_dict() for e in entries], "next_before": next_before}


@router.get(
    "/verify",
    summary="Verify the whole chain, its signed checkpoints and its head",
    response_model=ReportOut,
)
def get_verify(service: Service) -> dict[str, Any]:
    return service.audit.verify().as_dict()
