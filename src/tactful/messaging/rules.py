"""decide_message(): consent, protections, caps, quiet hours, fatigue and copy, for one message.

Pure: the caller hands over everything the rules read (the person's consent state, their
protections and recent messages, the policy) and stores the answer. Every rule is asked every
time, in a fixed order, so a hold names each reason at once.

`retry_after` is given only when every failed rule is one that time alone clears (caps,
"too many messages", fatigue, quiet hours): it is the first moment at which all of them pass
together if nothing else happens meanwhile (no message sent, no engagement), found by asking
those rules again at each candidate moment. A moment that clears the caps but falls in quiet
hours therefore moves on to the end of quiet hours; one at which an unanswered message has
just become "ignored" moves on to where fatigue allows. A hold no waiting lifts (no consent,
a cap of 0, bad copy) has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tactful.consent.ledger import ConsentState
from tactful.consent.levels import PersonalizationLevel
from tactful.domain.subjects import Subject
from tactful.guardrails.copy import CopyFacts, Finding
from tactful.guardrails.policy import Channel, GuardrailPolicy
from tactful.messaging.content import copy_verdict
from tactful.messaging.frequency import cap_verdict, fatigue_verdict, fewer_messages_verdict
from tactful.messaging.person import (
    channel_verdict,
    consent_verdict,
    profiling_verdict,
    self_exclusion_verdict,
    sensitive_verdict,
    vulnerability_verdict,
)
from tactful.messaging.quiet import Zone, quiet_verdict, subject_zone
from tactful.messaging.verdict import Verdict, as_utc

__all__ = [
    "ALL_CHANNELS",
    "AUTOMATED_LABEL",
    "CHECK_ORDER",
    "GENERATED_LABEL",
    "Campaign",
    "Check",
    "MessageContext",
    "MessageDecision",
    "MessageRequest",
    "PastMessage",
    "decide_message",
]

ALL_CHANNELS = "all"

# The rules, in the order they are asked and listed.
CHECK_ORDER = (
    "channel",
    "consent",
    "profiling",
    "sensitive_category",
    "self_exclusion",
    "vulnerability",
    "cap",
    "fewer_messages",
    "fatigue",
    "quiet_hours",
    "copy",
)
# The visible label of every message (AI Act Art. 50), and the sentence added when a model
# wrote the text.
AUTOMATED_LABEL = "Sent to you by an automated marketing system."
GENERATED_LABEL = "Its text was written by AI."
# A search for `retry_after` that has not settled after this many candidate moments gives up
# (None); real policies settle in two or three.
_RETRY_ROUNDS = 32


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_id: str
    title: str
    # What it offers: a catalog category or a sensitive category code (None: nothing in
    # particular). Sensitive, self-excluded and harm-prone rules read it.
    category: str | None
    # Its audience was chosen by profiling: never for a minor, nor for anyone whose
    # personalization level is off.
    profiled: bool


@dataclass(frozen=True, slots=True)
class MessageRequest:
    subject_id: str
    channel: Channel
    campaign: Campaign
    copy: str
    facts: CopyFacts
    # The copy was written by a model (AI Act Art. 50): disclosed in the answer.
    generated: bool
    now: datetime


@dataclass(frozen=True, slots=True)
class PastMessage:
    """A message sent earlier to the same person (holds are not counted)."""

    sent_at: datetime
    channel: Channel
    # Opened, clicked or converted; False: no engagement reported (yet).
    engaged: bool


@dataclass(frozen=True)
class MessageContext:
    subject: Subject
    state: ConsentState
    # The person's personalization level (already `off` for a minor).
    level: PersonalizationLevel
    policy: GuardrailPolicy
    # Sensitive categories the person opted in to (empty for a minor).
    opted_in_sensitive: frozenset[str]
    # Categories the person excluded themselves from (active exclusions only).
    self_excluded: frozenset[str]
    # The person flagged that they are vulnerable.
    vulnerable: bool
    # Channels (values of Channel, or ALL_CHANNELS) the person said "too many messages" for.
    fewer_messages: frozenset[str]
    # Messages sent to the person, newest first: every one sent within the last
    # max(7, fatigue.interval_days) days, and at least the last `fatigue.ignored` ones.
    sent: Sequence[PastMessage]


@dataclass(frozen=True, slots=True)
class Check:
    """One rule asked: its name, whether the message passed it, and why, in words."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class MessageDecision:
    send: bool
    # Every rule asked, in a fixed order; a hold names each failed one.
    checks: tuple[Check, ...]
    # The copy check's findings (whether the policy blocks or only flags them).
    findings: tuple[Finding, ...]
    # The zone quiet hours were judged in, and whether it was the policy's default.
    time_zone: str
    time_zone_defaulted: bool
    # For a hold that only time clears (caps, quiet hours, fatigue): the earliest moment
    # it could clear; None otherwise.
    retry_after: datetime | None
    # The copy was written by a model: said in the disclosure.
    generated: bool = False

    @property
    def reasons(self) -> tuple[str, ...]:
        """The detail of every failed check, in check order."""
        return tuple(c.detail for c in self.checks if not c.passed)

    @property
    def disclosure(self) -> dict[str, Any]:
        label = f"{AUTOMATED_LABEL} {GENERATED_LABEL}" if self.generated else AUTOMATED_LABEL
        return {"automated": True, "label": label, "generated_content": self.generated}

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": "send" if self.send else "hold",
            "checks": [c.as_dict() for c in self.checks],
            "reasons": list(self.reasons),
            "copy_findings": [f.as_dict() for f in self.findings],
            "time_zone": self.time_zone,
            "time_zone_defaulted": self.time_zone_defaulted,
            "retry_after": None if self.retry_after is None else self.retry_after.isoformat(),
            "disclosure": self.disclosure,
        }


def decide_message(request: MessageRequest, ctx: MessageContext) -> MessageDecision:
    """Send or hold one message, with every rule's answer and, for a hold only time lifts,
    when to try again. Times may be naive (taken as UTC) or in any zone."""
    now = as_utc(request.now)
    sent = tuple(replace(m, sent_at=as_utc(m.sent_at)) for m in ctx.sent)
    zone = subject_zone(ctx.subject.attributes, ctx.policy.messaging)
    copy, findings = copy_verdict(request, ctx.policy)
    verdicts = (
        channel_verdict(request, ctx),
        consent_verdict(request, ctx),
        profiling_verdict(request, ctx),
        sensitive_verdict(request, ctx),
        self_exclusion_verdict(request, ctx),
        vulnerability_verdict(request, ctx),
        *_timed(request, ctx, sent, zone, now),
        copy,
    )
    failed = [v for v in verdicts if not v.passed]
    return MessageDecision(
        send=not failed,
        checks=tuple(Check(v.name, v.passed, v.detail) for v in verdicts),
        findings=findings,
        time_zone=zone.name,
        time_zone_defaulted=zone.defaulted,
        retry_after=_retry_after(request, ctx, sent, zone, failed),
        generated=request.generated,
    )


def _timed(
    request: MessageRequest,
    ctx: MessageContext,
    sent: Sequence[PastMessage],
    zone: Zone,
    at: datetime,
) -> tuple[Verdict, Verdict, Verdict, Verdict]:
    """The rules whose answer depends on the moment asked: caps, fewer messages, fatigue,
    quiet hours."""
    policy = ctx.policy.messaging
    return (
        cap_verdict(policy, request.channel, sent, at),
        fewer_messages_verdict(policy, request.channel, ctx.fewer_messages, sent, at),
        fatigue_verdict(policy.fatigue, sent, at),
        quiet_verdict(policy, zone, at),
    )


def _retry_after(
    request: MessageRequest,
    ctx: MessageContext,
    sent: Sequence[PastMessage],
    zone: Zone,
    failed: Sequence[Verdict],
) -> datetime | None:
    """The first moment every time-bound hold passes together (see the module docstring)."""
    if not failed:
        return None
    for _ in range(_RETRY_ROUNDS):
        if any(not v.time_bound or v.clears_at is None for v in failed):
            return None
        at = max(v.clears_at for v in failed if v.clears_at is not None)
        failed = [v for v in _timed(request, ctx, sent, zone, at) if not v.passed]
        if not failed:
            return at
    return None
