"""decide_message(): consent, protections, caps, quiet hours, fatigue and copy, for one message.

Pure: the caller hands over everything the rules read (the person's consent state, their
protections and recent messages, the policy) and stores the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tactful.consent.ledger import ConsentState
from tactful.consent.levels import PersonalizationLevel
from tactful.domain.subjects import Subject
from tactful.guardrails.copy import CopyFacts, Finding
from tactful.guardrails.policy import Channel, GuardrailPolicy

ALL_CHANNELS = "all"


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

    def as_dict(self) -> dict[str, Any]:
        raise NotImplementedError


def decide_message(request: MessageRequest, ctx: MessageContext) -> MessageDecision:
    raise NotImplementedError
