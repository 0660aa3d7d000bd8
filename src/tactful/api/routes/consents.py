"""Reading and changing a subject's consent, purpose by purpose."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tactful.api.deps import Operator, Service
from tactful.ingestion.consents import ConsentChangeIn

router = APIRouter(prefix="/v1/subjects", tags=["consent"], dependencies=[Operator])


@router.put("/{subject_id}/consents", summary="Record choices (appended to the ledger)")
def put_consents(subject_id: str, change: ConsentChangeIn, service: Service) -> dict[str, Any]:
    return service.record_consents(subject_id, change)


@router.get("/{subject_id}/consents", summary="Current choices, level and ledger history")
def get_consents(subject_id: str, service: Service) -> dict[str, Any]:
    return service.consents(subject_id)
