from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tactful.consent.ledger import (
    ConsentRecord,
    ConsentState,
    ConsentStatus,
    derive_state,
)
from tactful.demo.generator import (
    PERSONAS,
    DemoConfig,
    DemoStore,
    generate,
)
from tactful.demo.vocabulary import CATEGORIES, SEGMENTS
from tactful.domain.catalog import Item
from tactful.domain.events import EventType
from tactful.domain.purposes import (
    ANALYTICS_AGGREGATE,
    DEFAULT_PURPOSES,
    MARKETING_EMAIL,
    PERSONALIZATION_BEHAVIORAL,
    PERSONALIZATION_EXPLICIT,
    sensitive_purpose_code,
)
from tactful.domain.subjects import AgeBand
from tactful.errors import InvalidInput
from tactful.guardrails.policy import DEFAULT_POLICY

SMALL = DemoConfig(n_items=300, n_subjects=400, n_events=8000)


@pytest.fixture(scope="module")
def small() -> DemoStore:
    return generate(SMALL)


@pytest.fixture(scope="module")
def full_size() -> DemoStore:
    return generate()


def digest(store: DemoStore) -> str:
    h = hashlib.sha256()
    for part in (store.items, store.subjects, store.consents, store.events):
        for row in part:
            h.update(repr(row).encode())
    h.update(repr(sorted(store.segments.items())).encode())
    return h.hexdigest()


def states(store: DemoStore) -> dict[str, ConsentState]:
    records: dict[str, list[ConsentRecord]] = defaultdict(list)
    for n, c in enumerate(store.consents):
        records[c.subject_id].append(
            ConsentRecord(c.subject_id, c.purpose, c.status, "demo-1", c.method, c.recorded_at, n)
        )
    return {s.subject_id: derive_state(s.subject_id, records[s.subject_id]) for s in store.subjects}


def items_by_id(store: DemoStore) -> dict[str, Item]:
    return {i.item_id: i for i in store.items}


# --------------------------------------------------------------------------- determinism


def test_same_config_gives_identical_store(small: DemoStore) -> None:
    assert digest(generate(SMALL)) == digest(small)


def test_other_seed_gives_other_store(small: DemoStore) -> None:
    other = generate(DemoConfig(seed=SMALL.seed + 1, n_items=300, n_subjects=400, n_events=8000))
    assert digest(other) != digest(small)
    assert [i.title for i in other.items] != [i.title for i in small.items]


# --------------------------------------------------------------------------- shape


def test_sizes_follow_the_config(small: DemoStore) -> None:
    assert len(small.items) == SMALL.n_items
    assert len(small.subjects) == SMALL.n_subjects
    assert len(small.events) >= SMALL.n_events


def test_ids_are_unique_and_well_formed(small: DemoStore) -> None:
    item_ids = [i.item_id for i in small.items]
    assert len(set(item_ids)) == len(item_ids)
    assert all(re.fullmatch(r"sku-\d{6}", i) for i in item_ids)
    subject_ids = [s.subject_id for s in small.subjects]
    assert len(set(subject_ids)) == len(subject_ids)
    others = [s for s in subject_ids if s not in PERSONAS]
    assert set(subject_ids) - set(others) == set(PERSONAS)
    assert all(re.fullmatch(r"s-\d{5}", s) for s in others)


def test_titles_are_unique_and_clean(small: DemoStore) -> None:
    titles = [i.title for i in small.items]
    assert len(set(titles)) == len(titles)
    for title in titles:
        assert title == title.strip()
        assert "  " not in title
        assert not set(title) & set("[]{}|")


def test_catalog_covers_all_categories_with_known_sensitive_codes(small: DemoStore) -> None:
    assert {i.category for i in small.items} == set(CATEGORIES)
    assert len(CATEGORIES) >= 20
    flagged = [i for i in small.items if i.is_sensitive]
    assert all(i.sensitive <= DEFAULT_POLICY.sensitive_codes for i in flagged)
    assert {code for i in flagged for code in i.sensitive} >= {
        "health",
        "alcohol",
        "gambling",
        "finance_hardship",
        "tobacco",
        "sexual_wellness",
        "weight_loss",
    }
    assert 0.07 <= len(flagged) / len(small.items) <= 0.13
    # A category is sensitive as a whole or not at all.
    by_category: dict[str, set[frozenset[str]]] = defaultdict(set)
    for item in small.items:
        by_category[item.category].add(item.sensitive)
    assert all(len(flags) == 1 for flags in by_category.values())


def test_editorial_picks_are_few_and_not_sensitive(small: DemoStore) -> None:
    picks = [i for i in small.items if i.editorial]
    assert 1 <= len(picks) <= 20
    assert not any(i.is_sensitive for i in picks)


def test_items_have_brands_and_tags(small: DemoStore) -> None:
    assert all(i.provider and i.provider != "unknown" for i in small.items)
    assert all(i.tags and i.tags[0] == i.category for i in small.items)


# --------------------------------------------------------------------------- events


def test_events_reference_existing_subjects_and_items(small: DemoStore) -> None:
    subjects = {s.subject_id for s in small.subjects}
    items = items_by_id(small)
    for event in small.events:
        assert event.subject_id in subjects
        assert event.item_id is None or event.item_id in items


def test_every_subject_has_events(small: DemoStore) -> None:
    assert {e.subject_id for e in small.events} == {s.subject_id for s in small.subjects}


def test_ratings_are_one_to_five_stars_and_only_ratings_have_values(small: DemoStore) -> None:
    ratings = [e for e in small.events if e.event_type is EventType.RATING]
    assert ratings
    assert {e.value for e in ratings} <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert all(e.value is None for e in small.events if e.event_type is not EventType.RATING)


def test_searches_carry_a_query_and_the_item_found(small: DemoStore) -> None:
    searches = [e for e in small.events if e.event_type is EventType.SEARCH]
    assert searches
    assert all(e.query and e.item_id for e in searches)
    assert all(e.query is None for e in small.events if e.event_type is not EventType.SEARCH)


def test_event_mix_follows_the_funnel(small: DemoStore) -> None:
    kinds = Counter(e.event_type for e in small.events)
    assert kinds[EventType.VIEW] > 2 * kinds[EventType.CLICK]
    assert kinds[EventType.CLICK] > kinds[EventType.ADD_TO_CART] > kinds[EventType.PURCHASE] > 0
    assert kinds[EventType.RATING] > 0
    assert kinds[EventType.SEARCH] > 0


def test_events_are_chronological_utc_and_in_the_period(small: DemoStore) -> None:
    times = [e.occurred_at for e in small.events]
    assert times == sorted(times)
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert SMALL.start <= times[0]
    assert times[-1] < SMALL.start + timedelta(days=SMALL.days)


def test_purchases_follow_a_view_and_ratings_follow_a_purchase(small: DemoStore) -> None:
    first_view: dict[tuple[str, str | None], datetime] = {}
    first_purchase: dict[tuple[str, str | None], datetime] = {}
    for event in small.events:  # chronological
        key = (event.subject_id, event.item_id)
        if event.event_type is EventType.VIEW:
            first_view.setdefault(key, event.occurred_at)
        elif event.event_type is EventType.PURCHASE:
            assert key in first_view
            assert first_view[key] < event.occurred_at
            first_purchase.setdefault(key, event.occurred_at)
        elif event.event_type is EventType.RATING:
            assert key in first_purchase
            assert first_purchase[key] < event.occurred_at


# --------------------------------------------------------------------------- consent


def test_purpose_codes_exist(small: DemoStore) -> None:
    DEFAULT_PURPOSES.require_known(c.purpose for c in small.consents)


def test_consents_are_chronological_and_utc(small: DemoStore) -> None:
    times = [c.recorded_at for c in small.consents]
    assert times == sorted(times)
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert times[-1] < SMALL.start + timedelta(days=SMALL.days)


def test_minors_never_grant(small: DemoStore) -> None:
    minors = {s.subject_id for s in small.subjects if s.attributes.is_minor}
    assert minors
    assert not [
        c for c in small.consents if c.subject_id in minors and c.status is ConsentStatus.GRANTED
    ]


def test_withdrawals_follow_a_grant(small: DemoStore) -> None:
    granted: set[tuple[str, str]] = set()
    withdrawals = 0
    for choice in small.consents:  # in ledger order
        key = (choice.subject_id, choice.purpose)
        if choice.status is ConsentStatus.GRANTED:
            granted.add(key)
        elif choice.status is ConsentStatus.WITHDRAWN:
            assert key in granted
            withdrawals += 1
    assert withdrawals > 0


def test_personas_have_their_consent_states(small: DemoStore) -> None:
    check_personas(small)


def check_personas(store: DemoStore) -> None:
    state = states(store)
    subjects = {s.subject_id: s for s in store.subjects}
    items = items_by_id(store)
    events: dict[str, list[tuple[EventType, Item]]] = defaultdict(list)
    for e in store.events:
        if e.subject_id in PERSONAS and e.item_id:
            events[e.subject_id].append((e.event_type, items[e.item_id]))

    alice = state["alice"]
    assert alice.granted == {
        PERSONALIZATION_EXPLICIT,
        PERSONALIZATION_BEHAVIORAL,
        ANALYTICS_AGGREGATE,
        MARKETING_EMAIL,
    }
    assert subjects["alice"].attributes.time_zone == "Europe/London"
    bought = [i.category for kind, i in events["alice"] if kind is EventType.PURCHASE]
    rated = [i for kind, i in events["alice"] if kind is EventType.RATING]
    views = [i for kind, i in events["alice"] if kind is EventType.VIEW]
    assert 35 <= len(bought) <= 45
    assert len(rated) >= 30
    assert len(views) >= 200
    assert set(bought) <= {"sports", "outdoors", "books"}

    assert not state["bob"].has_choices
    assert events["bob"]

    carol = state["carol"]
    assert carol.is_granted(PERSONALIZATION_EXPLICIT)
    assert carol.choices[PERSONALIZATION_BEHAVIORAL].status is ConsentStatus.DENIED
    carol_bought = {i.category for kind, i in events["carol"] if kind is EventType.PURCHASE}
    assert carol_bought
    assert carol_bought <= {"kitchen", "grocery"}

    assert subjects["dan"].attributes.age_band is AgeBand.UNDER_18
    assert not state["dan"].granted
    assert events["dan"]

    erin = state["erin"]
    assert erin.is_granted(PERSONALIZATION_EXPLICIT)
    assert erin.is_granted(PERSONALIZATION_BEHAVIORAL)
    assert erin.is_granted(MARKETING_EMAIL)
    for code in ("gambling", "alcohol"):
        assert erin.choices[sensitive_purpose_code(code)].status is ConsentStatus.DENIED
    browsed = {code for _, i in events["erin"] for code in i.sensitive}
    assert {"gambling", "alcohol"} <= browsed


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"n_items": 10}, "n_items"),
        ({"n_subjects": 5}, "n_subjects"),
        ({"n_events": -1}, "n_events"),
        ({"days": 3}, "days"),
        ({"start": datetime(2026, 5, 1)}, "start"),  # naive on purpose
    ],
)
def test_bad_config_is_refused(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        generate(replace(SMALL, **change))  # type: ignore[arg-type]
    assert [e.field for e in raised.value.errors] == [field]


def test_start_in_another_zone_gives_utc_times() -> None:
    start = datetime(2026, 5, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    store = generate(DemoConfig(n_items=60, n_subjects=40, n_events=500, start=start, days=14))
    assert all(e.occurred_at.tzinfo is UTC for e in store.events)
    assert min(e.occurred_at for e in store.events) >= start


# --------------------------------------------------------------------------- full size


def test_default_store_meets_the_minimums(full_size: DemoStore) -> None:
    store = full_size
    assert len(store.items) >= 2000
    assert len({i.category for i in store.items}) >= 20
    assert any(i.is_sensitive for i in store.items)
    assert len(store.subjects) >= 5000
    assert len(store.events) >= 200_000
    check_personas(store)

    # Power law: the top tenth of the items gets more than 40% of the events.
    per_item = sorted(Counter(e.item_id for e in store.events if e.item_id).values())[::-1]
    assert sum(per_item[: len(store.items) // 10]) > 0.4 * sum(per_item)

    # Segment preference: each segment over-uses its favourite category.
    items = items_by_id(store)
    overall: Counter[str] = Counter()
    per_segment: dict[str, Counter[str]] = defaultdict(Counter)
    for e in store.events:
        if e.item_id:
            category = items[e.item_id].category
            overall[category] += 1
            per_segment[store.segments[e.subject_id]][category] += 1
    total = sum(overall.values())
    for segment, counts in per_segment.items():
        favourite = SEGMENTS[segment][0]
        assert counts[favourite] / sum(counts.values()) > 2 * overall[favourite] / total

    # Consent mix, from each subject's first choice on personalization.
    first: dict[str, dict[str, ConsentStatus]] = defaultdict(dict)
    for c in store.consents:
        first[c.subject_id].setdefault(c.purpose, c.status)
    mix: Counter[str] = Counter()
    for s in store.subjects:
        chosen = first.get(s.subject_id, {})
        if PERSONALIZATION_EXPLICIT not in chosen:
            mix["none"] += 1
        elif chosen[PERSONALIZATION_EXPLICIT] is not ConsentStatus.GRANTED:
            mix["deny"] += 1
        elif chosen[PERSONALIZATION_BEHAVIORAL] is ConsentStatus.GRANTED:
            mix["full"] += 1
        else:
            mix["basic"] += 1
    share = {k: v / len(store.subjects) for k, v in mix.items()}
    assert share["none"] == pytest.approx(0.35, abs=0.04)
    assert share["deny"] == pytest.approx(0.15, abs=0.04)
    assert share["basic"] == pytest.approx(0.20, abs=0.04)
    assert share["full"] == pytest.approx(0.30, abs=0.04)
    granted = states(store)
    opted_in = sum(any(p.startswith("sensitive.") for p in st.granted) for st in granted.values())
    assert 0.015 <= opted_in / len(store.subjects) <= 0.05
