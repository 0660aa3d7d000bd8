"""A few business accounts of the test shop (tests/shop.py), as an operator would send them.

Retail companies of 10-49 people order running things, large retailers books, hotels
kitchen things; several also order wine (a sensitive category) in bulk, which must never
come back to any of them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tactful.service import Tactful
from tests import shop

T0 = shop.T0

SEGMENTS = {
    "shoe-shop": ("retail", "10-49", "running"),
    "sport-hut": ("retail", "10-49", "running"),
    "trail-co": ("retail", "10-49", "running"),
    "mega-mart": ("retail", "1000+", "books"),
    "book-world": ("retail", "1000+", "books"),
    "paper-house": ("retail", "1000+", "books"),
    "grand-hotel": ("hospitality", "50-249", "kitchen"),
    "inn-by-sea": ("hospitality", "50-249", "kitchen"),
    "motel-9": ("hospitality", "50-249", "kitchen"),
}


def accounts() -> list[dict[str, Any]]:
    rows = [
        {"account_id": a, "industry": i, "size_band": s, "country": "FR"}
        for a, (i, s, _) in SEGMENTS.items()
    ]
    rows += [
        # No history: follows its segment, its industry, or everyone.
        {"account_id": "new-runner", "industry": "retail", "size_band": "10-49", "country": "DE"},
        {"account_id": "mid-retail", "industry": "retail", "size_band": "250-999"},
        {"account_id": "deep-mine", "industry": "mining", "size_band": "1000+"},
        {"account_id": "unknown-co"},
    ]
    return rows


def events() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, (account, (_, _, category)) in enumerate(SEGMENTS.items()):
        for m in range(4):
            rows.append(
                {
                    "account_id": account,
                    "item_id": f"{category}-{(n + m) % 6}",
                    "event_type": "purchase",
                    "quantity": 10 + m,
                    "timestamp": (T0 + timedelta(hours=n * 10 + m)).isoformat(),
                }
            )
        rows.append(
            {
                "account_id": account,
                "item_id": "wine-1",
                "event_type": "purchase",
                "quantity": 120,
                "timestamp": (T0 + timedelta(hours=n * 10 + 5)).isoformat(),
            }
        )
        rows.append(
            {
                "account_id": account,
                "item_id": f"{category}-7",
                "event_type": "quote_request",
                "quantity": 50,
                "timestamp": (T0 + timedelta(hours=n * 10 + 6)).isoformat(),
            }
        )
    return rows


def populate(service: Tactful) -> None:
    service.accounts.ingest_accounts(accounts())
    service.accounts.ingest_events(events())
