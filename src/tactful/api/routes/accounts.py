"""Account-level (business-to-business) personalization: accounts, their events, decisions.

The scopes follow the person routes: ingestion needs `ingest`, a decision `recommend`, and
erasing an account's data `privacy-officer`. Reading an account decision back needs only
`recommend`: unlike a person's record it holds no one's personal data, and the key that
may make a decision already sees all of it in the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from tactful.api.deps import Service, require
from tactful.domain.access import Scope

router = APIRouter(prefix="/v1", tags=["accounts"])

Batch = Annotated[
    list[Any],
    Body(description="A JSON array of rows. Atomic: one bad row rejects the whole batch."),
]


@router.post(
    "/accounts",
    summary="Add or update business accounts (firmographics only; a person's field is refused)",
    dependencies=[require(Scope.INGEST)],
)
def post_accounts(service: Service, rows: Batch) -> dict[str, Any]:
    return service.accounts.ingest_accounts(rows)


@router.post(
    "/accounts/events",
    summary="Add account events (view, add_to_cart, quote_request, purchase)",
    dependencies=[require(Scope.INGEST)],
)
def post_account_events(service: Service, rows: Batch) -> dict[str, Any]:
    return service.accounts.ingest_events(rows)


@router.get(
    "/accounts/{account_id}/recommendations",
    summary="Decide what to show a business account on an account surface, explained",
    dependencies=[require(Scope.RECOMMEND)],
)
def get_account_recommendations(
    account_id: str,
    service: Service,
    k: Annotated[int, Query(description="How many items (1 to the configured maximum).")] = 10,
    surface: Annotated[
        str | None,
        Query(description="An account surface (TACTFUL_ACCOUNT_SURFACES); default: the first."),
    ] = None,
    pin: Annotated[
        list[str] | None,
        Query(
            description="Items the shop places first, in order (repeat the parameter); the "
            "guardrails still apply.",
            max_length=1000,
        ),
    ] = None,
) -> dict[str, Any]:
    return service.accounts.recommend(account_id, k=k, surface=surface, pinned=pin or ())


@router.get(
    "/account-decisions/{decision_id}",
    summary="A stored account decision record",
    dependencies=[require(Scope.RECOMMEND)],
)
def get_account_decision(decision_id: str, service: Service) -> dict[str, Any]:
    return service.accounts.decision(decision_id)


@router.delete(
    "/accounts/{account_id}",
    summary="Delete an account, its events and decisions; the account models are retrained",
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)
def delete_account(account_id: str, service: Service) -> dict[str, Any]:
    return service.accounts.erase(account_id)
