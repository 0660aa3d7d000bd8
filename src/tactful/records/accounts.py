"""Records of account-level decisions: a person's `DecisionRecord`, for an organisation.

The same fields where they mean the same (items with their explanations, what was held
back, the model, the disclosure, the main parameters), `account_id` in place of
`subject_id`, the level `account`, no purposes, and the legal basis said outright: no
person's data is used, so no consent purpose is relied on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tactful.explanations.why import TRANSPARENCY_PATH
from tactful.records.decision import DISCLOSURE, RecommendedItem

ACCOUNT_LEVEL = "account"
LEGAL_BASIS = (
    "The operator's contract (or legitimate interest) with the business customer. Only the "
    "organisation's firmographics and its own account events are used, never a person's "
    "data, so no consent purpose is relied on."
)
# What the list was chosen from: the account's own history, or the popularity of a
# population of organisations (its segment, its industry, all of them).
Basis = Literal["history", "segment", "industry", "all"]


@dataclass(frozen=True, slots=True)
class AccountDecisionRecord:
    decision_id: str
    account_id: str
    surface: str
    basis: Basis
    segment: Mapping[str, str | None]
    personalized: bool
    model_name: str
    model_version: str
    signals_used: Mapping[str, int]
    items: Sequence[RecommendedItem]
    held_back: Mapping[str, int]
    created_at: datetime
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "account_id": self.account_id,
            "surface": self.surface,
            "level": ACCOUNT_LEVEL,
            "level_reason": "An account surface: the list is for the organisation, from its "
            "firmographics and its own account events.",
            "legal_basis": LEGAL_BASIS,
            "basis": self.basis,
            "segment": dict(self.segment),
            # Personalized for the organisation (from its history), never for a person.
            "personalized": self.personalized,
            "model": {"name": self.model_name, "version": self.model_version},
            "purposes": [],
            "signals_used": dict(self.signals_used),
            "items": [i.as_dict() for i in self.items],
            "held_back": dict(self.held_back),
            "notes": list(self.notes),
            "disclosure": DISCLOSURE,
            "main_parameters": TRANSPARENCY_PATH,
            "created_at": self.created_at.isoformat(),
        }
