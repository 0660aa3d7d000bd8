"""One rule's answer before it becomes a public `Check`: with, for a hold that time clears,
the moment it clears."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Verdict", "as_utc"]


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    passed: bool
    detail: str
    # Whether only the passing of time can turn this hold into a pass (caps, fewer
    # messages, fatigue, quiet hours): the only holds a `retry_after` is given for.
    time_bound: bool = False
    # For a failed time-bound rule: the earliest moment it passes if nothing else happens
    # (no message sent, no engagement); None when waiting never lifts it.
    clears_at: datetime | None = None


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive value is taken to be UTC already, as the store does."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
