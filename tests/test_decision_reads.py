"""The store's decision reads and write on the DBAPI cursor give what the Core ones give.

On SQLite and PostgreSQL: the same domain values read, the same row written (so a record
written on either path reads back alike), and driver errors surfacing as SQLAlchemy's.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.errors import StoreUnavailable
from tactful.storage import tables as t
from tactful.storage.repository import _INSERT_DECISION, Store, StoredEvent

T0 = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url)
    with store.transaction() as conn:
        store.upsert_items(conn, [Item(f"i{n}", f"Item {n}", "books", "p") for n in range(6)])
        store.upsert_subjects(
            conn,
            [
                Subject("full", SubjectAttributes(AgeBand.A25_34, "north", "female", "cook")),
                Subject("bare"),
                Subject("minor", SubjectAttributes(AgeBand.UNDER_18)),
            ],
        )
        store.append_consents(
            conn,
            [
                ConsentRecord("full", p, s, "v2", m, T0 + timedelta(seconds=n))
                for n, (p, s, m) in enumerate(
                    [
                        ("personalization.explicit", ConsentStatus.GRANTED, ConsentMethod.API),
                        ("personalization.behavioral", ConsentStatus.DENIED, ConsentMethod.GPC),
                        ("personalization.explicit", ConsentStatus.WITHDRAWN, ConsentMethod.API),
                        ("personalization.explicit", ConsentStatus.GRANTED, ConsentMethod.TCF),
                    ]
                )
            ]
            + [
                ConsentRecord(
                    "minor",
                    "analytics.aggregate",
                    ConsentStatus.GRANTED,
                    "v1",
                    ConsentMethod.WEB_FORM,
                    T0,
                )
            ],
        )
        kinds = [EventType.VIEW, EventType.RATING, EventType.PURCHASE, EventType.SEARCH]
        store.add_events(
            conn,
            [
                StoredEvent(
                    Event(
                        "full",
                        kinds[n % 4],
                        T0 + timedelta(minutes=n // 2),  # pairs share a time: ties by id
                        None if kinds[n % 4] is EventType.SEARCH else f"i{n % 6}",
                        float(n % 5) if kinds[n % 4] is EventType.RATING else None,
                        "socks" if kinds[n % 4] is EventType.SEARCH else None,
                    ),
                    ("personalization.explicit",),
                )
                for n in range(30)
            ],
        )
    yield store
    store.close()


@pytest.mark.parametrize("subject_id", ["full", "bare", "minor"])
def test_subject_and_ledger_in_one_read(store: Store, subject_id: str) -> None:
    with store.reading() as conn:
        found = store.subject_and_consents(conn, subject_id)
        subject = store.get_subject(conn, subject_id)
        ledger = store.consents_for(conn, subject_id)
    assert found is not None
    assert found == (subject, ledger)
    assert [r.recorded_at.tzinfo for r in found[1]] == [UTC] * len(ledger)
    if subject_id == "full":
        assert [r.sequence for r in ledger] == sorted(r.sequence for r in ledger)
        assert len(ledger) == 4
        assert found[0].attributes.occupation == "cook"
    if subject_id == "bare":
        assert found == (Subject("bare"), [])


def test_an_unknown_subject_reads_as_none(store: Store) -> None:
    with store.reading() as conn:
        assert store.subject_and_consents(conn, "nobody") is None


@pytest.mark.parametrize(
    ("types", "limit"),
    [
        (list(EventType), 500),
        ([EventType.RATING, EventType.PURCHASE], 500),
        ([EventType.VIEW], 3),
        (list(EventType), 7),
    ],
)
def test_recent_signals_match_the_core_read(
    store: Store, types: list[EventType], limit: int
) -> None:
    with store.reading() as conn:
        fast = store.recent_signals(conn, "full", types, limit)
        core = store.events_for(conn, "full", types, limit)
    assert fast == [dataclasses.replace(e, query=None) for e in core]
    assert fast
    assert len(fast) <= limit
    assert {e.event_type for e in fast} <= set(types)
    assert all(e.occurred_at.tzinfo is UTC for e in fast)


def _record(decision_id: uuid.UUID) -> dict[str, Any]:
    return {
        "decision_id": str(decision_id),
        "subject_id": "full",
        "surface": "home",
        "level": "basic",
        "level_reason": "only explicit signals",
        "personalized": True,
        "model": {"name": "ease", "version": "ease-1"},
        "purposes": ["personalization.explicit", "sensitive.alcohol"],
        "signals_used": {"rating": 3},
        "items": [
            {"item_id": "i1", "rank": 1, "score": 0.1 + 0.2, "title": "Caf\u00e9 \u201cx\u201d"}
        ],
        "held_back": {"not_in_catalog": 0},
        "notes": [],
        "created_at": T0.isoformat(),
    }


def test_a_decision_row_is_what_the_core_insert_writes(store: Store) -> None:
    fast_id, core_id = uuid.uuid4(), uuid.uuid4()
    with store.transaction() as conn:
        store.add_decision(conn, _record(fast_id))
        core = _record(core_id)
        conn.execute(
            _INSERT_DECISION,
            {
                "decision_id": core_id,
                "subject_id": core["subject_id"],
                "surface": core["surface"],
                "level": core["level"],
                "model_name": core["model"]["name"],
                "model_version": core["model"]["version"],
                "purposes": core["purposes"],
                "record": core,
                "created_at": datetime.fromisoformat(core["created_at"]),
            },
        )
    columns = [c.name for c in t.decisions.c if c.name != "decision_id"]
    with store.reading() as conn:
        raw = {
            str(row[0]).replace("-", ""): row[1:]
            for row in conn.exec_driver_sql(
                f"SELECT decision_id, {', '.join(columns)} FROM decisions"
            )
        }
        typed = {r.decision_id: r for r in conn.execute(select(t.decisions))}
        fast_read = store.get_decision(conn, fast_id)
    fast_raw, core_raw = raw[fast_id.hex], raw[core_id.hex]
    record_at = columns.index("record")
    assert fast_raw[:record_at] + fast_raw[record_at + 1 :] == (
        core_raw[:record_at] + core_raw[record_at + 1 :]
    )
    assert fast_read == _record(fast_id)
    assert typed[fast_id].created_at == T0
    assert typed[fast_id].purposes == typed[core_id].purposes
    assert {**typed[fast_id].record, "decision_id": ""} == {
        **typed[core_id].record,
        "decision_id": "",
    }


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server
def test_a_lost_connection_mid_decision_says_store_unavailable(
    store: Store, database_url: str
) -> None:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")

    def read_after_losing_the_connection() -> None:
        with store.transaction() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            store.subject_and_consents(conn, "full")

    with pytest.raises(StoreUnavailable):
        read_after_losing_the_connection()
    admin.dispose()
    with store.reading() as conn:  # the pool dropped the dead connection
        assert store.subject_and_consents(conn, "full") is not None


def test_a_decision_written_with_no_other_statement_is_committed(store: Store) -> None:
    # The INSERT goes to the driver directly: the transaction must commit it even though
    # SQLAlchemy itself executed nothing on the connection.
    decision_id = uuid.uuid4()
    with store.transaction() as conn:
        store.add_decision(conn, _record(decision_id))
    other = Store.open(str(store.engine.url.render_as_string(hide_password=False)))
    with other.reading() as conn:
        assert other.get_decision(conn, decision_id) == _record(decision_id)
    other.close()
