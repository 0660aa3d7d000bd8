"""Liveness and store reachability."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tactful.api.deps import Service
from tactful.errors import StoreUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Is the service up and its store reachable?")
def healthz(service: Service) -> dict[str, Any]:
    try:
        with service.store.reading() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StoreUnavailable("The store does not answer.") from exc
    return {"status": "ok", "store": "ok"}
