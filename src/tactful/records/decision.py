"""Decision records: what was shown, why, on which signals and purposes, by which model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tactful.consent.levels import PersonalizationLevel
from tactful.explanations.reasons import Explanation


@dataclass(frozen=True, slots=True)
class RecommendedItem:
    item_id: str
    title: str
    category: str
    rank: int
    score: float
    explanation: Explanation

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "title": self.title,
            "category": self.category,
            "rank": self.rank,
            "score": self.score,
            "explanation": self.explanation.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    decision_id: str
    subject_id: str
    surface: str
    level: PersonalizationLevel
    level_reason: str
    personalized: bool
    model_name: str
    model_version: str
    purposes: frozenset[str]
    signals_used: Mapping[str, int]
    items: Sequence[RecommendedItem]
    held_back: Mapping[str, int]
    created_at: datetime
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "subject_id": self.subject_id,
            "surface": self.surface,
            "level": self.level.value,
            "level_reason": self.level_reason,
            "personalized": self.personalized,
            "model": {"name": self.model_name, "version": self.model_version},
            "purposes": sorted(self.purposes),
            "signals_used": dict(self.signals_used),
            "items": [i.as_dict() for i in self.items],
            "held_back": dict(self.held_back),
            "notes": list(self.notes),
            "created_at": self.created_at.isoformat(),
        }
