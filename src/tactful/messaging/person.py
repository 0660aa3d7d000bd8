"""The rules about the person: may this channel, this campaign reach them at all?

Channel and consent, profiling (never for a minor, nor with personalization off), sensitive
categories (only with the opt-in), self-exclusion and vulnerability. None of them depends on
the time of asking, so waiting never lifts their holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tactful.consent.levels import PersonalizationLevel
from tactful.messaging.categories import category_names, sensitive_codes_of
from tactful.messaging.verdict import Verdict

if TYPE_CHECKING:
    from tactful.messaging.rules import MessageContext, MessageRequest

__all__ = [
    "channel_verdict",
    "consent_verdict",
    "profiling_verdict",
    "self_exclusion_verdict",
    "sensitive_verdict",
    "vulnerability_verdict",
]


def channel_verdict(request: MessageRequest, ctx: MessageContext) -> Verdict:
    configured = ctx.policy.messaging.channels.get(request.channel)
    if configured is None:
        return Verdict("channel", False, "No purpose is configured for this channel.")
    return Verdict(
        "channel", True, f"The {request.channel} channel needs consent to {configured.purpose}."
    )


def consent_verdict(request: MessageRequest, ctx: MessageContext) -> Verdict:
    configured = ctx.policy.messaging.channels.get(request.channel)
    if configured is None:
        return Verdict(
            "consent", False, "No consent can cover this channel: it has no purpose configured."
        )
    purpose = configured.purpose
    if ctx.state.is_granted(purpose):
        return Verdict("consent", True, f"Consent to {purpose} is given.")
    record = ctx.state.choices.get(purpose)
    if record is None:
        why = f"No consent to {purpose} has been given."
    elif purpose in ctx.state.stale:
        why = f"Consent to {purpose} was given to an older notice and must be asked again."
    else:
        why = f"Consent to {purpose} is {record.status.value}."
    return Verdict("consent", False, why)


def profiling_verdict(request: MessageRequest, ctx: MessageContext) -> Verdict:
    if not request.campaign.profiled:
        return Verdict("profiling", True, "Not a profiled campaign.")
    if ctx.subject.attributes.is_minor:
        return Verdict(
            "profiling",
            False,
            "A minor never gets a profiling-based message (DSA Art. 28); "
            "this campaign's audience was chosen by profiling.",
        )
    if ctx.level is PersonalizationLevel.OFF:
        return Verdict(
            "profiling",
            False,
            "Personalization is off for this person, so no profiling-based message; "
            "this campaign's audience was chosen by profiling.",
        )
    if ctx.level is PersonalizationLevel.AGGREGATE:
        # Consent to cohort trends is no consent to being profiled.
        return Verdict(
            "profiling",
            False,
            "This person allows only trends among many people (the aggregate level), so no "
            "profiling-based message; this campaign's audience was chosen by profiling.",
        )
    return Verdict("profiling", True, f"A profiled campaign; personalization is {ctx.level.value}.")


def _titles(ctx: MessageContext, codes: frozenset[str]) -> str:
    return ", ".join(ctx.policy.title_of(c) for c in sorted(codes))


def sensitive_verdict(request: MessageRequest, ctx: MessageContext) -> Verdict:
    codes = sensitive_codes_of(ctx.policy, request.campaign.category)
    if not codes:
        return Verdict("sensitive_category", True, "Not a sensitive category.")
    missing = codes - ctx.opted_in_sensitive
    if missing:
        return Verdict(
            "sensitive_category",
            False,
            f"The campaign is about a sensitive category ({_titles(ctx, missing)}) "
            "the person did not opt in to.",
        )
    return Verdict(
        "sensitive_category",
        True,
        f"The person opted in to the sensitive category ({_titles(ctx, codes)}).",
    )


def self_exclusion_verdict(request: MessageRequest, ctx: MessageContext) -> Verdict:
    excluded = category_names(ctx.policy, request.campaign.category) & ctx.self_excluded
    if excluded:
        return Verdict(
            "self_exclusion",
            False,
            f"The person excluded themselves from {_titles(ctx, excluded)}.",
        )
    return Verdict("self_exclusion", True, "No self-exclusion covers this campaign.")


def vulnerability_verdict(request: MessageRequest, ctx: MessageContext) -> Verdict:
    if not ctx.vulnerable:
        return Verdict("vulnerability", True, "The person has not flagged vulnerability.")
    harmful = category_names(ctx.policy, request.campaign.category) & frozenset(
        ctx.policy.protection.harm_prone
    )
    if harmful:
        return Verdict(
            "vulnerability",
            False,
            f"The person flagged vulnerability and {_titles(ctx, harmful)} is marked "
            "harm-prone: never pushed to them.",
        )
    return Verdict(
        "vulnerability",
        True,
        "The person flagged vulnerability; this campaign is not in a harm-prone category.",
    )
