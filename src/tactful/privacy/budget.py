"""The cap on the privacy budget the cohort trends may spend.

Every release is computed over largely the same people, so the epsilons of the releases add
up (sequential composition). Without a cap, retraining often enough spends any guarantee.
Releases are counted over a rolling period: a release goes ahead only if the releases made
in the last `period_days`, composed with it, stay within `cap`. Otherwise the trends already
published keep serving. A cap of 0 means no cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tactful.privacy.dp import LaplacePlan, composed_epsilon

# Float sums of epsilons like 0.1 * 3 must not refuse a release that fits exactly.
_SLACK = 1e-9
_NEVER = datetime.max


@dataclass(frozen=True)
class Release:
    created_at: datetime
    plan: LaplacePlan


@dataclass(frozen=True)
class BudgetState:
    cap: float  # 0: no cap
    period_days: int
    spent: float  # composed epsilon of the releases within the period
    releases_in_period: int
    next_epsilon: float  # what the next release would spend
    room_at: datetime | None  # when the next release fits again (None: it fits now)

    @property
    def capped(self) -> bool:
        return self.cap > 0

    @property
    def allows_next(self) -> bool:
        return self.room_at is None

    @property
    def never_fits(self) -> bool:
        """One release alone spends more than the cap."""
        return self.room_at is not None and self.room_at == _NEVER.replace(
            tzinfo=self.room_at.tzinfo
        )

    @property
    def fits_at(self) -> datetime | None:
        """When the next release fits, if it does not now and ever will."""
        return None if self.never_fits else self.room_at

    @property
    def remaining(self) -> float | None:
        return max(self.cap - self.spent, 0.0) if self.capped else None


def budget_state(
    releases: Sequence[Release],
    next_plan: LaplacePlan,
    cap: float,
    period_days: int,
    now: datetime,
) -> BudgetState:
    """How much of the capped budget the releases of the last `period_days` spent, and
    when a release spending `next_plan` fits."""
    start = now - timedelta(days=period_days)
    window = sorted((r for r in releases if r.created_at > start), key=lambda r: r.created_at)
    spent = composed_epsilon([r.plan for r in window]) if window else 0.0
    room_at: datetime | None = None
    if cap > 0 and not _fits(window, next_plan, cap):
        # The oldest releases leave the period first; the next fits once enough have left.
        for i, release in enumerate(window):
            if _fits(window[i + 1 :], next_plan, cap):
                room_at = release.created_at + timedelta(days=period_days)
                break
        else:  # one release alone is over the cap: it never fits
            room_at = _NEVER.replace(tzinfo=now.tzinfo)
    return BudgetState(cap, period_days, spent, len(window), next_plan.epsilon, room_at)


def _fits(window: Sequence[Release], next_plan: LaplacePlan, cap: float) -> bool:
    return composed_epsilon([*(r.plan for r in window), next_plan]) <= cap + _SLACK
