"""Business accounts of the demo shop, so the account level (surfaces `b2b-home`,
`b2b-cart`) has organisations to personalize for.

Fictional organisations with firmographics only (industry, size band, country) and their
own events: what their buyers viewed, asked a quote for and ordered. Each industry orders
mostly from a few categories. Hotels and restaurants also order wine and spirits, a
sensitive category the account level never shows back. A few organisations are new: with
no history they follow their segment, their industry, or everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from tactful.domain.accounts import SizeBand
from tactful.domain.catalog import Item

SEED = 20261124

# industry: (organisations, the categories its buyers order from)
INDUSTRIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "hospitality": (12, ("kitchen", "home", "grocery", "wine_spirits")),
    "education": (10, ("books", "office", "electronics", "music")),
    "fitness": (8, ("sports", "outdoors", "health")),
    "retail": (10, ("fashion", "beauty", "toys", "games")),
    "software": (6, ("electronics", "office", "books")),
}
# Size bands of an industry's organisations, smallest first: most are small.
_SIZE_P = (0.3, 0.35, 0.2, 0.1, 0.05)
_COUNTRIES = ("FR", "DE", "ES", "IT", "NL", "BE", "IE", "PT")
_NEW = 2  # organisations per industry without any event yet
_QUANTITY = {"add_to_cart": (2, 20), "quote_request": (10, 200), "purchase": (5, 120)}


def demo_accounts(
    items: Sequence[Item], end: datetime, *, days: int = 90, seed: int = SEED
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The organisations and their events over the `days` before `end`, as an operator
    would send them to `POST /v1/accounts` and `POST /v1/accounts/events`."""
    rng = np.random.default_rng(seed)
    by_category: dict[str, list[str]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item.item_id)
    bands = list(SizeBand)
    accounts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for industry, (count, categories) in INDUSTRIES.items():
        pool = [c for c in categories if by_category.get(c)]
        for n in range(count):
            account_id = f"org-{industry}-{n + 1:02d}"
            band = bands[int(rng.choice(len(bands), p=_SIZE_P))]
            country = _COUNTRIES[int(rng.integers(len(_COUNTRIES)))]
            accounts.append(
                {
                    "account_id": account_id,
                    "industry": industry,
                    "size_band": band.value,
                    "country": country,
                }
            )
            if n >= count - _NEW or not pool:
                continue
            # Each organisation has its own regulars among its industry's categories.
            regulars = [
                str(rng.choice(by_category[c][: max(8, len(by_category[c]) // 4)])) for c in pool
            ]
            for _ in range(int(rng.integers(4, 16))):
                item_id = (
                    regulars[int(rng.integers(len(regulars)))]
                    if rng.random() < 0.6
                    else str(rng.choice(by_category[pool[int(rng.integers(len(pool)))]]))
                )
                kind = str(rng.choice(("view", "add_to_cart", "quote_request", "purchase")))
                at = end - timedelta(seconds=float(rng.random() * days * 86_400))
                event: dict[str, Any] = {
                    "account_id": account_id,
                    "item_id": item_id,
                    "event_type": kind,
                    "timestamp": at.isoformat(),
                }
                if kind in _QUANTITY:
                    low, high = _QUANTITY[kind]
                    event["quantity"] = int(rng.integers(low, high + 1))
                events.append(event)
    events.sort(key=lambda e: str(e["timestamp"]))
    return accounts, events
