"""Personalization levels, derived from consent: privacy by default means `off`.

`aggregate` sits between `off` and `basic`: the list follows the trends of a cohort of
people like the person (region, age band), counted with differential privacy across many
people (`tactful.privacy`); nothing the person did is read to choose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tactful.consent.ledger import ConsentState
from tactful.domain.purposes import (
    PERSONALIZATION_AGGREGATE,
    PERSONALIZATION_BEHAVIORAL,
    PERSONALIZATION_EXPLICIT,
)
from tactful.domain.subjects import SubjectAttributes


class PersonalizationLevel(StrEnum):
    OFF = "off"  # no profiling: editorial and popular items only
    AGGREGATE = "aggregate"  # cohort trends counted with differential privacy; no profile
    BASIC = "basic"  # explicit signals: purchases and ratings
    FULL = "full"  # adds behavioural signals: views, clicks, cart, searches


@dataclass(frozen=True, slots=True)
class LevelDecision:
    level: PersonalizationLevel
    reason: str


def derive_level(state: ConsentState, attributes: SubjectAttributes) -> LevelDecision:
    if attributes.is_minor:
        return LevelDecision(
            PersonalizationLevel.OFF,
            "Personalization is off because this person is a minor; minors are never profiled.",
        )
    if not state.is_granted(PERSONALIZATION_EXPLICIT):
        if state.is_granted(PERSONALIZATION_AGGREGATE):
            return LevelDecision(
                PersonalizationLevel.AGGREGATE,
                "Aggregate personalization: only trends among many people like this person, "
                "counted with differential privacy; nothing this person did is used.",
            )
        if not state.has_choices:
            reason = "No choice has been recorded, so personalization is off by default."
        else:
            reason = "Personalization is off because consent to it is not given."
        return LevelDecision(PersonalizationLevel.OFF, reason)
    if state.is_granted(PERSONALIZATION_BEHAVIORAL):
        return LevelDecision(
            PersonalizationLevel.FULL,
            "Full personalization: purchases, ratings, browsing and searches may be used.",
        )
    return LevelDecision(
        PersonalizationLevel.BASIC,
        "Basic personalization: only purchases and ratings may be used.",
    )
