"""Batch ingestion of items, subjects and events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from tactful.api.deps import Service, require
from tactful.domain.access import Scope

router = APIRouter(prefix="/v1", tags=["ingestion"], dependencies=[require(Scope.INGEST)])

Batch = Annotated[
    list[Any],
    Body(description="A JSON array of rows. Atomic: one bad row rejects the whole batch."),
]


@router.post("/items", summary="Add or replace catalog items")
def post_items(service: Service, rows: Batch) -> dict[str, Any]:
    return service.ingest_items(rows).as_dict()


@router.post("/subjects", summary="Add or update subjects and their attributes")
def post_subjects(service: Service, rows: Batch) -> dict[str, Any]:
    return service.ingest_subjects(rows).as_dict()


@router.post(
    "/events",
    summary="Add events; those no granted purpose covers are counted and not stored",
)
def post_events(service: Service, rows: Batch) -> dict[str, Any]:
    return service.ingest_events(rows).as_dict()
