"""Scheduled audits: `tactful serve` runs `fairness.run(actor="schedule")` every
`schedule.interval_hours`; a failing run is logged and retried, never fatal. The schedule is
built directly here with a tiny interval (no long sleeps)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from tactful.service import Tactful
from tactful.services.retention import Schedule
from tests.clock import Clock
from tests.fairness_runs.support import with_policy


def test_the_schedule_runs_audits_and_survives_a_failing_one(
    service: Tactful, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    twice = threading.Event()

    def job() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the store went away for a moment")
        service.fairness._scheduled_run()
        if len(calls) >= 3:
            twice.set()

    schedule = Schedule(job, 0.01, "fairness-audit", first=0.0)
    with caplog.at_level(logging.ERROR, logger="tactful.fairness-audit"):
        schedule.start()
        try:
            assert twice.wait(30), "the schedule did not run the audit twice"
        finally:
            schedule.stop()
    runs = service.fairness.history()
    assert len(runs) >= 2
    assert {r.triggered_by for r in runs} == {"schedule"}
    assert "fairness-audit run failed" in caplog.text
    assert schedule.first == 0.0


def test_the_services_schedule_follows_the_policy_and_the_last_run(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    every_day = service.fairness.schedule()
    assert every_day is not None
    assert every_day.interval == 24 * 3600
    assert every_day.first == 24 * 3600  # no run yet: one interval from the start
    service.fairness.run(actor="cli")
    clock.advance(hours=5)
    resumed = service.fairness.schedule()
    assert resumed is not None
    assert resumed.first == 19 * 3600  # one interval after the last run
    clock.advance(days=3)
    overdue = service.fairness.schedule()
    assert overdue is not None
    assert overdue.first == 0.0
    off = with_policy(service, tmp_path, "[schedule]\ninterval_hours = 0\n", clock)
    try:
        assert off.fairness.schedule() is None
    finally:
        off.close()
