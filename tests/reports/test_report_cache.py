"""A run's report is drawn once and kept: its trend holds only runs started before it, so
later runs never change it; the cache is bounded and keyed by the audit id."""

from __future__ import annotations

from typing import Any

import pytest

from tactful.errors import InvalidInput, NotFound
from tactful.reports import audit
from tactful.service import Tactful
from tactful.services.fairness import _Reports
from tests.clock import Clock


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """Each report drawn: the run's audit id and those of the runs in its trend."""
    calls: list[tuple[str, list[str]]] = []
    real = audit.render_audit

    def counting(result: Any, history: Any = ()) -> str:
        calls.append((result["audit_id"], [run["audit_id"] for run in history]))
        return real(result, history)

    monkeypatch.setattr(audit, "render_audit", counting)
    return calls


def test_a_report_is_drawn_once_from_earlier_runs_only(
    service: Tactful, clock: Clock, drawn: list[tuple[str, list[str]]]
) -> None:
    first = service.fairness.run(actor="cli")
    clock.advance(days=1)
    second = service.fairness.run(actor="cli")
    clock.advance(days=1)
    third = service.fairness.run(actor="cli")

    page = service.fairness.report_html(second.audit_id)
    assert drawn == [(second.audit_id, [first.audit_id])]  # not the later third run
    assert second.audit_id in page
    day = "%Y-%m-%d"
    assert f"2 audit runs from {first.started_at:{day}} to {second.started_at:{day}}" in page
    assert third.started_at.strftime(day) not in page
    assert service.fairness.report_html(first.audit_id) != page
    assert drawn[-1] == (first.audit_id, [])

    clock.advance(days=1)
    service.fairness.run(actor="cli")
    # Kept: the same page, whatever the spelling of the id, without drawing it again.
    assert service.fairness.report_html(second.audit_id.upper()) is page
    assert len(drawn) == 2


def test_nothing_is_kept_for_a_missing_or_malformed_id(
    service: Tactful, drawn: list[tuple[str, list[str]]]
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for _ in range(2):
        with pytest.raises(NotFound):
            service.fairness.report_html(missing)
    with pytest.raises(InvalidInput):
        service.fairness.report_html("not-an-id")
    assert drawn == []


def test_the_cache_keeps_the_most_recently_used() -> None:
    reports = _Reports(2)
    reports.put("a", "page a")
    reports.put("b", "page b")
    assert reports.get("a") == "page a"  # now the most recent
    reports.put("c", "page c")
    assert reports.get("b") is None
    assert reports.get("a") == "page a"
    assert reports.get("c") == "page c"
