"""Fairness audit runs on the trained shop (SQLite and PostgreSQL): stored with their audit
log entries, an alert when a threshold is crossed, acknowledged once, paged, reported, and
an empty window audited without fuss."""

from __future__ import annotations

from pathlib import Path

import pytest

from tactful.errors import Conflict, InvalidInput, NotFound
from tactful.service import Tactful
from tests.clock import Clock
from tests.fairness_runs.support import LENIENT, TIGHT, audit_actions, traffic, with_policy


def test_a_run_without_alert_is_stored_with_one_log_entry(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    decisions = traffic(service, clock)
    lenient = with_policy(service, tmp_path, LENIENT, clock)
    try:
        run = lenient.fairness.run(actor="cli")
    finally:
        lenient.close()
    assert not run.alert
    assert run.crossed == []
    assert run.source == "store"
    assert run.label == "store"
    assert run.triggered_by == "cli"
    assert run.window_end == clock()
    assert run.window_start is not None
    assert (run.window_end - run.window_start).days == 30  # the policy's window
    counts = run.result["counts"]
    assert counts["lists"] == len(decisions)
    assert counts["decisions"] == len(decisions)
    assert counts["people_with_lists"] == 11
    assert counts["engagements"] > 0
    assert run.result["accuracy"]["hit_rate"] is not None
    assert run.result["audit_id"] == run.audit_id
    assert run.seconds > 0
    # Stored as it was returned, and logged once, with no alert entry.
    assert service.fairness.get(run.audit_id) == run
    assert service.fairness.latest("store") == run
    assert audit_actions(service) == [
        (
            "cli",
            "fairness_audit.run",
            {
                "audit_id": run.audit_id,
                "source": "store",
                "label": "store",
                "window": {
                    "start": run.window_start.isoformat(),
                    "end": run.window_end.isoformat(),
                },
                "lists": len(decisions),
                "alert": False,
                "crossed": 0,
            },
        )
    ]
    assert service.fairness.alerts() == []
    with pytest.raises(Conflict, match="raised no alert"):
        service.fairness.acknowledge(run.audit_id, "cli")


def test_a_crossed_threshold_alerts_until_acknowledged_once(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    traffic(service, clock)
    tight = with_policy(service, tmp_path, TIGHT, clock)
    try:
        run = tight.fairness.run(actor="key:ops", window_days=7)
    finally:
        tight.close()
    assert run.alert
    assert [c["check"] for c in run.crossed] == ["coverage"]
    assert run.crossed[0]["threshold"] == 1.0
    assert run.crossed[0]["value"] < 1.0
    assert run.result["alert"] is True
    entries = audit_actions(service)
    assert [(actor, action) for actor, action, _ in entries] == [
        ("key:ops", "fairness_audit.run"),
        ("key:ops", "fairness_audit.alert"),
    ]
    assert entries[0][2]["crossed"] == 1
    alert = entries[1][2]
    assert alert["audit_id"] == run.audit_id
    assert alert["checks"] == [
        {
            "check": "coverage",
            "scope": run.crossed[0]["scope"],
            "value": round(run.crossed[0]["value"], 6),
            "bound": "min",
            "threshold": 1.0,
        }
    ]
    # The console's flag, until someone acknowledges it.
    assert [r.audit_id for r in service.fairness.alerts()] == [run.audit_id]
    clock.advance(hours=2)
    done = service.fairness.acknowledge(run.audit_id, "key:dpo", "catalog is new; fine")
    assert done.acknowledged_by == "key:dpo"
    assert done.acknowledged_at == clock()
    assert service.fairness.alerts() == []
    assert audit_actions(service)[-1] == (
        "key:dpo",
        "fairness_audit.acknowledged",
        {"audit_id": run.audit_id, "crossed": 1, "note": "catalog is new; fine"},
    )
    with pytest.raises(Conflict, match="acknowledged already by key:dpo"):
        service.fairness.acknowledge(run.audit_id, "key:other")
    assert len(audit_actions(service)) == 3


def test_unknown_and_malformed_ids(service: Tactful) -> None:
    missing = "0b3c8a9e-0000-4000-8000-000000000000"
    with pytest.raises(NotFound):
        service.fairness.get(missing)
    with pytest.raises(NotFound):
        service.fairness.acknowledge(missing, "cli")
    with pytest.raises(NotFound):
        service.fairness.report_html(missing)
    with pytest.raises(InvalidInput) as bad:
        service.fairness.get("not-a-uuid")
    assert bad.value.errors[0].field == "audit_id"
    assert audit_actions(service) == []


def test_an_empty_window_is_a_valid_audit_with_no_lists(service: Tactful, clock: Clock) -> None:
    run = service.fairness.run(actor="cli")  # the shop has no decisions at all
    counts = run.result["counts"]
    assert counts["lists"] == 0
    assert counts["people"] == 0
    assert counts["decisions"] == 0
    assert set(run.result["accuracy"].values()) == {None}
    figures = run.result["popularity"]
    assert {name for name, value in figures.items() if value is not None} <= {"coverage"}
    assert service.fairness.get(run.audit_id).result == run.result
    assert next(a for _, a, _ in audit_actions(service)) == "fairness_audit.run"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window_days": 0}, "window_days"),
        ({"window_days": 3661}, "window_days"),
        ({"model": "ease"}, "offline"),
        ({"offline": "msr-ml100k", "window_days": 3}, "offline"),
    ],
)
def test_bad_requests_store_nothing(
    service: Tactful, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as bad:
        service.fairness.run(actor="cli", **kwargs)  # type: ignore[arg-type]
    assert field in {e.field for e in bad.value.errors}
    assert service.fairness.history() == []
    assert audit_actions(service) == []


def test_runs_page_newest_first_even_when_they_start_together(
    service: Tactful, clock: Clock
) -> None:
    first = service.fairness.run(actor="cli")
    clock.advance(hours=1)
    # Two runs at the same instant (the test clock stands still): the cursor keeps them apart.
    same = {service.fairness.run(actor="cli").audit_id for _ in range(2)}
    page, cursor = service.fairness.page(limit=2)
    assert {r.audit_id for r in page} == same
    assert cursor is not None
    rest, end = service.fairness.page(limit=2, before=cursor)
    assert [r.audit_id for r in rest] == [first.audit_id]
    assert end is None
    assert next(r.audit_id for r in service.fairness.history(limit=1)) in same
    assert service.fairness.history(source="offline") == []
    with pytest.raises(InvalidInput):
        service.fairness.page(limit=0)


def test_the_report_shows_the_run_and_its_trend(service: Tactful, clock: Clock) -> None:
    earlier = service.fairness.run(actor="cli")
    clock.advance(days=1)
    run = service.fairness.run(actor="cli")
    page = service.fairness.report_html(run.audit_id)
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert run.audit_id in page
    # The trend draws on the earlier run of the same source and label.
    assert earlier.started_at.strftime("%Y-%m-%d") in page
