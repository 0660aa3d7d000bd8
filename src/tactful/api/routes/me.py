"""The consumer API: one person's own notice, choices, receipts and decisions.

Every route is bound to the subject of the bearer token the operator issued for them;
no parameter names a subject, so no request can reach another person's data.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import GPC, Me, Service, gpc_headers
from tactful.consent.ledger import ConsentMethod
from tactful.consent.levels import PersonalizationLevel
from tactful.ingestion.consents import ConsentChoiceIn

router = APIRouter(prefix="/v1/me", tags=["consumer"])


class MyChoicesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choices: Annotated[list[ConsentChoiceIn], Field(min_length=1, max_length=100)]
    notice_version: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="The notice version the person was shown; must be the current one."
    )


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: PersonalizationLevel


class TCStringIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tc_string: Annotated[str, Field(min_length=1, max_length=10_000)]


@router.get("", summary="Who the token is for, the level, and any choices needed")
def me(subject_id: Me, service: Service) -> dict[str, Any]:
    view = service.consents(subject_id)
    return {
        "subject_id": subject_id,
        "level": view["level"],
        "level_reason": view["level_reason"],
        "choices_needed": view["choices_needed"],
        "notice_version": view["notice_version"],
        "links": {
            "notice": "/v1/me/notice",
            "consents": "/v1/me/consents",
            "level": "/v1/me/level",
            "receipts": "/v1/me/receipts",
            "decisions": "/v1/me/decisions",
            "inventory": "/v1/me/inventory",
            "export": "/v1/me/export",
            "export_page": "/v1/me/export.html",
            "profile": "/v1/me/profile",
            "events": "/v1/me/events",
            "complaints": "/v1/me/complaints",
            "requests": "/v1/me/requests",
            "erasure": "/v1/me/erasure",
            "main_parameters": "/v1/transparency/recommender",
        },
    }


@router.get("/notice", summary="The privacy notice in force, in plain language")
def my_notice(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.notice()


@router.get("/consents", summary="My choices per purpose, and which need choosing again")
def my_consents(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.consents(subject_id)


@router.put("/consents", summary="Change my choices; answers with a signed receipt")
def change_my_consents(
    subject_id: Me, change: MyChoicesIn, service: Service, gpc: GPC
) -> dict[str, Any]:
    body = {
        "choices": [c.model_dump() for c in change.choices],
        "notice_version": change.notice_version,
        "method": ConsentMethod.WEB_FORM.value,
    }
    return service.record_consents(subject_id, body, gpc=gpc)


@router.put("/level", summary="Choose how much personalization: off, aggregate, basic or full")
def set_my_level(subject_id: Me, choice: LevelIn, service: Service) -> dict[str, Any]:
    return service.set_level(subject_id, choice.level, ConsentMethod.WEB_FORM)


@router.put("/consents/tcf", summary="Apply an IAB TCF string from my consent banner")
def my_tcf(subject_id: Me, body: TCStringIn, service: Service, gpc: GPC) -> dict[str, Any]:
    return service.apply_tcf(subject_id, body.tc_string, gpc=gpc)


@router.post("/objection", summary="Object to direct marketing (absolute, GDPR Art. 21)")
def object_to_marketing(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.object_to_marketing(subject_id, ConsentMethod.WEB_FORM)


@router.delete("/objection", summary="Lift my objection to direct marketing")
def lift_objection(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.lift_objection(subject_id)


@router.get("/receipts", summary="My consent receipts, newest first")
def my_receipts(subject_id: Me, service: Service) -> dict[str, Any]:
    return {"receipts": service.receipts(subject_id)}


@router.get("/receipts/{receipt_id}", summary="One receipt (its JWS verifies offline)")
def my_receipt(
    subject_id: Me,
    receipt_id: str,
    service: Service,
    request: Request,
    download: Annotated[bool, Query(description="Answer the bare JWS as a file.")] = False,
) -> Any:
    found = service.receipt(subject_id, receipt_id)
    if download:
        return Response(
            found["jws"],
            media_type="application/jose",
            headers={
                "Content-Disposition": f'attachment; filename="receipt-{receipt_id}.jws"',
                **gpc_headers(request),
            },
        )
    return found


@router.get("/recommendations", summary="Recommendations for me, each with its reason")
def my_recommendations(
    subject_id: Me,
    service: Service,
    k: Annotated[int, Query(description="How many items.")] = 10,
    surface: Annotated[str, Query(description="Where they will be shown.")] = "home",
) -> dict[str, Any]:
    return service.recommend(subject_id, k=k, surface=surface)


@router.get("/decisions", summary="What I was shown, newest first")
def my_decisions(
    subject_id: Me,
    service: Service,
    limit: Annotated[int, Query(description="Page size (1-100).")] = 20,
    before: Annotated[str | None, Query(description="Page cursor (next_before).")] = None,
) -> dict[str, Any]:
    return service.decisions_of(subject_id, limit, before)


@router.get("/decisions/{decision_id}", summary="Why am I seeing this? (a whole decision)")
def why_decision(subject_id: Me, decision_id: str, service: Service) -> dict[str, Any]:
    return service.why(subject_id, decision_id)


@router.get("/decisions/{decision_id}/items/{item_id}", summary="Why am I seeing this item?")
def why_item(subject_id: Me, decision_id: str, item_id: str, service: Service) -> dict[str, Any]:
    return service.why(subject_id, decision_id, item_id)


@router.get("/inventory", summary="What is held about me, from where, why and until when")
def my_inventory(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.inventory(subject_id)
