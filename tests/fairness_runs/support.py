"""What the fairness run tests share: traffic on the trained shop, and policies that never
or always alert, as TOML files a service reads through `audit_file`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from tactful.service import Tactful
from tactful.storage import tables as t
from tests import shop
from tests.clock import Clock

# Thresholds no figure can cross, and one every small store crosses (coverage 1.0: every
# item of the catalog shown).
LENIENT = """
[thresholds]
quality_ratio = 0.0
provider_exposure_ratio = 0.0
exposure_gini = 1.0
coverage = 0.0
long_tail_share = 0.0
miscalibration = 1000000.0
adverse_impact_ratio = 0.0
"""
TIGHT = LENIENT.replace("coverage = 0.0", "coverage = 1.0")


def with_policy(service: Tactful, tmp_path: Path, text: str, clock: Clock) -> Tactful:
    """Another service on the same store, reading the audit policy from a TOML file."""
    path = tmp_path / "audit.toml"
    path.write_text(text, "utf-8")
    return Tactful(service.settings.model_copy(update={"audit_file": path}), clock=clock)


def traffic(service: Tactful, clock: Clock) -> list[dict[str, Any]]:
    """Lists for the crowd and alice on two surfaces, and what some of them clicked."""
    decisions = []
    for who in ["alice", *(f"crowd-{n}" for n in range(10))]:
        for surface in ("home", "product"):
            decisions.append(service.recommend(who, k=5, surface=surface))
            clock.advance(minutes=1)
    clock.advance(hours=1)
    service.ingest_events(
        [
            {
                "subject_id": d["subject_id"],
                "event_type": "click",
                "item_id": d["items"][0]["item_id"],
                "timestamp": clock().isoformat(),
            }
            for d in decisions[::3]
        ]
    )
    clock.advance(hours=1)
    return decisions


def audit_actions(service: Tactful) -> list[tuple[str, str, dict[str, Any]]]:
    """The fairness audit entries of the audit log, oldest first: (actor, action, detail)."""
    log = t.audit_log.c
    with service.store.reading() as conn:
        rows = conn.execute(
            select(log.actor, log.action, log.detail)
            .where(log.action.like("fairness_audit.%"))
            .order_by(log.seq)
        )
        return [(r.actor, r.action, dict(r.detail)) for r in rows]


__all__ = ["LENIENT", "TIGHT", "audit_actions", "shop", "traffic", "with_policy"]
