"""The person's protections over HTTP: their self-exclusions and their vulnerability flag.

The person manages theirs under /v1/me. Privacy officers act on a person's request under
/v1/subjects/{subject_id}: they can read, add or extend an exclusion and set or clear the
flag, but never lift an exclusion, which only the person can do. Reads by an officer are
audited; every change is audited by the service in the transaction that makes it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import Me, Service, audit_read, require
from tactful.domain.access import Scope
from tactful.services.protections import MAX_DAYS, MIN_DAYS

consumer = APIRouter(prefix="/v1/me", tags=["consumer"])
operator = APIRouter(
    prefix="/v1/subjects/{subject_id}",
    tags=["rights"],
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)

Category = Annotated[str, Path(min_length=1, max_length=64, description="A category code.")]


class SelfExclusionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="A category the policy lets a person exclude themselves from "
        "(`self_excludable` in GET .../protections)."
    )
    days: Annotated[int, Field(ge=MIN_DAYS, le=MAX_DAYS, strict=True)] | None = Field(
        None,
        description="How long it lasts; null or absent: until lifted, and a lift takes effect "
        "only after the cooling-off days. One in force is extended, never shortened.",
    )


class VulnerabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vulnerable: bool = Field(
        strict=True,
        description="true: harm-prone categories are never pushed to the person; false "
        "clears it at once.",
    )


@consumer.get("/protections", summary="My self-exclusions and vulnerability flag")
def my_protections(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.protections.of(subject_id)


@consumer.post("/self-exclusions", summary="Exclude myself from a category, for days or no end")
def exclude_myself(subject_id: Me, body: SelfExclusionIn, service: Service) -> dict[str, Any]:
    return service.protections.self_exclude(subject_id, body.category, body.days)


@consumer.post(
    "/self-exclusions/{category}/lift",
    summary="Lift my self-exclusion without an end, after the cooling-off days",
)
def lift_my_exclusion(subject_id: Me, category: Category, service: Service) -> dict[str, Any]:
    return service.protections.lift(subject_id, category)


@consumer.put("/vulnerability", summary="Say that I am vulnerable, or take it back")
def my_vulnerability(subject_id: Me, body: VulnerabilityIn, service: Service) -> dict[str, Any]:
    return service.protections.set_vulnerable(subject_id, body.vulnerable)


@operator.get("/protections", summary="A person's protections (an audited read)")
def subject_protections(subject_id: str, service: Service) -> dict[str, Any]:
    found = service.protections.of(subject_id)
    audit_read(service, subject_id, "protections")
    return found


@operator.post(
    "/self-exclusions", summary="Add or extend a person's self-exclusion, at their request"
)
def exclude_subject(subject_id: str, body: SelfExclusionIn, service: Service) -> dict[str, Any]:
    return service.protections.self_exclude(subject_id, body.category, body.days)


@operator.put(
    "/vulnerability", summary="Set or clear a person's vulnerability flag, at their request"
)
def subject_vulnerability(
    subject_id: str, body: VulnerabilityIn, service: Service
) -> dict[str, Any]:
    return service.protections.set_vulnerable(subject_id, body.vulnerable)


router = APIRouter()
router.include_router(consumer)
router.include_router(operator)
