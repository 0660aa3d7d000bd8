"""The test shop (tests/shop.py) with regional shoppers who share their activity for cohort
trends, trained on each backend with a budget large enough that the noise is small (the
tests then check structure, not luck): ε = 50, k = 30, regions north and south.

Who is there besides the shop's own people:
* 60 adults of the north, 25-34, who granted the trends (and alcohol): they buy running
  items and a wine; the north 25-34 cohort is released;
* 10 adults of the south, 45-54, who granted the trends: too few for their own cohort;
* 40 minors of the north who granted the trends: never counted, whatever they granted;
* 40 adults of the north who granted only shop statistics: never counted in the trends.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.clock import Clock
from tests.trained_shop import T0

AGGREGATE = "personalization.aggregate"
GROUPS: dict[str, tuple[int, str, str, list[str], list[str]]] = {
    # prefix: (how many, age band, region, purposes granted, items bought)
    "north": (60, "25-34", "north", [AGGREGATE, "sensitive.alcohol"], [
        "running-0", "running-1", "running-2", "running-3", "wine-1"
    ]),
    "south": (10, "45-54", "south", [AGGREGATE], ["kitchen-0", "kitchen-1"]),
    "kid": (40, "under_18", "north", [AGGREGATE], ["toys-0", "toys-1", "toys-2", "toys-3"]),
    "shy": (40, "25-34", "north", ["analytics.aggregate"], [
        "garden-0", "garden-1", "garden-2", "garden-3"
    ]),
}  # fmt: skip


def populate_regions(service: Tactful) -> None:
    subjects: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for prefix, (count, band, region, _purposes, bought) in GROUPS.items():
        for n in range(count):
            who = f"{prefix}-{n}"
            subjects.append({"subject_id": who, "age_band": band, "region": region})
            for m, item in enumerate(bought):
                events.append(
                    {
                        "subject_id": who,
                        "event_type": "purchase",
                        "item_id": item,
                        "timestamp": (T0 - timedelta(days=5, minutes=n * 10 + m)).isoformat(),
                    }
                )
    service.ingest_subjects(subjects)
    for prefix, (count, _band, _region, purposes, _bought) in GROUPS.items():
        for n in range(count):
            choices = [{"purpose": p, "status": "granted"} for p in purposes]
            service.record_consents(f"{prefix}-{n}", {"choices": choices})
    for start in range(0, len(events), 400):
        service.ingest_events(events[start : start + 400])


def aggregate_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "aggregate_regions": ["north", "south"],
            "aggregate_epsilon": 50.0,
            "aggregate_budget": 0.0,  # no cap: tests train as often as they need
            "aggregate_min_cohort": 30,
            "aggregate_max_items": 5,
        }
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(aggregate_settings(settings), clock=clock)
    shop.populate(svc)
    populate_regions(svc)
    svc.train()
    yield svc
    svc.close()


@pytest.fixture
def client(settings: Settings, service: Tactful) -> TestClient:
    return TestClient(create_app(service.settings, service), raise_server_exceptions=False)
