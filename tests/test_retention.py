"""Retention: events expire by the retention of the purposes that justified them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tactful.consent.notice import parse_notice
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.subjects import Subject, SubjectAttributes
from tactful.service import Tactful
from tactful.services.notices import packaged_notice
from tactful.services.retention import RetentionSchedule
from tactful.settings import Settings
from tactful.storage import tables as t
from tests.clock import Clock

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY0)


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(settings, clock=clock)
    svc.add_items([Item(f"i{n}", f"Item {n}", "books") for n in range(4)])
    svc.add_subjects([Subject(s, SubjectAttributes()) for s in ("viewer", "counted", "buyer")])
    grants = {
        "viewer": ["personalization.explicit", "personalization.behavioral"],
        "counted": [
            "personalization.explicit",
            "personalization.behavioral",
            "analytics.aggregate",
        ],
        "buyer": ["personalization.explicit"],
    }
    for subject, purposes in grants.items():
        svc.record_consents(
            subject, {"choices": [{"purpose": p, "status": "granted"} for p in purposes]}
        )
    svc.add_events(
        [
            Event(s, kind, DAY0 + timedelta(days=day), "i1")
            for s in ("viewer", "counted", "buyer")
            for kind, day in ((EventType.VIEW, 0), (EventType.VIEW, 100), (EventType.PURCHASE, 0))
        ]
    )
    yield svc
    svc.close()


def _events(service: Tactful, subject: str, kind: str | None = None) -> int:
    query = select(func.count()).select_from(t.events).where(t.events.c.subject_id == subject)
    if kind is not None:
        query = query.where(t.events.c.event_type == kind)
    with service.store.reading() as conn:
        return int(conn.execute(query).scalar_one())


def test_events_expire_by_the_longest_retention_of_their_purposes(
    service: Tactful, clock: Clock
) -> None:
    # buyer's views were never stored (no purpose covered them).
    assert (_events(service, "viewer"), _events(service, "counted"), _events(service, "buyer")) == (
        3,
        3,
        1,
    )
    clock.now = DAY0 + timedelta(days=181)
    report = service.run_retention()
    # Browsing under personalization.behavioral alone is kept 180 days: the day-0 view goes.
    assert _events(service, "viewer", "view") == 1
    # The same view also counted for shop statistics (395 days): it stays.
    assert _events(service, "counted", "view") == 2
    # Purchases under personalization.explicit are kept 730 days.
    assert _events(service, "viewer", "purchase") == 1
    assert report["events_deleted"] == 1
    [group] = report["events"]
    assert group["retention_days"] == 180
    assert "personalization.behavioral" in group["purposes"]

    clock.now = DAY0 + timedelta(days=396)
    service.run_retention()
    assert _events(service, "viewer", "view") == 0
    assert _events(service, "counted", "view") == 1  # the day-100 view lasts to day 495
    assert _events(service, "buyer") == 1

    clock.now = DAY0 + timedelta(days=731)
    service.run_retention()
    assert sum(_events(service, s) for s in ("viewer", "counted", "buyer")) == 0


def test_a_dry_run_counts_and_deletes_nothing(service: Tactful, clock: Clock) -> None:
    clock.now = DAY0 + timedelta(days=400)
    report = service.run_retention(dry_run=True)
    assert report["dry_run"] is True
    # viewer: both views (180 days); counted: the day-0 view only (395 days).
    assert report["events_expired"] == 3
    assert _events(service, "viewer") + _events(service, "counted") == 6


def test_decision_records_expire_after_their_retention(
    settings: Settings, service: Tactful, clock: Clock
) -> None:
    service.train()
    service.recommend("viewer")
    clock.now = DAY0 + timedelta(days=settings.decision_retention_days - 1)
    assert service.run_retention()["decisions_deleted"] == 0
    clock.now = DAY0 + timedelta(days=settings.decision_retention_days + 1)
    assert service.run_retention()["decisions_deleted"] == 1
    assert service.decisions_of("viewer")["decisions"] == []


def test_a_shortened_retention_applies_to_data_already_held(
    settings: Settings, service: Tactful, clock: Clock
) -> None:
    document: dict[str, Any] = dict(packaged_notice().document)
    document["version"] = "2026-12-01"
    document["purposes"] = [
        p | {"retention_days": 30} if p["code"] == "personalization.behavioral" else p
        for p in document["purposes"]
    ]
    shorter = Tactful(settings, clock=clock, notice=parse_notice(document))
    try:
        # Narrowing is not a material change: the grants stay valid.
        assert shorter.consents("viewer")["choices_needed"] == []
        clock.now = DAY0 + timedelta(days=131)
        shorter.run_retention()
        assert _events(shorter, "viewer", "view") == 0
        assert _events(shorter, "counted", "view") == 2
    finally:
        shorter.close()


def test_the_schedule_runs_the_job_until_stopped() -> None:
    ran = threading.Event()
    calls: list[int] = []

    def job() -> None:
        calls.append(1)
        if len(calls) >= 2:
            ran.set()
        if len(calls) == 1:
            raise RuntimeError("a failed run is retried at the next interval")

    schedule = RetentionSchedule(job, 0.01)
    schedule.start()
    try:
        assert ran.wait(10), "the job did not run twice"
    finally:
        schedule.stop()
    count = len(calls)
    assert not schedule._thread.is_alive()
    assert len(calls) == count
