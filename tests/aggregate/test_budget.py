"""The cap on the privacy budget of the cohort trends: pure, then through the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tactful.privacy.budget import Release, budget_state
from tactful.privacy.dp import plan
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.aggregate.conftest import aggregate_settings, populate_regions
from tests.clock import Clock
from tests.trained_shop import T0

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ONE = plan(2, 1.0)


def _releases(*days_ago: float) -> list[Release]:
    return [Release(NOW - timedelta(days=d), ONE) for d in days_ago]


def test_releases_within_the_period_add_up_and_older_ones_do_not() -> None:
    state = budget_state(_releases(400, 200, 10), ONE, cap=3.0, period_days=365, now=NOW)
    assert state.spent == pytest.approx(2.0)
    assert state.releases_in_period == 2
    assert state.remaining == pytest.approx(1.0)
    assert state.allows_next  # 2 + 1 is within 3 exactly


def test_a_release_over_the_cap_waits_for_the_oldest_to_leave_the_period() -> None:
    state = budget_state(_releases(200, 100, 10), ONE, cap=3.0, period_days=365, now=NOW)
    assert not state.allows_next
    assert state.remaining == pytest.approx(0.0)
    # Once the release of 200 days ago is 365 days old, 2 + 1 fits again.
    assert state.room_at == NOW + timedelta(days=165)
    # Two must leave when the next release spends two.
    two = plan(2, 2.0)
    state = budget_state(_releases(200, 100, 10), two, cap=3.0, period_days=365, now=NOW)
    assert state.room_at == NOW + timedelta(days=265)


def test_no_cap_allows_every_release_and_a_release_over_the_cap_never_fits() -> None:
    uncapped = budget_state(_releases(*range(50)), ONE, cap=0.0, period_days=365, now=NOW)
    assert uncapped.allows_next
    assert not uncapped.capped
    assert uncapped.remaining is None
    assert uncapped.spent == pytest.approx(50.0)
    never = budget_state([], plan(2, 5.0), cap=3.0, period_days=365, now=NOW)
    assert not never.allows_next
    assert never.room_at is not None
    assert never.room_at.year == 9999


def test_a_budget_per_release_over_the_cap_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="no release of the cohort trends could ever"):
        Settings(aggregate_epsilon=5.0, aggregate_budget=2.0)
    assert Settings(aggregate_epsilon=5.0, aggregate_budget=0.0).aggregate_budget == 0.0


def test_the_service_releases_within_the_cap_then_keeps_the_last_trends(
    settings: Settings,
) -> None:
    clock = Clock(T0)
    capped = aggregate_settings(settings).model_copy(
        update={"aggregate_budget": 100.0, "aggregate_budget_days": 30}
    )
    service = Tactful(capped, clock=clock)
    try:
        shop.populate(service)
        populate_regions(service)
        service.train()  # ε = 50: the first release
        clock.advance(days=1)
        service.train()  # 100 spent: the cap exactly
        served = service.models_in_use()["cohorts"]
        assert served is not None
        clock.advance(days=1)
        said: list[str] = []
        versions = service.aggregate.train(said.append)
        assert versions == []
        assert "not released" in said[-1]
        assert len(service.aggregate.releases()) == 2
        assert service.models_in_use()["cohorts"] == served  # the last trends keep serving
        (refused,) = service.audit.entries(action="privacy.release_refused")
        assert refused.detail["spent"] == pytest.approx(100.0)
        assert refused.detail["room_at"] == (T0 + timedelta(days=30)).isoformat()
        budget = service.main_parameters()["aggregate"]["budget"]
        assert budget["cap"] == 100.0
        assert budget["period_days"] == 30
        assert budget["spent_in_period"] == pytest.approx(100.0)
        assert budget["next_release_allowed"] is False
        assert budget["next_release_at"] == (T0 + timedelta(days=30)).isoformat()
        # A whole training still trains the other models.
        names = {v.name for v in service.train()}
        assert "popularity" in names
        assert "cohorts" not in names
        # Thirty days after the first release, it leaves the period: the next one fits.
        clock.advance(days=28, seconds=1)
        assert [v.name for v in service.aggregate.train()] == ["cohorts"]
        assert len(service.aggregate.releases()) == 3
    finally:
        service.close()
