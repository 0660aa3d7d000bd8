"""The store's decisions of a window as an audit's input, on a tiny hand-made store with
known lists, engagements inside and outside the horizon, history and messages (SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tactful.domain.events import Event, EventType
from tactful.fairness.audit import run_audit
from tactful.fairness.data import AuditData, Segment
from tactful.fairness.policy import AuditPolicy, Measure
from tactful.service import Tactful
from tactful.services.fairness_data import store_audit_data
from tactful.settings import Settings
from tactful.storage import messages as stored_messages
from tactful.storage.messages import StoredMessage
from tests import shop
from tests.clock import Clock

W0 = datetime(2026, 10, 10, tzinfo=UTC)
W1 = datetime(2026, 10, 20, tzinfo=UTC)
H = timedelta(hours=1)
DAY = timedelta(days=1)
POLICY = AuditPolicy(measure=Measure(k=3))
FULL = {"choices": shop.FULL}


def _decision(
    subject_id: str,
    surface: str,
    at: datetime,
    items: list[tuple[str, int]],
    level: str = "full",
) -> dict[str, object]:
    return {
        "decision_id": str(uuid.uuid4()),
        "subject_id": subject_id,
        "surface": surface,
        "level": level,
        "model": {"name": "ease", "version": "ease-test"},
        "purposes": ["personalization.explicit"],
        "items": [
            {"item_id": item, "title": item, "category": "x", "rank": rank} for item, rank in items
        ],
        "created_at": at.isoformat(),
    }


def _message(
    subject_id: str, campaign: str, outcome: str, at: datetime, engagement: str | None
) -> StoredMessage:
    return StoredMessage(
        message_id=uuid.uuid4(),
        subject_id=subject_id,
        channel="email",
        campaign_id=campaign,
        outcome=outcome,
        record={},
        decided_at=at,
        engagement=engagement,
        engaged_at=at + H if engagement else None,
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Tactful]:
    """alice and bob with lists in the window, carol and erin messaged, dan messaged
    before it; engagements inside and outside the week after each decision."""
    service = Tactful(settings, clock=Clock(W1 + 30 * DAY))
    service.ingest_items(shop.items())
    service.ingest_subjects(
        [
            {"subject_id": "alice", "age_band": "25-34", "region": "north", "gender": "female"},
            {"subject_id": "bob", "age_band": "35-44", "region": "south"},
            {"subject_id": "carol", "age_band": "45-54"},
            {"subject_id": "dan", "age_band": "25-34"},
            {"subject_id": "erin"},
        ]
    )
    for who in ("alice", "bob", "carol", "dan"):
        service.record_consents(who, FULL)
    d1, d3, d2 = W0, W0 + DAY, W0 + 2 * DAY
    decisions = [
        # Ranks as stored; the fourth item falls beyond k = 3.
        _decision("alice", "home", d1, [("running-0", 1), ("running-1", 2), ("books-0", 3),
                                        ("kitchen-0", 4)]),
        # Out of rank order in the record, and an item no longer in the catalog.
        _decision("alice", "product", d2, [("garden-0", 2), ("gone", 1), ("garden-1", 3)]),
        _decision("bob", "home", d3, [("books-1", 1), ("books-2", 2)]),
        _decision("carol", "home", W1, [("toys-0", 1)]),  # the end is outside
        _decision("carol", "home", W0 - timedelta(seconds=1), [("toys-1", 1)]),
    ]  # fmt: skip
    view, click, purchase = EventType.VIEW, EventType.CLICK, EventType.PURCHASE
    service.add_events(
        [
            Event("alice", view, d1 + H, "running-1"),  # relevant to d1
            Event("alice", purchase, d1 + 8 * DAY, "books-0"),  # past the week: not
            Event("alice", EventType.SEARCH, d1 + H, query="shoes"),  # names no item
            Event("alice", view, d2 + 2 * H, "garden-1"),  # relevant to d2 (and to d1)
            Event("alice", view, W0 - 5 * DAY, "kitchen-5"),  # history
            Event("alice", purchase, W0 - DAY, "running-0"),  # history, before d1
            Event("bob", view, d3 - H, "books-1"),  # in the window, before his decision
            Event("bob", click, d3 + 100 * H, "books-2"),  # relevant to d3
            Event("carol", view, W1 + 10 * DAY, "books-1"),  # after the end: no popularity
            Event("dan", view, W0 - 3 * DAY, "books-1"),
        ]
    )
    with service.store.transaction() as conn:
        for record in decisions:
            service.store.add_decision(conn, record)
        for message in (
            _message("alice", "news", "send", W0 + 3 * DAY, "clicked"),
            _message("bob", "news", "send", W0 + 3 * DAY, "opened"),
            _message("carol", "news", "hold", W0 + 3 * DAY, None),
            _message("erin", "promo", "send", W0 + 4 * DAY, "converted"),
            _message("dan", "news", "send", W0 - DAY, "converted"),  # before the window
        ):
            stored_messages.add(conn, message, None)
    yield service
    service.close()


@pytest.fixture
def data(store: Tactful) -> AuditData:
    with store.store.reading() as conn:
        return store_audit_data(conn, W0, W1, POLICY)


def _items(data: AuditData, row: object) -> set[str]:
    columns = np.flatnonzero(np.asarray(row).ravel())
    return {data.item_ids[int(c)] for c in columns}


def _segment(data: AuditData, kind: str, name: str) -> dict[str, tuple[bool, bool, bool]]:
    found: Segment = next(s for s in data.segments if s.kind == kind and s.name == name)
    return {
        data.people[int(p)]: (bool(e), bool(s), bool(c))
        for p, e, s, c in zip(
            found.person, found.eligible, found.served, found.converted, strict=True
        )
    }


def test_lists_are_the_windows_decisions_best_first_cut_at_k(data: AuditData) -> None:
    assert data.source == "store"
    assert data.label == "store"
    assert (data.window_start, data.window_end) == (W0, W1)
    # Everyone decided for in [W0, W1): lists (alice, bob) or messages (carol, erin).
    assert list(data.people) == ["alice", "bob", "carol", "erin"]
    shown = [[data.item_ids[c] if c >= 0 else None for c in row] for row in data.lists.tolist()]
    assert shown == [
        ["running-0", "running-1", "books-0"],
        ["books-1", "books-2", None],
        ["garden-0", "garden-1", None],
    ]
    assert [data.people[p] for p in data.list_person] == ["alice", "bob", "alice"]
    assert data.counts["decisions"] == 3
    assert data.counts["messages"] == 4
    assert data.counts["lists_full"] == 3


def test_relevant_is_what_the_person_engaged_with_in_the_week_after(data: AuditData) -> None:
    relevant = data.relevant.toarray()
    assert relevant.shape == (3, len(data.item_ids))
    # alice's home list: running-1 an hour later, and garden-1 two days later (inside her
    # week); not books-0, bought eight days later, nor running-0, bought before.
    assert _items(data, relevant[0]) == {"running-1", "garden-1"}
    # bob clicked books-2 100 hours after; his view of books-1 came before the decision.
    assert _items(data, relevant[1]) == {"books-2"}
    # alice's product list came two days after her home list: books-0, bought six days
    # after it, is inside its week.
    assert _items(data, relevant[2]) == {"garden-1", "books-0"}
    assert data.counts["engagements"] == 5


def test_history_is_before_the_window_and_attributes_are_the_profile(
    data: AuditData,
) -> None:
    history = data.history.toarray()
    assert _items(data, history[0]) == {"kitchen-5", "running-0"}
    assert _items(data, history[1]) == set()  # bob's view came inside the window
    assert history[2:].sum() == 0
    assert list(data.attributes["gender"]) == ["female", None, None, None]
    assert list(data.attributes["age_band"]) == ["25-34", "35-44", "45-54", None]
    assert list(data.attributes["region"]) == ["north", "south", None, None]
    assert list(data.attributes["occupation"]) == [None, None, None, None]


def test_popularity_counts_people_before_the_end_over_everyone_with_events(
    data: AuditData,
) -> None:
    popularity = dict(zip(data.item_ids, data.popularity.tolist(), strict=True))
    assert popularity["books-1"] == 2  # bob and dan; carol's view came after the end
    assert popularity["running-0"] == 1
    assert popularity["books-0"] == 1  # alice's purchase, late for the list, still counts
    assert popularity["toys-0"] == 0
    assert data.population == 3  # alice, bob and dan; carol's only event is after the end
    assert sorted(set(data.providers)) == ["maker-0", "maker-1", "maker-2", "maker-3", "maker-4",
                                            "unknown"]  # fmt: skip
    categories = data.categories.toarray()
    assert categories.shape[0] == len(data.item_ids)
    assert (categories.sum(axis=1) == 1).all()


def test_segments_per_campaign_surface_and_category(data: AuditData) -> None:
    kinds = [(s.kind, s.name) for s in data.segments]
    assert kinds[:2] == [("campaign", "news"), ("campaign", "promo")]
    assert ("surface", "home") in kinds
    assert ("surface", "product") in kinds
    assert {name for kind, name in kinds if kind == "category"} == {
        "running", "books", "kitchen", "garden", "toys", "betting", "wine", "pharmacy"
    }  # fmt: skip
    # Campaign: everyone decided for is eligible; sent is served; clicked converts, opened
    # does not; dan's message came before the window.
    assert _segment(data, "campaign", "news") == {
        "alice": (True, True, True),
        "bob": (True, True, False),
        "carol": (True, False, False),
    }
    assert _segment(data, "campaign", "promo") == {"erin": (True, True, True)}
    # Surfaces and categories: over the people with a list.
    assert _segment(data, "surface", "home") == {
        "alice": (True, True, True),
        "bob": (True, True, True),
    }
    assert _segment(data, "surface", "product") == {
        "alice": (True, True, True),
        "bob": (True, False, False),
    }
    assert _segment(data, "category", "books") == {
        "alice": (True, True, False),  # shown books-0, bought it too late
        "bob": (True, True, True),
    }
    assert _segment(data, "category", "kitchen") == {
        "alice": (True, False, False),  # kitchen-0 was fourth: beyond k
        "bob": (True, False, False),
    }
    assert _segment(data, "category", "garden")["alice"] == (True, True, True)


def test_an_empty_window_is_valid_input_with_nothing_in_it(store: Tactful) -> None:
    with store.store.reading() as conn:
        data = store_audit_data(conn, W1 + 100 * DAY, W1 + 130 * DAY, POLICY)
    assert data.lists.shape == (0, 3)
    assert list(data.people) == []
    assert data.relevant.shape == (0, len(data.item_ids))
    assert data.history.shape == (0, len(data.item_ids))
    assert list(data.segments) == []
    assert data.counts["decisions"] == 0
    assert data.population == 4  # everyone with an event before that end; erin has none


@pytest.fixture
def consented(settings: Settings) -> Iterator[Tactful]:
    """Lists made at each level: ada (full consent, "full"), olaf (no consent, "off"), mia
    (a minor, "off"), kim (recorded "basic", her age band since corrected to under 18), pat
    ("off" on home before she consented, "basic" on product after); a campaign sent to mia
    and ada, both of whom clicked."""
    service = Tactful(settings, clock=Clock(W1 + 30 * DAY))
    service.ingest_items(shop.items())
    service.ingest_subjects(
        [
            {"subject_id": "ada", "age_band": "25-34"},
            {"subject_id": "olaf", "age_band": "35-44"},
            {"subject_id": "mia", "age_band": "under_18"},
            {"subject_id": "kim", "age_band": "under_18"},
            {"subject_id": "pat", "age_band": "45-54"},
        ]
    )
    service.record_consents("ada", FULL)
    service.record_consents("pat", {"choices": shop.BASIC})
    service.add_events(
        [
            Event("ada", EventType.VIEW, W0 + H, "running-0"),
            Event("pat", EventType.PURCHASE, W0 + 2 * DAY + H, "garden-1"),
        ]
    )
    with service.store.transaction() as conn:
        for record in (
            _decision("ada", "home", W0, [("running-0", 1), ("books-0", 2)], "full"),
            _decision("olaf", "home", W0, [("books-1", 1)], "off"),
            _decision("mia", "home", W0, [("books-2", 1)], "off"),
            _decision("kim", "home", W0, [("toys-0", 1)], "basic"),
            _decision("pat", "home", W0, [("garden-0", 1)], "off"),
            _decision("pat", "product", W0 + 2 * DAY, [("garden-1", 1)], "basic"),
        ):
            service.store.add_decision(conn, record)
        for who in ("mia", "ada"):
            stored_messages.add(conn, _message(who, "news", "send", W0 + DAY, "clicked"), None)
    yield service
    service.close()


def _observed(data: AuditData, kind: str, name: str) -> dict[str, tuple[bool, bool, bool]]:
    """(served, converted, observed) per person of one segment."""
    found: Segment = next(s for s in data.segments if s.kind == kind and s.name == name)
    assert found.observed is not None
    return {
        data.people[int(p)]: (bool(s), bool(c), bool(o))
        for p, s, c, o in zip(
            found.person, found.served, found.converted, found.observed, strict=True
        )
    }


def test_minors_and_people_at_level_off_are_not_observed(consented: Tactful) -> None:
    with consented.store.reading() as conn:
        data = store_audit_data(conn, W0, W1, POLICY)
    assert data.counts["lists_off"] == 3
    # Home: only ada's list was made at a level whose engagement the store keeps; kim's
    # was "basic", but she is a minor now.
    assert _observed(data, "surface", "home") == {
        "ada": (True, True, True),
        "kim": (True, False, False),
        "mia": (True, False, False),
        "olaf": (True, False, False),
        "pat": (True, False, False),
    }
    # pat consented between her two lists: observed where her "basic" list served her.
    assert _observed(data, "surface", "product")["pat"] == (True, True, True)
    assert _observed(data, "category", "garden")["pat"] == (True, True, True)
    books = _observed(data, "category", "books")
    assert books["ada"] == (True, False, True)  # shown books-0, did not engage: observed
    assert books["olaf"] == (True, False, False)
    assert books["mia"] == (True, False, False)
    # A click on a message is reported on the message, whatever the consent: a campaign
    # sees everyone, the minor too.
    assert _observed(data, "campaign", "news") == {
        "ada": (True, True, True),
        "mia": (True, True, True),
    }


def test_the_audit_does_not_flag_unobserved_groups_on_conversion(consented: Tactful) -> None:
    with consented.store.reading() as conn:
        data = store_audit_data(conn, W0, W1, POLICY)
    policy = AuditPolicy.model_validate(
        {"measure": {"k": 3, "min_group_size": 1, "attributes": ["age_band"]}}
    )
    result = run_audit(data, policy)
    (home,) = [s for s in result.as_dict()["targeting"] if s["segment"] == "home"]
    groups = home["reports"]["age_band"]["groups"]
    assert groups["under_18"]["served"] == 2
    assert groups["under_18"]["observed_served"] == 0
    assert groups["under_18"]["rates"]["converted"] is None
    assert groups["25-34"]["rates"]["converted"] == 1.0
    converted = home["reports"]["age_band"]["impact"]["converted"]
    assert converted["reference_group"] == "25-34"
    assert converted["flagged"] == []
