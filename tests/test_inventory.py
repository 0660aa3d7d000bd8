"""The data inventory: what is held about one person, from where, why, until when, by whom."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.errors import NotFound
from tactful.service import Tactful
from tactful.settings import Settings

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def service(settings: Settings) -> Iterator[Tactful]:
    svc = Tactful(settings, clock=lambda: NOW)
    svc.add_items([Item(f"i{n}", f"Item {n}", "books") for n in range(3)])
    svc.add_subjects(
        [
            Subject("alice", SubjectAttributes(age_band=AgeBand("25-34"), region="north")),
            Subject("bob", SubjectAttributes()),
        ]
    )
    svc.record_consents(
        "alice",
        {
            "choices": [
                {"purpose": "personalization.explicit", "status": "granted"},
                {"purpose": "analytics.aggregate", "status": "granted"},
            ]
        },
    )
    svc.add_events(
        [
            Event("alice", EventType.PURCHASE, NOW - timedelta(days=10), "i1"),
            Event("alice", EventType.PURCHASE, NOW - timedelta(days=2), "i2"),
            Event("alice", EventType.VIEW, NOW - timedelta(days=1), "i0"),
            Event("bob", EventType.VIEW, NOW - timedelta(days=1), "i0"),
        ]
    )
    svc.train()
    svc.recommend("alice")
    yield svc
    svc.close()


def test_the_inventory_lists_each_kind_of_data_with_source_purpose_retention_and_roles(
    service: Tactful,
) -> None:
    inventory = service.inventory("alice")
    assert inventory["notice_version"] == "2026-11-15"
    by_category = {e["data_category"]: e for e in inventory["data"]}
    purchases = by_category["purchase_history"]
    assert purchases["count"] == 2
    assert {p["purpose"] for p in purchases["purposes"]} == {
        "personalization.explicit",
        "analytics.aggregate",
    }
    # Kept for the longest of its purposes' retentions, counted from each event.
    assert purchases["retention_days"] == 730
    assert (
        purchases["oldest_deleted_on"]
        == (NOW - timedelta(days=10) + timedelta(days=730)).isoformat()
    )
    assert (
        purchases["all_deleted_by"] == (NOW - timedelta(days=2) + timedelta(days=730)).isoformat()
    )
    assert {r["scope"] for r in purchases["readable_by"]} == {"privacy-officer", "admin"}
    # Views were covered by statistics only.
    views = by_category["browsing_history"]
    assert [p["purpose"] for p in views["purposes"]] == ["analytics.aggregate"]
    assert views["retention_days"] == 395
    assert "search_history" not in by_category  # nothing held, nothing listed
    assert by_category["profile"]["fields"] == ["age_band", "region"]
    assert by_category["consent"]["count"] == 2
    assert by_category["consent"]["receipts"] == 1
    assert by_category["decisions"]["count"] == 1
    assert by_category["decisions"]["retention_days"] == 365


def test_a_person_with_nothing_consented_holds_nothing_but_their_record(
    service: Tactful,
) -> None:
    kinds = {e["kind"] for e in service.inventory("bob")["data"]}
    assert kinds == set()  # no attributes, no consents, no events kept, no decisions


def test_an_unknown_subject_has_no_inventory(service: Tactful) -> None:
    with pytest.raises(NotFound):
        service.inventory("nobody")


def test_messages_and_the_persons_own_controls_are_listed(service: Tactful) -> None:
    before = {e["kind"] for e in service.inventory("alice")["data"]}
    assert not before & {"messages", "controls"}
    service.messaging.add_campaign("news", "News", None, False)
    service.messaging.decide("alice", "email", "news", "Our new books are in.")
    service.give_feedback("alice", "fewer_messages", "all")
    service.protections.set_vulnerable("alice", True)
    entries = {e["kind"]: e for e in service.inventory("alice")["data"]}
    assert entries["messages"]["count"] == 1
    assert (
        entries["messages"]["oldest_deleted_on"]
        == (NOW + timedelta(days=service.settings.decision_retention_days)).isoformat()
    )
    assert entries["controls"]["count"] == 2
    assert "self-exclusions" in entries["controls"]["description"]
