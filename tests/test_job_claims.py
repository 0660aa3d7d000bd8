"""Scheduled jobs run once per slot however many serving processes run them, on SQLite and
PostgreSQL: each process's schedule claims the run in the store first, and only the winner
runs the job."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from tactful.services.retention import Schedule
from tactful.settings import Settings
from tactful.storage import tables as t
from tactful.storage.jobs import KEEP_SLOTS, claim_run
from tactful.storage.repository import Store

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_slot_is_claimed_once(settings: Settings) -> None:
    store = Store.open(settings.resolved_database_url)
    try:
        assert claim_run(store.engine, "retention", 7, NOW)
        assert not claim_run(store.engine, "retention", 7, NOW)
        # Another slot, or another job in the same slot, is a claim of its own.
        assert claim_run(store.engine, "retention", 8, NOW)
        assert claim_run(store.engine, "fairness-audit", 7, NOW)
        # Old claims are pruned as new ones come.
        assert claim_run(store.engine, "retention", 8 + KEEP_SLOTS + 1, NOW)
        with store.engine.connect() as conn:
            left = conn.execute(
                select(t.job_runs.c.slot).where(t.job_runs.c.job == "retention")
            ).scalars()
            assert sorted(left) == [8 + KEEP_SLOTS + 1]
    finally:
        store.close()


def test_two_processes_schedules_run_the_job_once(settings: Settings) -> None:
    """Two schedules as two serving processes would start them (their first run at once,
    an interval so long that both fall in one slot): the job runs once, the other skips."""
    stores = [Store.open(settings.resolved_database_url) for _ in range(2)]
    runs: list[int] = []
    attempted = threading.Barrier(3, timeout=30)

    def schedule(n: int, store: Store) -> Schedule:
        def claim(job: str, slot: int) -> bool:
            won = claim_run(store.engine, job, slot, NOW)
            attempted.wait()
            return won

        return Schedule(lambda: runs.append(n), 1e9, "fairness-audit", first=0.0, claim=claim)

    schedules = [schedule(n, store) for n, store in enumerate(stores)]
    try:
        for s in schedules:
            s.start()
        attempted.wait()
    finally:
        for s in schedules:
            s.stop()
        for store in stores:
            store.close()
    assert len(runs) == 1
    with Store.open(settings.resolved_database_url).engine.connect() as conn:
        claims = conn.execute(select(func.count()).select_from(t.job_runs)).scalar_one()
    assert claims == 1


def test_without_a_claim_a_schedule_runs_as_before() -> None:
    ran = threading.Event()
    schedule = Schedule(ran.set, 1e9, "retention", first=0.0)
    schedule.start()
    try:
        assert ran.wait(30)
    finally:
        schedule.stop()
