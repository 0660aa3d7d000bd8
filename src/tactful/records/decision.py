"""Decision records: what was shown, why, on which signals and purposes, by which model."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tactful.consent.levels import PersonalizationLevel
from tactful.explanations.reasons import Explanation
from tactful.explanations.why import TRANSPARENCY_PATH

# Shown with every decision: the list was chosen by an automated system, not by a person.
DISCLOSURE: dict[str, Any] = {
    "automated": True,
    "label": "Chosen for you automatically by a recommender system.",
    "generated_content": False,
}


def new_decision_id() -> str:
    """A random (version 4) UUID as text, as `str(uuid.uuid4())` gives, in a fifth the time."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, slots=True)
class RecommendedItem:
    item_id: str
    title: str
    category: str
    rank: int
    score: float
    explanation: Explanation
    # Placed by the operator (a pinned or promoted item), not selected by a model.
    pinned: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "title": self.title,
            "category": self.category,
            "rank": self.rank,
            "score": self.score,
            "ai_selected": not self.pinned,
            "pinned": self.pinned,
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
            # `RecommendedItem.as_dict` and `Explanation.as_dict`, spelled out: ten items
            # per decision make the two calls per item cost more than building the dicts.
            "items": [
                {
                    "item_id": i.item_id,
                    "title": i.title,
                    "category": i.category,
                    "rank": i.rank,
                    "score": i.score,
                    # Machine-readable AI disclosure (EU AI Act Art. 50): a model chose it,
                    # unless the operator pinned it.
                    "ai_selected": not i.pinned,
                    "pinned": i.pinned,
                    "explanation": {
                        "reason": (e := i.explanation).reason,
                        "reason_code": e.reason_code or None,
                        "reason_args": dict(e.reason_args),
                        "personal": e.personal,
                        "signals": list(e.signals),
                        "purposes": list(e.purposes),
                        "model_version": e.model_version,
                        "because_item_id": e.because_item_id,
                    },
                }
                for i in self.items
            ],
            "held_back": dict(self.held_back),
            "notes": list(self.notes),
            "disclosure": DISCLOSURE,
            # DSA Art. 27: every decision points to the recommender's main parameters.
            "main_parameters": TRANSPARENCY_PATH,
            "created_at": self.created_at.isoformat(),
        }
