"""The guardrails' invariants, for any consent state, protections and history (Hypothesis).

For every decision, whatever the person chose, whatever they did, whichever surface
re-ranker runs and whatever the operator pins:

* no sensitive item reaches a person not opted in to each of its categories (the catalog
  category alone can make an item sensitive: that is the guardrail policy's to say);
* nothing profiling-based reaches a minor: level off, no signal read, nothing personal;
* nothing in a category the person excluded themselves from, by any path;
* nothing harm-prone for a person who flagged they are vulnerable;
* nothing they reported or said they are not interested in.

And for training: no model learns from a sensitive event of a person not opted in to its
category (neither the personal matrix nor the aggregate one counts it), nor profiles a minor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus, derive_state
from tactful.consent.levels import PersonalizationLevel
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import DEFAULT_PURPOSES
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.guardrails.policy import DEFAULT_POLICY
from tactful.pipeline.decide import DecisionContext, DecisionRequest, decide
from tactful.pipeline.surfaces import surface_rankers
from tactful.training.columns import event_columns, subject_consents
from tactful.training.interactions import build_training_data
from tests.test_invariant import fit_models

T0 = datetime(2026, 9, 1, tzinfo=UTC)
POLICY = DEFAULT_POLICY
HARM_PRONE = frozenset(POLICY.protection.harm_prone)

# Plain categories, categories the policy makes sensitive by name alone (nothing tags
# their items), and one item tagged sensitive in a plain category.
_RAW: dict[str, Item] = {}
for n in range(30):
    _RAW[f"b{n}"] = Item(
        f"b{n}",
        f"Book {n}",
        ("books", "garden", "toys")[n % 3],
        provider="indie" if n % 4 == 0 else "major",
    )
for prefix, category in (
    ("wine", "wine_spirits"),
    ("bet", "betting_lottery"),
    ("pill", "pharmacy"),
    ("smoke", "tobacco"),
):
    for n in range(4):
        _RAW[f"{prefix}{n}"] = Item(f"{prefix}{n}", f"{prefix} {n}", category)
_RAW["shake0"] = Item("shake0", "Diet shake", "grocery", sensitive=frozenset({"weight_loss"}))
CATALOG = {item_id: POLICY.effective(item) for item_id, item in _RAW.items()}
ITEM_IDS = sorted(CATALOG)
CATEGORIES = sorted({i.category for i in CATALOG.values()})
PURPOSE_CODES = sorted(p.code for p in DEFAULT_PURPOSES)
RANKERS = surface_rankers(
    {
        "diverse": {"kind": "mmr", "lambda_": 0.5},
        "calibrated": {"kind": "calibrated"},
        "explore": {"kind": "exploration", "share": 0.5},
        "fair": {"kind": "fair_exposure", "protected_providers": ["indie"], "p": 0.5},
        "debiased": {"kind": "popularity_debiased", "lambda_": 0.8},
        "by_provider": {"kind": "group_calibrated", "groups": "provider", "fairness_weight": 0.5},
        "by_popularity": {"kind": "group_calibrated", "groups": "popularity"},
    }
)


POPULAR, PERSONAL = fit_models(ITEM_IDS, seed=11, users=150)

choices = st.lists(
    st.tuples(st.sampled_from(PURPOSE_CODES), st.sampled_from(list(ConsentStatus))),
    max_size=14,
)
history = st.lists(
    st.tuples(st.sampled_from(list(EventType)), st.sampled_from(ITEM_IDS)), max_size=25
)
category_sets = st.frozensets(
    st.sampled_from([*POLICY.protection.self_excludable, *CATEGORIES]), max_size=3
)
item_sets = st.frozensets(st.sampled_from(ITEM_IDS), max_size=4)


def _records(picked: list[tuple[str, ConsentStatus]]) -> list[ConsentRecord]:
    return [
        ConsentRecord("p", purpose, status, "v1", ConsentMethod.API, T0, sequence=n)
        for n, (purpose, status) in enumerate(picked, start=1)
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picked=choices,
    events=history,
    minor=st.booleans(),
    self_excluded=category_sets,
    vulnerable=st.booleans(),
    reported=item_sets,
    not_interested=item_sets,
    less_like_this=st.frozensets(st.sampled_from(CATEGORIES), max_size=2),
    pinned=st.lists(st.sampled_from([*ITEM_IDS, "not-in-catalog"]), max_size=6),
    surface=st.sampled_from(["home", *RANKERS]),
    k=st.integers(1, len(ITEM_IDS) + 5),
)
def test_no_decision_crosses_a_guardrail(
    picked: list[tuple[str, ConsentStatus]],
    events: list[tuple[EventType, str]],
    minor: bool,
    self_excluded: frozenset[str],
    vulnerable: bool,
    reported: frozenset[str],
    not_interested: frozenset[str],
    less_like_this: frozenset[str],
    pinned: list[str],
    surface: str,
    k: int,
) -> None:
    records = _records(picked)
    granted = set(derive_state("p", records).granted)
    opted_in = (
        set() if minor else {c for c in POLICY.sensitive_codes if f"sensitive.{c}" in granted}
    )
    attrs = SubjectAttributes(age_band=AgeBand.UNDER_18 if minor else AgeBand.A35_44)
    stored = [
        Event("p", kind, T0 + timedelta(minutes=n), item, 4.0 if kind is EventType.RATING else None)
        for n, (kind, item) in enumerate(events)
    ]
    requested: list[frozenset[EventType]] = []

    def load(types: frozenset[EventType]) -> Sequence[Event]:
        requested.append(types)
        return stored

    ctx = DecisionContext(
        Subject("p", attrs),
        records,
        load,
        CATALOG,
        DEFAULT_PURPOSES,
        POPULAR,
        PERSONAL,
        suppressed=reported,
        ranker=RANKERS.get(surface),
        not_interested=not_interested,
        less_like_this=less_like_this,
        self_excluded=self_excluded,
        vulnerable=vulnerable,
        harm_prone=HARM_PRONE,
    )
    record = decide(DecisionRequest("p", k, surface, T0, tuple(pinned)), ctx)

    shown = [CATALOG[i.item_id] for i in record.items]
    assert len(shown) <= k
    assert len({i.item_id for i in shown}) == len(shown)
    for item in shown:
        categories = item.sensitive | {item.category}
        assert item.sensitive <= opted_in, item
        assert not categories & self_excluded, item
        if vulnerable:
            assert not categories & HARM_PRONE, item
        assert item.item_id not in reported
        assert item.item_id not in not_interested
    if minor:
        assert record.level is PersonalizationLevel.OFF
        assert not record.personalized
        assert record.signals_used == {}
        assert requested == []
        assert not any(i.explanation.personal for i in record.items)
    # Pinned items that pass come first, in the operator's order, marked as such.
    fine = [
        i
        for i in dict.fromkeys(pinned)
        if i in CATALOG
        and CATALOG[i].sensitive <= opted_in
        and not (CATALOG[i].sensitive | {CATALOG[i].category}) & self_excluded
        and not (vulnerable and (CATALOG[i].sensitive | {CATALOG[i].category}) & HARM_PRONE)
        and i not in reported
        and i not in not_interested
    ][:k]
    assert [i.item_id for i in record.items[: len(fine)]] == fine
    assert all(i.pinned for i in record.items[: len(fine)])
    assert not any(i.pinned for i in record.items[len(fine) :])


subjects = st.lists(
    st.tuples(
        choices,
        st.booleans(),
        st.lists(
            st.tuples(st.sampled_from(list(EventType)), st.sampled_from(ITEM_IDS)), max_size=8
        ),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=subjects)
def test_no_model_learns_what_a_person_did_not_open_up(
    people: list[tuple[list[tuple[str, ConsentStatus]], bool, list[tuple[EventType, str]]]],
) -> None:
    ledgers: dict[str, list[ConsentRecord]] = {}
    attributes: dict[str, SubjectAttributes] = {}
    events: list[Event] = []
    for n, (picked, minor, done) in enumerate(people):
        sid = f"s{n}"
        ledgers[sid] = [
            ConsentRecord(sid, purpose, status, "v1", ConsentMethod.API, T0, sequence=m)
            for m, (purpose, status) in enumerate(picked, start=1)
        ]
        attributes[sid] = SubjectAttributes(age_band=AgeBand.UNDER_18 if minor else None)
        events += [
            Event(
                sid,
                kind,
                T0 + timedelta(minutes=m),
                item,
                3.0 if kind is EventType.RATING else None,
            )
            for m, (kind, item) in enumerate(done)
        ]
    data = build_training_data(
        subject_consents(sorted(ledgers), ledgers, attributes),
        event_columns(events, chunk_rows=7),
        CATALOG,
        DEFAULT_PURPOSES,
    )
    for matrix, name in ((data.personal, "personal"), (data.aggregate, "aggregate")):
        dense = matrix.matrix.toarray()
        for row, sid in enumerate(matrix.subject_ids.tolist()):
            granted = derive_state(sid, ledgers[sid]).granted
            minor = attributes[sid].is_minor
            if name == "personal" and minor:
                assert not dense[row].any(), sid
            for col, item_id in enumerate(matrix.item_ids.tolist()):
                if dense[row, col] == 0:
                    continue
                for category in CATALOG[item_id].sensitive:
                    assert f"sensitive.{category}" in granted, (name, sid, item_id)
                    if name == "personal":
                        assert not minor
