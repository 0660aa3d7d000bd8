"""Migrations and the store itself, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.subjects import Subject
from tactful.storage import tables as t
from tactful.storage.database import make_engine, migrate
from tactful.storage.repository import Store


def test_migrations_match_the_tables_and_rerun_cleanly(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)  # already at head: a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    engine.dispose()
    assert diff == []


def test_times_come_back_in_utc(database_url: str) -> None:
    store = Store.open(database_url)
    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    with store.transaction() as conn:
        store.upsert_subjects(conn, [Subject("p1")])
        store.append_consents(
            conn,
            [
                ConsentRecord(
                    "p1", "analytics.aggregate", ConsentStatus.GRANTED, "v1", ConsentMethod.API, at
                )
            ],
        )
    with store.reading() as conn:
        (record,) = store.consents_for(conn, "p1")
        raw = conn.execute(select(t.consent_records.c.recorded_at)).scalar_one()
    store.close()
    assert record.recorded_at == at
    assert record.recorded_at.tzinfo is not None
    assert raw.utcoffset() == timedelta(0)
    assert raw == at.astimezone(UTC)


def test_a_failed_transaction_leaves_nothing(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        with store.transaction() as conn:
            store.upsert_subjects(conn, [Subject("p1"), Subject("p2")])
            raise RuntimeError("crash mid-batch")
    except RuntimeError:
        pass
    with store.reading() as conn:
        assert store.existing_subject_ids(conn, ["p1", "p2"]) == set()
    store.close()
