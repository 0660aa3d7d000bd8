"""Quiet hours in the person's own time zone, and when they end, across DST changes.

Quiet hours are wall-clock times ("21:00 to 08:00"). Their end is found as a local wall time
and turned back into an instant with zoneinfo, so the night the clocks change still ends at
08:00 on the person's clock. An end time the clocks skip (02:30 on a spring-forward night)
ends at the jump; one they pass twice (01:30 on a fall-back night) ends the first time, when
a message is already allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tactful.domain.subjects import SubjectAttributes
from tactful.guardrails.policy import MessagingPolicy, QuietHours, is_time_zone
from tactful.messaging.verdict import Verdict

__all__ = ["Zone", "next_quiet_end", "quiet_verdict", "subject_zone"]


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    # The policy's default was used: the person has no zone, or an unknown one.
    defaulted: bool
    # Why, in words, when defaulted ("" otherwise).
    note: str = ""

    @property
    def info(self) -> ZoneInfo:
        return ZoneInfo(self.name)


def subject_zone(attributes: SubjectAttributes, policy: MessagingPolicy) -> Zone:
    """The person's IANA zone, else the policy's default (also for a stored zone that
    zoneinfo does not know, e.g. after a tz database update removed it)."""
    stored = attributes.time_zone
    default = policy.default_time_zone
    if stored is not None and is_time_zone(stored):
        return Zone(stored, False)
    if stored is None:
        return Zone(default, True, f"{default}, the default, since the person has no time zone")
    return Zone(default, True, f"{default}, the default, since the person's zone is unknown")


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _instant(day: datetime, at: time, zone: ZoneInfo, fold: int) -> datetime:
    """The UTC instant the person's clock shows `at` on `day` (the earlier pass for fold 0,
    the later for fold 1); for a skipped wall time, the instant of the jump past it."""
    wall = datetime.combine(day.date(), at)
    moment = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
    if _wall(moment, zone) == wall:
        return moment
    # Skipped: the clock jumps over `wall` between the two readings; find the jump.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low, high = min(low, high), max(low, high)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def next_quiet_end(quiet: QuietHours, zone: ZoneInfo, after: datetime) -> datetime:
    """The first instant after `after` at which quiet hours are not in force."""
    local = _wall(after, zone)
    for days in range(3):
        day = local + timedelta(days=days)
        for fold in (0, 1):
            candidate = _instant(day, quiet.end, zone, fold)
            if candidate > after and not quiet.covers(_wall(candidate, zone).time()):
                return candidate
    # Unreachable for real zones (an end exists every day); fail safe one day later.
    return after + timedelta(days=1)


def _hhmm(at: time) -> str:
    return at.strftime("%H:%M")


def quiet_verdict(policy: MessagingPolicy, zone: Zone, at: datetime) -> Verdict:
    quiet = policy.quiet_hours
    where = zone.note or zone.name
    if quiet.start == quiet.end:
        return Verdict("quiet_hours", True, "No quiet hours are set.", True)
    local = at.astimezone(zone.info)
    span = f"quiet hours ({_hhmm(quiet.start)} to {_hhmm(quiet.end)})"
    clock = f"It is {_hhmm(local.time())} in {where}"
    if not quiet.covers(local.time()):
        return Verdict("quiet_hours", True, f"{clock}, outside {span}.", True)
    ends = next_quiet_end(quiet, zone.info, at)
    return Verdict(
        "quiet_hours",
        False,
        f"{clock}, inside {span}; they end at {_hhmm(_wall(ends, zone.info).time())} local time.",
        True,
        ends,
    )
