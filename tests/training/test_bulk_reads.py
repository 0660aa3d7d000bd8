"""Bulk reads for training, on SQLite and PostgreSQL: same facts as the store's own reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest

from tactful.consent.ledger import derive_state
from tactful.domain.events import EventType
from tactful.domain.subjects import SubjectAttributes
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage.bulk import iter_event_columns, iter_subject_consents
from tactful.training.columns import EVENT_TYPES
from tactful.training.interactions import build_training_data
from tests.training.randomised import RandomShop, random_shop
from tests.training.reference import reference_training_data
from tests.training.test_training_data import assert_same


@pytest.fixture
def loaded(settings: Settings) -> Iterator[tuple[Tactful, RandomShop]]:
    """A random shop loaded through the service; some grants change after the events."""
    shop = random_shop(np.random.default_rng(7), n_subjects=60, n_events=3000)
    service = Tactful(settings)
    service.add_items(list(shop.catalog.values()))
    service.add_subjects(shop.subjects)
    service.import_consents([r for records in shop.ledgers.values() for r in records])
    known = {s.subject_id for s in shop.subjects}
    events = [e for e in shop.events if e.subject_id in known and e.item_id in shop.catalog]
    for start in range(0, len(events), 500):
        service.add_events(events[start : start + 500])
    service.import_consents(shop.later)
    yield service, shop
    service.close()


def test_subject_ledgers_match_the_store(loaded: tuple[Tactful, RandomShop]) -> None:
    service, shop = loaded
    with service.store.reading() as conn:
        streamed = list(iter_subject_consents(conn, chunk_rows=7))
        with_ledger = [
            s.subject_id for s in shop.subjects if service.store.consents_for(conn, s.subject_id)
        ]
        assert 0 < len(with_ledger) < len(shop.subjects)
        assert sorted(s.subject_id for s in streamed) == sorted(with_ledger)
        for subject in streamed:
            stored = service.store.get_subject(conn, subject.subject_id)
            assert stored is not None
            assert subject.attributes == SubjectAttributes(age_band=stored.attributes.age_band)
            records = service.store.consents_for(conn, subject.subject_id)
            assert sorted(subject.records, key=lambda r: r.sequence) == records
            assert derive_state(subject.subject_id, subject.records) == derive_state(
                subject.subject_id, records
            )


def test_event_columns_match_the_store(loaded: tuple[Tactful, RandomShop]) -> None:
    service, _ = loaded
    with service.store.reading() as conn:
        chunks = list(iter_event_columns(conn, chunk_rows=100))
        want = Counter(
            (e.subject_id, e.item_id, e.event_type.value, e.value)
            for e in service.store.iter_events(conn, list(EventType))
        )
    assert len(chunks) > 1
    assert all(len(c) <= 100 for c in chunks)
    got = Counter(
        (s, i, EVENT_TYPES[t].value, None if np.isnan(v) else v)
        for c in chunks
        for s, i, t, v in zip(
            c.subject_ids, c.item_ids, c.event_types.tolist(), c.values.tolist(), strict=True
        )
    )
    assert sum(want.values()) > 500
    assert got == want


def test_training_data_from_bulk_reads_matches_the_per_event_rules(
    loaded: tuple[Tactful, RandomShop],
) -> None:
    service, shop = loaded
    with service.store.reading() as conn:
        catalog = service.catalog(conn, force=True)
        data = build_training_data(
            iter_subject_consents(conn, chunk_rows=5),
            iter_event_columns(conn, chunk_rows=64),
            catalog,
            service.purposes,
        )
        attributes = {s.subject_id: s.attributes for s in shop.subjects}
        personal, aggregate, read = reference_training_data(
            service.store.iter_events(conn, list(EventType)),
            service.store.all_consents(conn),
            attributes,
            catalog,
            service.purposes,
        )
    assert personal.matrix.nnz > 0
    assert_same(data.personal, personal)
    assert_same(data.aggregate, aggregate)
    assert data.events_read == read
