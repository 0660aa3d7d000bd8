"""Random shops for the training-data tests: every consent situation, mixed at random.

Ledgers hold grants, denials and withdrawals of every purpose in any order (sequences are
shuffled), some subjects have none, some are minors or have no age band; items carry zero,
one or two sensitive categories; events name unknown subjects and items now and then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import DEFAULT_PURPOSES, sensitive_purpose_code
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes

T0 = datetime(2026, 6, 1, tzinfo=UTC)
SENSITIVE = ("gambling", "alcohol", "health")
# Ids whose byte order, case order and locale order disagree.
NAMES = ("alice", "Bob", "bob", "a.b", "a-b", "a_b", "A1", "z9", "Zed", "m:1", "m@2")


@dataclass(frozen=True)
class RandomShop:
    catalog: dict[str, Item]
    subjects: list[Subject]
    ledgers: dict[str, list[ConsentRecord]]
    events: list[Event]
    # Written after the events in store tests, so stored events lose their cover.
    later: list[ConsentRecord]


def random_shop(rng: np.random.Generator, n_subjects: int = 40, n_events: int = 1500) -> RandomShop:
    catalog = {}
    for n in range(int(rng.integers(5, 30))):
        k = rng.choice(3, p=[0.6, 0.3, 0.1])
        sensitive = frozenset(rng.choice(SENSITIVE, size=k, replace=False).tolist())
        catalog[f"item-{n}"] = Item(f"item-{n}", f"Item {n}", "things", sensitive=sensitive)
    ids = list(NAMES[:n_subjects]) + [f"s{n}" for n in range(n_subjects - len(NAMES))]
    bands = [*AgeBand, None]
    subjects = [
        Subject(s, SubjectAttributes(age_band=bands[int(rng.integers(0, len(bands)))])) for s in ids
    ]
    codes = [p.code for p in DEFAULT_PURPOSES]
    common = [c for c in codes if not c.startswith("sensitive.")]
    common += [sensitive_purpose_code(c) for c in SENSITIVE]
    statuses = list(ConsentStatus)
    sequence = iter(rng.permutation(10_000).tolist())

    def record(subject_id: str, late: bool = False) -> ConsentRecord:
        pool = common if rng.random() < 0.9 else codes
        return ConsentRecord(
            subject_id,
            str(pool[int(rng.integers(0, len(pool)))]),
            statuses[int(rng.choice(3, p=[0.6, 0.2, 0.2]))],
            "2026-11-15",
            ConsentMethod.API,
            T0 + timedelta(days=int(rng.integers(0, 30)) + (60 if late else 0)),
            sequence=next(sequence) + (10_000 if late else 0),
        )

    ledgers = {}
    for s in ids:
        if rng.random() < 0.8:
            ledgers[s] = [record(s) for _ in range(int(rng.integers(1, 9)))]
    later = [record(ids[int(rng.integers(0, len(ids)))], late=True) for _ in range(n_subjects)]
    item_ids = [*catalog, "ghost-item"]
    event_subjects = [*ids, "ghost-subject"]
    types = list(EventType)
    events = []
    for n in range(n_events):
        kind = types[int(rng.integers(0, len(types)))]
        value = None
        if kind is EventType.RATING:
            value = float(rng.integers(1, 11)) / 2
        item = None if rng.random() < 0.03 else item_ids[int(rng.integers(0, len(item_ids)))]
        events.append(
            Event(
                event_subjects[int(rng.integers(0, len(event_subjects)))],
                kind,
                T0 + timedelta(minutes=n),
                item,
                value,
            )
        )
    return RandomShop(catalog, subjects, ledgers, events, later)
