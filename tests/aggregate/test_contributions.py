"""Who and what the cohort trends count: adults who granted the aggregate purpose, the kinds
of signal it covers, never an item in a sensitive category."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import DEFAULT_PURPOSES, PERSONALIZATION_AGGREGATE
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.privacy import CohortSpec
from tactful.privacy.contributions import aggregate_contributions, countable_items
from tactful.training.columns import event_columns, subject_consents

T0 = datetime(2026, 12, 2, tzinfo=UTC)
CATALOG = {
    "shoe": Item("shoe", "Shoe", "running"),
    "book": Item("book", "Book", "books"),
    "wine": Item("wine", "Wine", "wine", sensitive=frozenset({"alcohol"})),
}
SPEC = CohortSpec.of(["region", "age_band"], ["north"])


def _grant(
    subject: str, *codes: str, status: ConsentStatus = ConsentStatus.GRANTED
) -> list[ConsentRecord]:
    return [
        ConsentRecord(subject, code, status, "v", ConsentMethod.API, T0, sequence=n)
        for n, code in enumerate(codes, start=1)
    ]


def test_only_what_the_purpose_allows_is_counted() -> None:
    adult = SubjectAttributes(age_band=AgeBand.A25_34, region="north")
    attributes = {
        "ana": adult,
        "ben": SubjectAttributes(age_band=AgeBand.A35_44),  # no region: population only
        "kid": SubjectAttributes(age_band=AgeBand.UNDER_18, region="north"),
        "eve": adult,  # explicit personalization only, not the trends
        "wil": adult,  # withdrew
    }
    ledgers = {
        "ana": _grant("ana", PERSONALIZATION_AGGREGATE, "sensitive.alcohol"),
        "ben": _grant("ben", PERSONALIZATION_AGGREGATE),
        "kid": _grant("kid", PERSONALIZATION_AGGREGATE),
        "eve": _grant("eve", "personalization.explicit", "personalization.behavioral"),
        "wil": [
            *_grant("wil", PERSONALIZATION_AGGREGATE),
            ConsentRecord(
                "wil",
                PERSONALIZATION_AGGREGATE,
                ConsentStatus.WITHDRAWN,
                "v",
                ConsentMethod.API,
                T0,
                sequence=9,
            ),
        ],
    }
    events = [
        Event(who, kind, T0, item, 5.0 if kind is EventType.RATING else None)
        for who in attributes
        for kind in (EventType.PURCHASE, EventType.VIEW, EventType.RATING, EventType.SEARCH)
        for item in CATALOG
    ]
    found = aggregate_contributions(
        subject_consents(sorted(ledgers), ledgers, attributes),
        attributes,
        event_columns(events),
        CATALOG,
        DEFAULT_PURPOSES,
        SPEC,
    )
    data = found.interactions
    assert data.subject_ids.tolist() == ["ana", "ben"]
    assert data.item_ids.tolist() == ["book", "shoe"] == countable_items(CATALOG)
    assert dict(found.cohorts) == {"ana": ("north", "25-34")}
    # One cell per item, by the strongest of the person's signals for it.
    dense = data.matrix.toarray()
    assert dense.shape == (2, 2)
    assert np.all(dense > 0)
    assert found.events_read == len(events)


def test_searches_are_never_counted() -> None:
    attributes = {"ana": SubjectAttributes(age_band=AgeBand.A25_34, region="north")}
    ledgers = {"ana": _grant("ana", PERSONALIZATION_AGGREGATE)}
    found = aggregate_contributions(
        subject_consents(["ana"], ledgers, attributes),
        attributes,
        event_columns([Event("ana", EventType.SEARCH, T0, "shoe")]),
        CATALOG,
        DEFAULT_PURPOSES,
        SPEC,
    )
    assert found.interactions.matrix.nnz == 0
