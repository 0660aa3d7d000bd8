"""Erasure requests and the status of every rights request.

The person asks through `/v1/me/erasure`; their token stops working as soon as their rows
are gone, so the answer carries a status address that needs no token: the request id is
random and the status names no one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import Me, Service, require
from tactful.domain.access import Scope

router = APIRouter(tags=["rights"])

Status = Literal["received", "rows_erased", "retraining", "completed"]
Kind = Literal["access", "rectification", "erasure"]


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: Literal[True] = Field(
        description="Must be true: erasure cannot be undone.",
    )


def _wake_worker(request: Request) -> None:
    worker = getattr(request.app.state, "erasure_worker", None)
    if worker is not None:
        worker.wake()


@router.post(
    "/v1/me/erasure",
    status_code=202,
    summary="Erase everything held about me, models included; answers the request's status",
)
def erase_me(subject_id: Me, body: ErasureIn, service: Service, request: Request) -> dict[str, Any]:
    view = service.request_erasure(subject_id, via="consumer")
    _wake_worker(request)
    return view


@router.get("/v1/me/requests", summary="My rights requests and their status")
def my_requests(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.rights_requests(subject_id=subject_id, limit=200)


@router.get(
    "/v1/rights-requests/{request_id}/status",
    summary="The status of one rights request, by its id alone (names no one)",
)
def request_status(request_id: str, service: Service) -> dict[str, Any]:
    view = service.rights_request(request_id)
    return {
        k: view[k]
        for k in (
            "request_id",
            "kind",
            "status",
            "received_at",
            "due_at",
            "completed_at",
            "overdue",
            "steps",
        )
    }


@router.post(
    "/v1/subjects/{subject_id}/erasure",
    status_code=202,
    summary="Erase a subject on their behalf (models retrained in the background)",
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)
def erase_subject(
    subject_id: str, body: ErasureIn, service: Service, request: Request
) -> dict[str, Any]:
    view = service.request_erasure(subject_id, via="operator")
    _wake_worker(request)
    return view


@router.get(
    "/v1/rights-requests",
    summary="Rights requests, newest first, with status and due dates",
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)
def list_requests(
    service: Service,
    status: Status | None = None,
    kind: Kind | None = None,
    overdue: Annotated[bool, Query(description="Only open requests past their due date.")] = False,
    limit: Annotated[int, Query(description="Page size (1 to 200).")] = 50,
    before: Annotated[str | None, Query(description="`next_before` of the previous page.")] = None,
) -> dict[str, Any]:
    return service.rights_requests(
        status=status, kind=kind, overdue=overdue, limit=limit, before=before
    )


@router.get(
    "/v1/rights-requests/{request_id}",
    summary="One rights request with its steps",
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)
def get_request(request_id: str, service: Service) -> dict[str, Any]:
    return service.rights_request(request_id)
