"""The decision at the aggregate level: derived from consent alone, it reads no signal, ranks
by the cohort's released trends (or the population's), and every guardrail still binds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest

from tactful.candidates.base import Interactions
from tactful.candidates.registry import build
from tactful.consent.ledger import (
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    derive_state,
)
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import (
    DEFAULT_PURPOSES,
    PERSONALIZATION_AGGREGATE,
    PERSONALIZATION_BEHAVIORAL,
    PERSONALIZATION_EXPLICIT,
)
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.pipeline.decide import DecisionContext, DecisionRequest, decide
from tactful.pipeline.models import ModelHandle
from tactful.privacy import CohortConfig, CohortTrends
from tactful.records.decision import DecisionRecord

T0 = datetime(2026, 12, 2, tzinfo=UTC)
CATALOG = {f"i{n:02d}": Item(f"i{n:02d}", f"Item {n}", f"cat{n % 4}") for n in range(24)}
CATALOG["bet"] = Item("bet", "Bet", "betting", sensitive=frozenset({"gambling"}))
CATALOG["ed"] = Item("ed", "Staff pick", "cat0", editorial=True)
COUNTABLE = sorted(i for i, item in CATALOG.items() if not item.sensitive)
ADULT_NORTH = SubjectAttributes(age_band=AgeBand.A25_34, region="north")


def _handles() -> tuple[ModelHandle, ModelHandle, ModelHandle]:
    rng = np.random.default_rng(3)
    triples = [
        (f"u{u}", sorted(CATALOG)[int(i)], 1.0)
        for u in range(300)
        for i in rng.choice(len(CATALOG), 5, replace=False)
    ]
    everyone = Interactions.from_triples(triples, sorted(CATALOG))
    popular = ModelHandle.of("popularity", "pop-1", build("popularity").fit(everyone))
    personal = ModelHandle.of("ease", "ease-1", build("ease", {"l2": 10.0}).fit(everyone))
    # The north cohort buys i20..i23, everyone else i00..i03.
    trends_data = Interactions.from_triples(
        [(f"n{u}", f"i{20 + j:02d}", 1.0) for u in range(150) for j in range(4)]
        + [(f"o{u}", f"i{j:02d}", 1.0) for u in range(400) for j in range(4)],
        COUNTABLE,
    )
    cohorts = {f"n{u}": ("north", "25-34") for u in range(150)}
    config = CohortConfig(epsilon=50.0, min_cohort=50, max_items=4, regions=("north", "south"))
    trends = CohortTrends(config, cohorts).fit(trends_data)
    return popular, personal, ModelHandle.of("cohorts", "cohorts-1", trends)


POPULAR, PERSONAL, COHORTS = _handles()


def _records(*granted: str, denied: tuple[str, ...] = ()) -> list[ConsentRecord]:
    statuses = [(c, ConsentStatus.GRANTED) for c in granted]
    statuses += [(c, ConsentStatus.DENIED) for c in denied]
    return [
        ConsentRecord("p", code, status, "v", ConsentMethod.API, T0, sequence=n)
        for n, (code, status) in enumerate(statuses, start=1)
    ]


def _never(_types: frozenset[EventType]) -> Sequence[Event]:
    raise AssertionError("the aggregate level must not read any signal")


def _decide(
    records: list[ConsentRecord],
    attributes: SubjectAttributes = ADULT_NORTH,
    cohorts: ModelHandle | None = COHORTS,
    k: int = 6,
    pinned: tuple[str, ...] = (),
    **controls: frozenset[str],
) -> DecisionRecord:
    ctx = DecisionContext(
        Subject("p", attributes),
        records,
        _never,
        CATALOG,
        DEFAULT_PURPOSES,
        POPULAR,
        PERSONAL,
        cohorts=cohorts,
        **controls,  # type: ignore[arg-type]
    )
    return decide(DecisionRequest("p", k, "home", T0, pinned), ctx)


def test_the_level_is_aggregate_only_with_trends_and_without_profiling() -> None:
    def level(*granted: str, band: AgeBand = AgeBand.A25_34) -> PersonalizationLevel:
        state = derive_state("p", _records(*granted))
        return derive_level(state, SubjectAttributes(age_band=band)).level

    assert level() is PersonalizationLevel.OFF
    assert level(PERSONALIZATION_AGGREGATE) is PersonalizationLevel.AGGREGATE
    assert level(PERSONALIZATION_AGGREGATE, band=AgeBand.UNDER_18) is PersonalizationLevel.OFF
    assert level(PERSONALIZATION_AGGREGATE, PERSONALIZATION_EXPLICIT) is PersonalizationLevel.BASIC
    assert (
        level(PERSONALIZATION_AGGREGATE, PERSONALIZATION_EXPLICIT, PERSONALIZATION_BEHAVIORAL)
        is PersonalizationLevel.FULL
    )
    # Behavioural consent alone turns nothing on, with or without the trends.
    assert level(PERSONALIZATION_BEHAVIORAL) is PersonalizationLevel.OFF
    assert level(PERSONALIZATION_AGGREGATE, PERSONALIZATION_BEHAVIORAL) is (
        PersonalizationLevel.AGGREGATE
    )
    reason = derive_level(
        derive_state("p", _records(PERSONALIZATION_AGGREGATE)), SubjectAttributes()
    ).reason
    assert "differential privacy" in reason


def test_a_released_cohort_ranks_by_its_own_trends_and_reads_nothing() -> None:
    record = _decide(_records(PERSONALIZATION_AGGREGATE))
    assert record.level is PersonalizationLevel.AGGREGATE
    assert (record.model_name, record.model_version) == ("cohorts", "cohorts-1")
    assert record.personalized is False
    assert record.signals_used == {}
    assert record.purposes == frozenset({PERSONALIZATION_AGGREGATE})
    shown = [i.item_id for i in record.items]
    assert set(shown[:4]) == {"i20", "i21", "i22", "i23"}
    explanation = record.items[0].explanation
    assert explanation.reason_code == "cohort"
    assert dict(explanation.reason_args) == {"cohort": "north, 25-34", "k": "50", "epsilon": "50"}
    assert explanation.purposes == (PERSONALIZATION_AGGREGATE,)
    assert explanation.personal is False
    assert explanation.signals == ()
    assert "cohort north, 25-34" in record.notes[0]
    assert "cohorts-1" in record.notes[0]


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        (SubjectAttributes(age_band=AgeBand.A45_54, region="south"), "cohort_population.too_small"),
        (SubjectAttributes(age_band=AgeBand.A45_54), "cohort_population.no_cohort"),
        (SubjectAttributes(region="atlantis"), "cohort_population.no_cohort"),
    ],
)
def test_without_a_released_cohort_the_population_trends_are_shown(
    attributes: SubjectAttributes, code: str
) -> None:
    record = _decide(_records(PERSONALIZATION_AGGREGATE), attributes)
    assert record.model_name == "cohorts"
    shown = [i.item_id for i in record.items]
    assert set(shown[:4]) == {"i00", "i01", "i02", "i03"}
    assert {i.explanation.reason_code for i in record.items} == {code}


def test_before_the_trends_are_computed_the_popular_list_stands_in() -> None:
    record = _decide(_records(PERSONALIZATION_AGGREGATE), cohorts=None)
    assert record.level is PersonalizationLevel.AGGREGATE
    assert record.model_name == "popularity"
    assert record.purposes == frozenset()
    codes = {i.explanation.reason_code for i in record.items}
    assert codes <= {"popular.aggregate", "editorial.aggregate"}
    assert "not computed yet" in record.notes[0]


def test_a_minor_who_granted_the_trends_is_off() -> None:
    minor = SubjectAttributes(age_band=AgeBand.UNDER_18, region="north")
    record = _decide(_records(PERSONALIZATION_AGGREGATE), minor)
    assert record.level is PersonalizationLevel.OFF
    assert record.model_name == "popularity"


def test_the_guardrails_and_the_persons_controls_bind_the_cohort_list() -> None:
    records = _records(PERSONALIZATION_AGGREGATE)
    record = _decide(
        records,
        k=30,
        not_interested=frozenset({"i20"}),
        suppressed=frozenset({"i21"}),
        self_excluded=frozenset({"cat3"}),
        pinned=("bet", "i05"),
    )
    shown = [i.item_id for i in record.items]
    assert shown[0] == "i05"  # pinned first; the gambling item held back without opt-in
    assert "bet" not in shown
    assert "i20" not in shown
    assert "i21" not in shown
    assert all(CATALOG[i].category != "cat3" for i in shown)
    assert record.items[0].explanation.reason_code == "pinned"


def test_a_sensitive_item_is_never_in_the_trends_even_with_an_opt_in() -> None:
    assert "bet" not in COHORTS.index
    record = _decide(_records(PERSONALIZATION_AGGREGATE, "sensitive.gambling"), k=30)
    assert "bet" not in [i.item_id for i in record.items]
