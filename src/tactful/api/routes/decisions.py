"""Recommendations (each one a recorded decision) and the records themselves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from tactful.api.deps import Operator, Service
from tactful.api.responses import FastJSON

router = APIRouter(prefix="/v1", tags=["decisions"], dependencies=[Operator])


@router.get(
    "/subjects/{subject_id}/recommendations",
    summary="Decide what to show one subject, with an explanation per item",
)
async def get_recommendations(
    subject_id: str,
    service: Service,
    k: Annotated[int, Query(description="How many items (1 to the configured maximum).")] = 10,
    surface: Annotated[str, Query(description="Where the items will be shown.")] = "home",
) -> FastJSON:
    return FastJSON(service.recommend(subject_id, k=k, surface=surface))


@router.get("/decisions/{decision_id}", summary="A stored decision record")
def get_decision(decision_id: str, service: Service) -> dict[str, Any]:
    return service.decision(decision_id)
