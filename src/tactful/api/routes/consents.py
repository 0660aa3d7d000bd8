"""Reading and changing a subject's consent, purpose by purpose (operator API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import GPC, Service, audit_read, honour_gpc, require
from tactful.api.routes.me import TCStringIn
from tactful.consent.ledger import ConsentMethod
from tactful.domain.access import Scope
from tactful.ingestion.consents import ConsentChangeIn

router = APIRouter(prefix="/v1/subjects", tags=["consent"])

# Relaying a person's choices is ingestion; reading their record takes the privacy officer.
INGEST = [require(Scope.INGEST)]
RECOMMEND = [require(Scope.RECOMMEND)]
PERSONAL = [require(Scope.PRIVACY_OFFICER)]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ttl_seconds: Annotated[int, Field(description="Lifetime of the token, in seconds.")] = 3600


@router.put(
    "/{subject_id}/consents", summary="Record choices (appended to the ledger)", dependencies=INGEST
)
def put_consents(
    subject_id: str,
    change: ConsentChangeIn,
    service: Service,
    request: Request,
    response: Response,
    gpc: GPC,
) -> dict[str, Any]:
    # The operator's back end relays the person's browser's Sec-GPC header, if any.
    honour_gpc(service, subject_id, request, response)
    return service.record_consents(subject_id, change, gpc=gpc)


@router.get(
    "/{subject_id}/consents",
    summary="Current choices, level and ledger history",
    dependencies=PERSONAL,
)
def get_consents(subject_id: str, service: Service) -> dict[str, Any]:
    view = service.consents(subject_id)
    audit_read(service, subject_id, "consents")
    return view


@router.put(
    "/{subject_id}/consents/tcf",
    summary="Apply an IAB TCF v2 string (kept as evidence)",
    dependencies=INGEST,
)
def put_tcf(
    subject_id: str,
    body: TCStringIn,
    service: Service,
    request: Request,
    response: Response,
    gpc: GPC,
) -> dict[str, Any]:
    honour_gpc(service, subject_id, request, response)
    return service.apply_tcf(subject_id, body.tc_string, gpc=gpc)


@router.post(
    "/{subject_id}/gpc", summary="Relay a Global Privacy Control signal", dependencies=INGEST
)
def post_gpc(subject_id: str, service: Service) -> dict[str, Any]:
    changed = service.apply_gpc(subject_id)
    view = changed if changed is not None else service.consents(subject_id)
    return view | {"gpc": "honoured", "changed": changed is not None}


@router.post(
    "/{subject_id}/objection",
    summary="Record an objection to direct marketing",
    dependencies=INGEST,
)
def post_objection(subject_id: str, service: Service) -> dict[str, Any]:
    return service.object_to_marketing(subject_id, ConsentMethod.API)


@router.get(
    "/{subject_id}/receipts",
    summary="The subject's consent receipts, newest first",
    dependencies=PERSONAL,
)
def get_receipts(subject_id: str, service: Service) -> dict[str, Any]:
    receipts = service.receipts(subject_id)
    audit_read(service, subject_id, "receipts")
    return {"receipts": receipts}


@router.get(
    "/{subject_id}/receipts/{receipt_id}", summary="One consent receipt", dependencies=PERSONAL
)
def get_receipt(subject_id: str, receipt_id: str, service: Service) -> dict[str, Any]:
    receipt = service.receipt(subject_id, receipt_id)
    audit_read(service, subject_id, "receipt")
    return receipt


@router.post(
    "/{subject_id}/tokens",
    summary="Issue a subject token for the consumer API (/v1/me)",
    status_code=201,
    dependencies=RECOMMEND,
)
def post_token(subject_id: str, service: Service, body: TokenIn | None = None) -> dict[str, Any]:
    return service.issue_token(subject_id, (body or TokenIn()).ttl_seconds)


@router.get(
    "/{subject_id}/inventory",
    summary="What is held about the subject, and why",
    dependencies=PERSONAL,
)
def get_inventory(subject_id: str, service: Service) -> dict[str, Any]:
    inventory = service.inventory(subject_id)
    audit_read(service, subject_id, "inventory")
    return inventory
