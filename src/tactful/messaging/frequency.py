"""How often: frequency caps, "too many messages" and fatigue, over rolling windows.

Windows roll: "the last 24 hours" at `now` holds every message sent after `now - 24h`
(one sent exactly 24 hours ago has left it), including any recorded a moment after `now`
by a concurrent decision. A rule that holds says when it clears: the moment enough of the
messages it counted have left its window, if nothing else is sent meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tactful.guardrails.policy import Cap, Channel, Fatigue, MessagingPolicy
from tactful.messaging.verdict import Verdict

if TYPE_CHECKING:
    from tactful.messaging.rules import PastMessage

__all__ = ["DAY", "WEEK", "cap_verdict", "fatigue_verdict", "fewer_messages_verdict"]

DAY = timedelta(hours=24)
WEEK = timedelta(days=7)
_WINDOWS = (("day", DAY, "in the last 24 hours"), ("week", WEEK, "in the last 7 days"))
ALL = "all"


def _in_window(times: Sequence[datetime], window: timedelta, at: datetime) -> list[datetime]:
    """The send times still inside the window ending at `at`, oldest first."""
    return sorted(t for t in times if t > at - window)


def _clears(counted: list[datetime], window: timedelta, limit: int) -> datetime | None:
    """When one more message fits under `limit` again: once all but `limit - 1` of the
    counted messages have left the window. None for a limit of 0 (never)."""
    if limit <= 0:
        return None
    leaving = len(counted) - limit  # index of the message whose leaving frees a place
    return counted[leaving] + window


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def cap_verdict(
    policy: MessagingPolicy, channel: Channel, sent: Sequence[PastMessage], at: datetime
) -> Verdict:
    """Sending now keeps every count (channel and overall, day and week) within its cap."""
    configured = policy.channels.get(channel)
    scopes: list[tuple[Cap, str, list[datetime], str]] = [
        (
            policy.overall,
            "messages over all channels",
            [m.sent_at for m in sent],
            "all messages are switched off by the policy (the overall cap is 0)",
        )
    ]
    if configured is not None:
        scopes.insert(
            0,
            (
                configured.cap,
                f"{channel} messages",
                [m.sent_at for m in sent if m.channel == channel],
                "this channel is switched off by the policy (its cap is 0)",
            ),
        )
    within: list[str] = []
    over: list[str] = []
    clear_times: list[datetime | None] = []
    for cap, label, times, switched_off in scopes:
        for key, window, words in _WINDOWS:
            limit: int | None = getattr(cap, key)
            if limit is None:
                continue
            if limit == 0:
                if switched_off not in over:
                    over.append(switched_off)
                clear_times.append(None)
                continue
            counted = _in_window(times, window, at)
            text = f"{len(counted)} of {limit} {label} {words}"
            if len(counted) < limit:
                within.append(text)
            else:
                over.append(text)
                clear_times.append(_clears(counted, window, limit))
    if over:
        clears = None if None in clear_times else max(t for t in clear_times if t is not None)
        return Verdict("cap", False, "Cap reached: " + "; ".join(over) + ".", True, clears)
    if not within:
        return Verdict("cap", True, "No cap applies.", True)
    return Verdict("cap", True, "Within the caps: " + "; ".join(within) + ".", True)


def fewer_messages_verdict(
    policy: MessagingPolicy,
    channel: Channel,
    asked: frozenset[str],
    sent: Sequence[PastMessage],
    at: datetime,
) -> Verdict:
    """A person who said "too many messages" for this channel, or for all, gets at most
    `fewer_messages_per_week` in any 7 days there."""
    limit = policy.fewer_messages_per_week
    scopes: list[tuple[str, list[datetime]]] = []
    if channel.value in asked:
        scopes.append((f"{channel} message", [m.sent_at for m in sent if m.channel == channel]))
    if ALL in asked:
        scopes.append(("message", [m.sent_at for m in sent]))
    if not scopes:
        return Verdict("fewer_messages", True, "No request for fewer messages.", True)
    said = f"You asked for fewer messages: at most {limit} a week."
    counts: list[str] = []
    clear_times: list[datetime | None] = []
    for word, times in scopes:
        counted = _in_window(times, WEEK, at)
        counts.append(f"{_plural(len(counted), word)} sent in the last 7 days")
        if len(counted) >= limit:
            clear_times.append(_clears(counted, WEEK, limit))
    detail = f"{said} {'; '.join(counts)}."
    if not clear_times:
        return Verdict("fewer_messages", True, detail, True)
    clears = None if None in clear_times else max(t for t in clear_times if t is not None)
    return Verdict("fewer_messages", False, detail, True, clears)


def _judged(message: PastMessage, fatigue: Fatigue, at: datetime) -> bool:
    """Engagement settles a message at once; no engagement only once it had time to come."""
    return message.engaged or at - message.sent_at > timedelta(hours=fatigue.judge_after_hours)


def fatigue_verdict(fatigue: Fatigue, sent: Sequence[PastMessage], at: datetime) -> Verdict:
    """After the last `ignored` judged messages were all ignored, at most one message every
    `interval_days` (over all channels) until the person engages again."""
    newest_first = sorted((m for m in sent if m.sent_at <= at), key=lambda m: m.sent_at)[::-1]
    judged = [m for m in newest_first if _judged(m, fatigue, at)][: fatigue.ignored]
    n = fatigue.ignored
    if len(judged) < n:
        return Verdict(
            "fatigue",
            True,
            f"Fewer than {_plural(n, 'message')} can be judged yet, so there is no fatigue.",
            True,
        )
    if any(m.engaged for m in judged):
        return Verdict(
            "fatigue", True, f"The person engaged with one of the last {n} messages.", True
        )
    interval = timedelta(days=fatigue.interval_days)
    ignored = "The last message was ignored" if n == 1 else f"The last {n} messages were ignored"
    rule = f"{ignored}, so at most one message every {_plural(fatigue.interval_days, 'day')}"
    recent = [m.sent_at for m in sent if m.sent_at > at - interval]
    if not recent:
        return Verdict("fatigue", True, f"{rule}; none was sent in that time.", True)
    last = max(recent)
    return Verdict(
        "fatigue",
        False,
        f"{rule}; the last one was sent at {last:%Y-%m-%d %H:%M} UTC.",
        True,
        last + interval,
    )
