"""The decision's cheaper steps give exactly what the plain versions they replace give.

Each fast path is checked by Hypothesis against a reference written the plain way (the
way the pipeline computed it before): ranking a history-independent model once, the
guardrail masks cached per opt-in set, signal selection and weighting inlined, the signal
policy read from a per-catalog summary, and the record's dict built in one place.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tactful.candidates.base import top_k
from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus, derive_state
from tactful.consent.levels import PersonalizationLevel
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import DEFAULT_PURPOSES, PurposeCatalog
from tactful.explanations.reasons import Explanation
from tactful.guardrails.filters import BoolArray, CatalogMasks, apply_filters, owned_items
from tactful.pipeline.models import FixedRanking
from tactful.records.decision import DecisionRecord, RecommendedItem, new_decision_id
from tactful.signals.selection import (
    CONTENT_PERSONALIZATION_USE,
    LEVEL_EVENT_TYPES,
    SignalPolicy,
    select_signals,
    signal_policy,
)
from tactful.signals.weights import signal_weight, strongest_by_item

T0 = datetime(2026, 9, 1, tzinfo=UTC)
SCORE = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, float("nan"), float("inf"), float("-inf")])
CATEGORIES = ["alcohol", "gambling", "health"]
ITEM_IDS = [f"i{n}" for n in range(12)]


@given(
    st.lists(st.tuples(SCORE, st.booleans()), max_size=300),
    st.integers(min_value=-1, max_value=80),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_a_fixed_ranking_picks_what_top_k_picks(
    cells: list[tuple[float, bool]], k: int, exclude_share: float
) -> None:
    scores = np.array([s for s, _ in cells], dtype=np.float32)
    # Mostly excluded lists make the ranking look past its first few columns.
    exclude = np.array([e or n % 10 < exclude_share * 10 for n, (_, e) in enumerate(cells)])
    exclude = exclude.astype(bool).reshape(len(cells))
    ranking = FixedRanking.of(scores)
    chosen = ranking.top_k(k, exclude)
    assert chosen.dtype == np.int64
    assert chosen.tolist() == top_k(scores, k, exclude).tolist()
    assert np.array_equal(ranking.scores, scores, equal_nan=True)


def test_a_fixed_ranking_looks_past_a_fully_excluded_top() -> None:
    scores = np.random.default_rng(7).integers(0, 50, size=1000).astype(np.float32)
    ranking = FixedRanking.of(scores)
    exclude = np.zeros(1000, dtype=bool)
    exclude[ranking.order[:300]] = True  # more than the ranking's first look covers
    for k in (1, 10, 37):
        chosen = ranking.top_k(k, exclude)
        assert chosen.tolist() == top_k(scores, k, exclude).tolist()
        assert len(chosen) == k


def _plain_filters(
    masks: CatalogMasks, index: dict[str, int], opted_in: frozenset[str], used: list[Event]
) -> tuple[BoolArray, dict[str, int]]:
    exclude = masks.missing.copy()
    sensitive = np.zeros_like(exclude)
    for category, mask in masks.sensitive.items():
        if category not in opted_in:
            sensitive |= mask
    sensitive &= ~exclude
    exclude |= sensitive
    owned = np.zeros_like(exclude)
    owned[[index[i] for i in owned_items(used) if i in index]] = True
    owned &= ~exclude
    exclude |= owned
    counts = {
        "not_in_catalog": int(np.count_nonzero(masks.missing)),
        "sensitive_category": int(np.count_nonzero(sensitive)),
        "already_purchased": int(np.count_nonzero(owned)),
    }
    return exclude, counts


def _events(draw_items: list[tuple[int, int, float | None]]) -> list[Event]:
    kinds = list(EventType)
    return [
        Event(
            "s",
            kinds[kind % len(kinds)],
            T0 + timedelta(minutes=n),
            None if item < 0 else f"i{item}" if item < 14 else "gone",
            value,
        )
        for n, (kind, item, value) in enumerate(draw_items)
    ]


EVENTS = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(-1, 15),
        st.one_of(st.none(), st.sampled_from([1.0, 2.0, 2.5, 4.0, 5.0])),
    ),
    max_size=40,
)


@given(
    st.lists(st.sets(st.sampled_from(CATEGORIES), max_size=2), min_size=12, max_size=12),
    st.sets(st.integers(0, 11), max_size=4),
    st.lists(st.sets(st.sampled_from(CATEGORIES)), min_size=1, max_size=4),
    EVENTS,
)
def test_guardrails_with_cached_masks_match_the_plain_filters(
    sensitive: list[set[str]],
    gone: set[int],
    opt_ins: list[set[str]],
    events: list[tuple[int, int, float | None]],
) -> None:
    catalog = {
        item_id: Item(item_id, item_id, "c", sensitive=frozenset(sensitive[n]))
        for n, item_id in enumerate(ITEM_IDS)
        if n not in gone
    }
    # Model columns: every catalog id plus two the catalog no longer has.
    model_ids = [*ITEM_IDS, "i12", "i13"]
    index = {item: n for n, item in enumerate(model_ids)}
    masks = CatalogMasks.build(model_ids, catalog)
    used = _events(events)
    for opted in opt_ins * 2:  # every opt-in set twice: built, then from the cache
        result = apply_filters(masks, index, frozenset(opted), used)
        exclude, counts = _plain_filters(masks, index, frozenset(opted), used)
        assert result.exclude.tolist() == exclude.tolist()
        assert dict(result.held_back) == counts
        assert result.exclude.flags.writeable


def _policy_plain(level: PersonalizationLevel, records: list[ConsentRecord]) -> SignalPolicy:
    state = derive_state("s", records)
    purposes = DEFAULT_PURPOSES
    justification: dict[EventType, frozenset[str]] = {}
    for event_type in LEVEL_EVENT_TYPES[level]:
        granted = frozenset(
            code
            for code in purposes.covering(event_type.data_category)
            if CONTENT_PERSONALIZATION_USE in purposes.get(code).fides_data_uses
            and state.is_granted(code)
        )
        if granted:
            justification[event_type] = granted
    return SignalPolicy(
        level,
        frozenset(justification),
        justification,
        frozenset(
            p.sensitive_category
            for p in purposes
            if p.sensitive_category is not None and state.is_granted(p.code)
        ),
    )


CHOICES = st.lists(
    st.tuples(
        st.sampled_from(sorted(p.code for p in DEFAULT_PURPOSES)),
        st.sampled_from(list(ConsentStatus)),
    ),
    max_size=12,
)


@given(st.sampled_from(list(PersonalizationLevel)), CHOICES, EVENTS)
def test_signal_policy_and_selection_match_the_plain_rules(
    level: PersonalizationLevel,
    choices: list[tuple[str, ConsentStatus]],
    events: list[tuple[int, int, float | None]],
) -> None:
    records = [
        ConsentRecord("s", code, status, "v1", ConsentMethod.API, T0, sequence=n)
        for n, (code, status) in enumerate(choices, start=1)
    ]
    policy = signal_policy(level, derive_state("s", records), DEFAULT_PURPOSES)
    assert policy == _policy_plain(level, records)
    catalog = {
        f"i{n}": Item(f"i{n}", "t", "c", sensitive=frozenset(CATEGORIES[n % 4 :][:1]))
        for n in range(14)
    }
    used = _events(events)
    selected = select_signals(used, policy, catalog)
    plain = [e for e in used if policy.allows(e, catalog.get(e.item_id) if e.item_id else None)]
    assert selected == plain
    best: dict[str, tuple[float, Event]] = {}
    for e in used:
        if e.item_id is not None and (
            e.item_id not in best or signal_weight(e) > best[e.item_id][0]
        ):
            best[e.item_id] = (signal_weight(e), e)
    assert strongest_by_item(used) == best
    assert list(strongest_by_item(used)) == list(best)


def test_a_purpose_catalog_of_ones_own_gets_its_own_policy() -> None:
    only_explicit = PurposeCatalog(
        MappingProxyType(
            {c: p for c, p in DEFAULT_PURPOSES.by_code.items() if c != "personalization.behavioral"}
        )
    )
    records = [
        ConsentRecord("s", c, ConsentStatus.GRANTED, "v1", ConsentMethod.API, T0, n)
        for n, c in enumerate(sorted(DEFAULT_PURPOSES.by_code))
    ]
    state = derive_state("s", records)
    full = signal_policy(PersonalizationLevel.FULL, state, DEFAULT_PURPOSES)
    narrow = signal_policy(PersonalizationLevel.FULL, state, only_explicit)
    assert EventType.VIEW in full.event_types
    assert EventType.VIEW not in narrow.event_types
    assert signal_policy(PersonalizationLevel.FULL, state, DEFAULT_PURPOSES) == full


def test_decision_ids_are_random_version_4_uuids() -> None:
    ids = [new_decision_id() for _ in range(200)]
    parsed = [uuid.UUID(i) for i in ids]
    assert [str(p) for p in parsed] == ids
    assert {p.version for p in parsed} == {4}
    assert {p.variant for p in parsed} == {uuid.RFC_4122}
    assert len(set(ids)) == len(ids)


def test_the_record_dict_is_built_as_its_parts_would_build_it() -> None:
    explanation = Explanation("why", ("rating",), ("personalization.explicit",), "v", True, "i1")
    items = [RecommendedItem(f"i{n}", f"T{n}", "c", n, 1.0 / n, explanation) for n in range(1, 4)]
    record = DecisionRecord(
        decision_id=new_decision_id(),
        subject_id="s",
        surface="home",
        level=PersonalizationLevel.BASIC,
        level_reason="r",
        personalized=True,
        model_name="ease",
        model_version="v",
        purposes=frozenset({"personalization.explicit"}),
        signals_used={"rating": 2, "purchase": 1},
        items=items,
        held_back={"not_in_catalog": 0},
        created_at=T0,
    )
    body = record.as_dict()
    assert body["items"] == [i.as_dict() for i in items]
    assert body["items"][0]["explanation"] is not body["items"][1]["explanation"]
    assert list(body["signals_used"]) == ["rating", "purchase"]
