"""A tiny fictional shop for service and API tests: rows as an operator would send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tactful.service import Tactful

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

CATEGORIES = ["running", "books", "kitchen", "garden", "toys"]


def items() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for c, category in enumerate(CATEGORIES):
        for n in range(8):
            rows.append(
                {
                    "item_id": f"{category}-{n}",
                    "title": f"{category.title()} thing {n}",
                    "category": category,
                    "provider": f"maker-{c}",
                    "tags": [category],
                }
            )
    rows += [
        {
            "item_id": "bet-1",
            "title": "Lucky Spin Voucher",
            "category": "betting",
            "sensitive": ["gambling"],
        },
        {
            "item_id": "bet-2",
            "title": "Derby Day Bet Pack",
            "category": "betting",
            "sensitive": ["gambling"],
        },
        {
            "item_id": "wine-1",
            "title": "Hillside Red Wine",
            "category": "wine",
            "sensitive": ["alcohol"],
        },
        {
            "item_id": "pill-1",
            "title": "Sleep Aid Tablets",
            "category": "pharmacy",
            "sensitive": ["health"],
        },
    ]
    return rows


def subjects() -> list[dict[str, Any]]:
    rows = [
        {"subject_id": "alice", "age_band": "25-34", "region": "north", "gender": "female"},
        {"subject_id": "bob", "age_band": "35-44", "region": "south"},
        {"subject_id": "carol", "age_band": "45-54"},
        {"subject_id": "dan", "age_band": "under_18"},
        {"subject_id": "erin", "age_band": "25-34"},
    ]
    rows += [{"subject_id": f"crowd-{n}", "age_band": "25-34"} for n in range(30)]
    return rows


FULL = [
    {"purpose": "personalization.explicit", "status": "granted"},
    {"purpose": "personalization.behavioral", "status": "granted"},
]
BASIC = [
    {"purpose": "personalization.explicit", "status": "granted"},
    {"purpose": "personalization.behavioral", "status": "denied"},
]


def crowd_events() -> list[dict[str, Any]]:
    """Crowd members each like one category and buy within it, so co-purchases are clear."""
    rows: list[dict[str, Any]] = []
    for n in range(30):
        category = CATEGORIES[n % len(CATEGORIES)]
        for m in range(5):
            rows.append(
                {
                    "subject_id": f"crowd-{n}",
                    "event_type": "purchase",
                    "item_id": f"{category}-{(n + m) % 8}",
                    "timestamp": (T0 + timedelta(hours=n * 10 + m)).isoformat(),
                }
            )
        rows.append(
            {
                "subject_id": f"crowd-{n}",
                "event_type": "view",
                "item_id": "bet-1" if n % 3 == 0 else f"{category}-7",
                "timestamp": (T0 + timedelta(hours=n * 10 + 7)).isoformat(),
            }
        )
    return rows


def person_events(
    subject_id: str, category: str, kinds: tuple[str, ...] = ("purchase",)
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in range(3):
        for kind in kinds:
            row: dict[str, Any] = {
                "subject_id": subject_id,
                "event_type": kind,
                "item_id": f"{category}-{n}",
                "timestamp": (T0 + timedelta(days=20, hours=n)).isoformat(),
            }
            if kind == "rating":
                row["value"] = 5
            rows.append(row)
    return rows


def populate(service: Tactful) -> None:
    """Load the shop: items, subjects, consents and events, ready to train."""
    service.ingest_items(items())
    service.ingest_subjects(subjects())
    for n in range(30):
        service.record_consents(
            f"crowd-{n}",
            {"choices": [*FULL, {"purpose": "analytics.aggregate", "status": "granted"}]},
        )
    service.record_consents("alice", {"choices": FULL})
    service.record_consents("carol", {"choices": BASIC})
    service.record_consents("dan", {"choices": FULL})
    service.record_consents(
        "erin", {"choices": [*FULL, {"purpose": "sensitive.gambling", "status": "denied"}]}
    )
    service.ingest_events(crowd_events())
    service.ingest_events(person_events("alice", "running", ("view", "purchase")))
    service.ingest_events(person_events("bob", "garden", ("purchase",)))
    service.ingest_events(person_events("carol", "kitchen", ("view", "purchase")))
    service.ingest_events(person_events("dan", "toys", ("purchase",)))
