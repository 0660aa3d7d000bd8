"""Public documents: the notice, the recommender's main parameters, keys and GPC support.

None of these hold personal data, so none needs a credential: anyone may read what
Tactful does and check a receipt they were given.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import Service
from tactful.consent.signing import verify_receipt

router = APIRouter(tags=["transparency"])


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jws: Annotated[str, Field(min_length=1, max_length=100_000)]


@router.get("/v1/notice", summary="The privacy notice in force, with its purposes")
def get_notice(service: Service) -> dict[str, Any]:
    return service.notice()


@router.get("/v1/notice/versions", summary="Every published notice version and its changes")
def get_notice_versions(service: Service) -> dict[str, Any]:
    return {"versions": service.notice_versions()}


@router.get(
    "/v1/transparency/recommender",
    summary="Main parameters of each recommender and how to change them (DSA Art. 27)",
)
def get_main_parameters(service: Service) -> dict[str, Any]:
    return service.main_parameters()


@router.post("/v1/receipts/verify", summary="Check a consent receipt's signature")
def post_verify(body: ReceiptIn, service: Service) -> dict[str, Any]:
    claims = verify_receipt(body.jws.strip(), service.signer.jwks())
    return {"valid": True, "claims": claims}


@router.get("/.well-known/jwks.json", summary="Public keys that sign consent receipts")
def get_jwks(service: Service) -> dict[str, Any]:
    return service.signer.jwks()


@router.get("/.well-known/gpc.json", summary="Global Privacy Control support")
def get_gpc(service: Service) -> dict[str, Any]:
    return {"gpc": True, "lastUpdate": service.notices.current().published_at.date().isoformat()}
