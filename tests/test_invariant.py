"""The central invariant, for any consent state and any history (Hypothesis):

no decision uses a signal whose purpose is not granted, and no sensitive item reaches a
subject who did not opt in to its category. At every level, the aggregate one included (its
cohort trends in the context): no signal is even asked for there, and its lists come from
the cohort trends, relying on nothing but `personalization.aggregate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tactful.candidates.base import Interactions
from tactful.candidates.registry import build
from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus, derive_state
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import DEFAULT_PURPOSES
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.pipeline.decide import DecisionContext, DecisionRequest, decide
from tactful.pipeline.models import ModelHandle
from tactful.privacy import CohortConfig, CohortTrends

T0 = datetime(2026, 9, 1, tzinfo=UTC)
SENSITIVE = {"bet": "gambling", "wine": "alcohol", "pill": "health"}
CATALOG: dict[str, Item] = {}
for n in range(40):
    CATALOG[f"i{n}"] = Item(f"i{n}", f"Item {n}", f"cat{n % 5}")
for prefix, category in SENSITIVE.items():
    for n in range(4):
        CATALOG[f"{prefix}{n}"] = Item(
            f"{prefix}{n}", f"{prefix} {n}", prefix, sensitive=frozenset({category})
        )
ITEM_IDS = sorted(CATALOG)
PURPOSE_CODES = sorted(p.code for p in DEFAULT_PURPOSES)
EXPLICIT = {EventType.PURCHASE, EventType.RATING}
BEHAVIOURAL = set(EventType) - EXPLICIT


def fit_models(item_ids: list[str], seed: int, users: int) -> tuple[ModelHandle, ModelHandle]:
    """Popularity and EASE fitted on `users` random shoppers of 8 items each."""
    gen = np.random.default_rng(seed)
    triples = [
        (f"u{u}", item_ids[int(i)], 1.0)
        for u in range(users)
        for i in gen.choice(len(item_ids), size=8, replace=False)
    ]
    data = Interactions.from_triples(triples, item_ids)
    popular = build("popularity").fit(data)
    ease = build("ease", {"l2": 50.0}).fit(data)
    return ModelHandle.of("popularity", "pop-1", popular), ModelHandle.of("ease", "ease-1", ease)


POPULAR, PERSONAL = fit_models(ITEM_IDS, seed=7, users=200)
REGIONS = ("north", "south")


def fit_cohorts(seed: int, users: int) -> ModelHandle:
    """Cohort trends over the items in no sensitive category (what training counts), with
    noise light enough and k low enough that some cohorts are released and some not."""
    gen = np.random.default_rng(seed)
    countable = [i for i in ITEM_IDS if not CATALOG[i].sensitive]
    triples = [
        (f"u{u}", countable[int(i)], 1.0)
        for u in range(users)
        for i in gen.choice(len(countable), size=6, replace=False)
    ]
    bands = ("25-34", "35-44", "45-54")
    cohorts = {f"u{u}": (REGIONS[u % 2], bands[u % 3]) for u in range(users) if u % 5}
    config = CohortConfig(epsilon=4.0, min_cohort=25, max_items=6, regions=REGIONS)
    trends = CohortTrends(config, cohorts).fit(Interactions.from_triples(triples, countable))
    return ModelHandle.of("cohorts", "cohorts-1", trends)


COHORTS = fit_cohorts(seed=11, users=200)

choices = st.lists(
    st.tuples(st.sampled_from(PURPOSE_CODES), st.sampled_from(list(ConsentStatus))),
    max_size=12,
)
events = st.lists(
    st.tuples(st.sampled_from(list(EventType)), st.sampled_from(ITEM_IDS)), max_size=30
)


def _aggregate_level(granted: set[str], minor: bool) -> bool:
    """The oracle of the aggregate level: trends allowed, profiling not."""
    explicit = "personalization.explicit" in granted
    return not minor and not explicit and "personalization.aggregate" in granted


def _allowed_types(granted: set[str], minor: bool) -> set[EventType]:
    """An oracle written apart from the pipeline's own selection code."""
    if minor or "personalization.explicit" not in granted:
        return set()
    allowed = set(EXPLICIT)
    if "personalization.behavioral" in granted:
        allowed |= BEHAVIOURAL
    return allowed


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    choices=choices,
    history=events,
    minor=st.booleans(),
    k=st.integers(1, 60),
    region=st.sampled_from([*REGIONS, "west", None]),
    band=st.sampled_from([AgeBand.A25_34, AgeBand.A45_54, AgeBand.A65_PLUS, None]),
    trends=st.booleans(),
)
def test_no_signal_without_a_granted_purpose(
    choices: list[tuple[str, ConsentStatus]],
    history: list[tuple[EventType, str]],
    minor: bool,
    k: int,
    region: str | None,
    band: AgeBand | None,
    trends: bool,
) -> None:
    records = [
        ConsentRecord("p", purpose, status, "v1", ConsentMethod.API, T0, sequence=n)
        for n, (purpose, status) in enumerate(choices, start=1)
    ]
    granted = set(derive_state("p", records).granted)
    attrs = SubjectAttributes(age_band=AgeBand.UNDER_18 if minor else band, region=region)
    stored = [
        Event(
            "p",
            kind,
            T0 + timedelta(minutes=n),
            item_id=item,
            value=4.0 if kind is EventType.RATING else None,
        )
        for n, (kind, item) in enumerate(history)
    ]
    requested: list[frozenset[EventType]] = []

    def load(types: frozenset[EventType]) -> Sequence[Event]:
        requested.append(types)
        return stored  # hand back everything: the pipeline must still select

    ctx = DecisionContext(
        Subject("p", attrs),
        records,
        load,
        CATALOG,
        DEFAULT_PURPOSES,
        POPULAR,
        PERSONAL,
        cohorts=COHORTS if trends else None,
    )
    record = decide(DecisionRequest("p", k, "home", T0), ctx)

    allowed = _allowed_types(granted, minor)
    aggregate = _aggregate_level(granted, minor)
    assert (record.level.value == "aggregate") is aggregate
    if aggregate:
        assert requested == []
        assert record.model_name == ("cohorts" if trends else "popularity")
        codes = {s.explanation.reason_code for s in record.items}
        if trends:
            kinds = {"cohort", "cohort_population.too_small", "cohort_population.no_cohort"}
        else:
            kinds = {"popular.aggregate", "editorial.aggregate"}
        assert codes <= kinds
        if trends and record.items:
            assert "personalization.aggregate" in record.purposes
    else:
        assert record.model_name != "cohorts"
        assert "personalization.aggregate" not in record.purposes
    opted_in = set() if minor else {c for c in SENSITIVE.values() if f"sensitive.{c}" in granted}
    for types in requested:
        assert set(types) <= allowed
    assert {EventType(s) for s in record.signals_used} <= allowed
    assert set(record.purposes) <= granted
    if not allowed:
        assert not record.personalized
        assert record.signals_used == {}
    usable_items = {
        item for kind, item in history if kind in allowed and CATALOG[item].sensitive <= opted_in
    }
    for shown in record.items:
        item = CATALOG[shown.item_id]
        assert item.sensitive <= opted_in, (shown.item_id, granted)
        assert set(shown.explanation.purposes) <= granted
        assert {EventType(s) for s in shown.explanation.signals} <= allowed
        if shown.explanation.because_item_id is not None:
            assert shown.explanation.because_item_id in usable_items
    assert len(record.items) == min(k, len(record.items))


@pytest.mark.parametrize("minor", [False, True])
def test_sensitive_opt_in_is_per_category(minor: bool) -> None:
    records = [
        ConsentRecord(
            "p", "personalization.explicit", ConsentStatus.GRANTED, "v1", ConsentMethod.API, T0, 1
        ),
        ConsentRecord(
            "p", "sensitive.gambling", ConsentStatus.GRANTED, "v1", ConsentMethod.API, T0, 2
        ),
    ]
    attrs = SubjectAttributes(age_band=AgeBand.UNDER_18 if minor else AgeBand.A25_34)
    ctx = DecisionContext(
        Subject("p", attrs), records, lambda _t: [], CATALOG, DEFAULT_PURPOSES, POPULAR, PERSONAL
    )
    record = decide(DecisionRequest("p", 60, "home", T0), ctx)
    categories = {c for i in record.items for c in CATALOG[i.item_id].sensitive}
    assert categories == (set() if minor else {"gambling"})
