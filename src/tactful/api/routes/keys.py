"""Operator API key management (admin scope): create, list, revoke."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tactful.api.deps import Service, require
from tactful.domain.access import Scope
from tactful.errors import FieldError, InvalidInput

router = APIRouter(prefix="/v1/keys", tags=["keys"], dependencies=[require(Scope.ADMIN)])


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, Field(min_length=1, max_length=128, description="Who or what will use the key.")
    ]
    scopes: Annotated[
        list[Scope],
        Field(min_length=1, max_length=len(Scope), description="What the key may do."),
    ]
    expires_at: AwareDatetime | None = Field(
        None, description="When the key stops working (ISO 8601 with a zone)."
    )
    expires_in_days: int | None = Field(
        None, ge=1, le=3650, description="Or: how many days from now the key stops working."
    )


def _expiry(body: KeyIn, now: datetime) -> datetime | None:
    if body.expires_at is not None and body.expires_in_days is not None:
        raise InvalidInput(
            "Give expires_at or expires_in_days, not both.",
            [FieldError("expires_in_days", "not with expires_at")],
        )
    if body.expires_in_days is not None:
        return now + timedelta(days=body.expires_in_days)
    return body.expires_at


@router.post(
    "", summary="Create a key; its text is in this answer and never again", status_code=201
)
def create_key(body: KeyIn, service: Service) -> dict[str, Any]:
    text, record = service.keys.create(body.name, body.scopes, _expiry(body, service.keys.clock()))
    return record | {
        "key": text,
        "note": "Store this key now: Tactful keeps only its hash and cannot show it again.",
    }


@router.get("", summary="Every key: name, scopes, status, last use (never the key itself)")
def list_keys(service: Service) -> dict[str, Any]:
    return {"keys": service.keys.list()}


@router.delete("/{key_id}", summary="Revoke a key (refused at once by every serving process)")
def revoke_key(key_id: str, service: Service) -> dict[str, Any]:
    return service.keys.revoke(key_id)
