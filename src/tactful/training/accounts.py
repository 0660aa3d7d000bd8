"""The account-by-item matrix the account models learn from.

Only account events are read: what organisations did, never a person's events. Events on
an item gone from the catalog or in a sensitive category are left out, so a sensitive
item shapes no account model (nobody opted in to its category at account level).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tactful.candidates.base import Interactions, Recommender
from tactful.candidates.registry import build
from tactful.candidates.segments import SegmentPopularity, SegmentPopularityConfig
from tactful.domain.accounts import ACCOUNT_EVENT_WEIGHTS, Account, AccountEvent
from tactful.domain.catalog import Item


@dataclass(frozen=True)
class AccountTrainingData:
    interactions: Interactions
    events_read: int
    left_out: Mapping[str, int]

    def trained_on(self) -> dict[str, Any]:
        """What a model version records of its data: counts only."""
        matrix = self.interactions.matrix
        return {
            # Persons: none. Kept under this name for the tools that list every model.
            "subjects": 0,
            "accounts": int(matrix.shape[0]),
            "items": int(matrix.shape[1]),
            "interactions": int(matrix.nnz),
            "events_read": self.events_read,
            "events_left_out": dict(self.left_out),
            "signals": "account events of organisations (no person's data); events on "
            "sensitive items left out",
        }


def account_training_data(
    events: Iterable[AccountEvent], catalog: Mapping[str, Item]
) -> AccountTrainingData:
    """Per (account, item), the weight of the strongest event, over the whole catalog."""
    triples: list[tuple[str, str, float]] = []
    read = 0
    left_out = {"not_in_catalog": 0, "sensitive_category": 0}
    for event in events:
        read += 1
        item = catalog.get(event.item_id)
        if item is None:
            left_out["not_in_catalog"] += 1
        elif item.sensitive:
            left_out["sensitive_category"] += 1
        else:
            triples.append(
                (event.account_id, event.item_id, ACCOUNT_EVENT_WEIGHTS[event.event_type])
            )
    interactions = Interactions.from_triples(triples, sorted(catalog))
    return AccountTrainingData(interactions, read, left_out)


def fit_account_models(
    data: AccountTrainingData,
    accounts: Mapping[str, Account],
    model: str,
    config: Mapping[str, Any] | None,
    min_accounts: int,
) -> tuple[Recommender[Any], SegmentPopularity]:
    """The configured recommender over the matrix, and the segment popularity."""
    recommender = build(model, config).fit(data.interactions)
    firmographics = {
        a.account_id: (a.industry, a.size_band.value if a.size_band else None)
        for a in accounts.values()
    }
    segments = SegmentPopularity(SegmentPopularityConfig(min_accounts=min_accounts))
    segments.fit_segments(data.interactions, firmographics)
    return recommender, segments
