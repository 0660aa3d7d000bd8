"""The demo build plays a month of traffic through the real service and audits it, so the
console has decisions, engagement, messages and one audit run (with its alert) to show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tactful.cli.demo import DEMO_CAMPAIGNS, build_demo
from tactful.demo.traffic import WINDOW
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t


@pytest.mark.slow
def test_the_small_demo_has_a_month_of_decisions_and_an_audit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", api_key="k" * 32)  # type: ignore[arg-type]
    before = datetime.now(UTC)
    timings = build_demo(settings, small=True)
    after = datetime.now(UTC)
    assert timings["traffic"] > 0
    assert timings["audit"] > 0
    service = Tactful(settings)
    try:
        d, m, mv = t.decisions.c, t.messages.c, t.model_versions.c
        with service.store.reading() as conn:
            first, last, count = conn.execute(
                select(func.min(d.created_at), func.max(d.created_at), func.count())
            ).one()
            surfaces = set(conn.execute(select(d.surface).distinct()).scalars())
            trained = conn.execute(select(func.max(mv.created_at))).scalar_one()
            campaigns = set(conn.execute(select(m.campaign_id).distinct()).scalars())
            engaged = conn.execute(
                select(func.count()).where(m.engagement.is_not(None))
            ).scalar_one()
            stamped = list(
                conn.execute(select(t.audit_log.c.at).order_by(t.audit_log.c.seq)).scalars()
            )
            late = conn.execute(
                select(func.count()).where(t.events.c.occurred_at >= first)
            ).scalar_one()
        # Spread over the month before the build, after the models were trained.
        assert count > 300
        assert before - WINDOW <= first
        assert last < after
        assert last - first > timedelta(days=20)
        assert trained <= first
        assert surfaces == {"home", "product", "basket"}
        assert campaigns == {c[0] for c in DEMO_CAMPAIGNS}
        assert engaged > 0
        assert late > 0  # engagement after the lists, kept where consent allows
        # One audit of that month, by the build.
        (run,) = service.fairness.history()
        assert run.triggered_by == "demo"
        assert run.result["counts"]["lists"] == count
        assert run.window_start is not None
        assert run.window_start <= first
        # The clock moved forward only: the audit log's chain is intact and in order.
        assert service.audit.verify().ok
        assert stamped == sorted(stamped)
        # Organisations for the account level, trained with the rest: a hotel's list comes
        # from its own orders and never shows back the wine it orders (a sensitive category).
        models = service.models_in_use()
        assert models["account-itemknn"] is not None
        assert models["account-segments"] is not None
        hotel = service.accounts.recommend("org-hospitality-01", k=8, surface="b2b-home")
        assert hotel["basis"] == "history"
        assert hotel["items"]
        assert "wine_spirits" not in {i["category"] for i in hotel["items"]}
        new = service.accounts.recommend("org-hospitality-12", k=5, surface="b2b-cart")
        assert new["basis"] in {"segment", "industry", "all"}
    finally:
        service.close()


@pytest.mark.slow
@pytest.mark.parametrize("hour", [0, 13, 22])
def test_the_demo_sends_messages_whatever_the_hour_it_is_built(tmp_path: Path, hour: int) -> None:
    # Messages go out in office hours of the month's days, not "9 to 18 hours after the hour
    # the build started" (which, from 13:00, is all inside quiet hours).
    end = datetime(2026, 11, 24, hour, 40, tzinfo=UTC)
    settings = Settings(data_dir=tmp_path / "var", api_key="k" * 32)  # type: ignore[arg-type]
    build_demo(settings, small=True, now=end)
    service = Tactful(settings)
    try:
        m = t.messages.c
        with service.store.reading() as conn:
            sent = conn.execute(select(func.count()).where(m.outcome == "send")).scalar_one()
            held = conn.execute(select(m.record).where(m.outcome == "hold")).scalars().all()
            engaged = conn.execute(
                select(func.count()).where(m.engagement.is_not(None))
            ).scalar_one()
            last = conn.execute(select(func.max(m.decided_at))).scalar_one()
    finally:
        service.close()
    assert sent > len(held)
    assert engaged > 0
    assert last < end
    quiet = [
        r for r in held if any(c["name"] == "quiet_hours" and not c["passed"] for c in r["checks"])
    ]
    assert quiet == []
