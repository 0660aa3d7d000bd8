"""Explanations people can read, built from what the decision actually used."""

from __future__ import annotations

from dataclasses import dataclass

from tactful.consent.levels import PersonalizationLevel
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType

_VERBS = {
    EventType.PURCHASE: "bought",
    EventType.RATING: "rated",
    EventType.ADD_TO_CART: "put in your cart",
    EventType.CLICK: "looked at",
    EventType.VIEW: "viewed",
    EventType.SEARCH: "searched for",
}


@dataclass(frozen=True, slots=True)
class Explanation:
    reason: str
    signals: tuple[str, ...]
    purposes: tuple[str, ...]
    model_version: str
    personal: bool
    because_item_id: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "personal": self.personal,
            "signals": list(self.signals),
            "purposes": list(self.purposes),
            "model_version": self.model_version,
            "because_item_id": self.because_item_id,
        }


def explain_personal(
    because: tuple[Item, Event] | None,
    signal_types: frozenset[EventType],
    purposes: frozenset[str],
    model_version: str,
) -> Explanation:
    if because is not None:
        item, event = because
        reason = f"Because you {_VERBS[event.event_type]} \u201c{item.title}\u201d."
        signals: tuple[str, ...] = (event.event_type.value,)
        because_id: str | None = item.item_id
    else:
        kinds = ", ".join(sorted(_VERBS[t] for t in signal_types)) or "chose"
        reason = f"Picked from what you {kinds} overall, not from one item in particular."
        signals = tuple(sorted(t.value for t in signal_types))
        because_id = None
    return Explanation(
        reason=reason,
        signals=signals,
        purposes=tuple(sorted(purposes)),
        model_version=model_version,
        personal=True,
        because_item_id=because_id,
    )


def explain_popular(
    level: PersonalizationLevel, item: Item, model_version: str, had_no_signals: bool
) -> Explanation:
    if level is PersonalizationLevel.OFF:
        basis = "Not based on anything about you: personalization is off."
    elif had_no_signals:
        basis = "We hold nothing about you that your choices let us use yet."
    else:
        basis = "Shown as a popular pick."
    lead = "An editor\u2019s pick" if item.editorial else "Popular with shoppers right now"
    return Explanation(
        reason=f"{lead}. {basis}",
        signals=(),
        purposes=(),
        model_version=model_version,
        personal=False,
    )


def explain_exploration(
    purposes: frozenset[str], model_version: str, personal: bool
) -> Explanation:
    """An item the surface's exploration share placed from outside the usual top picks."""
    return Explanation(
        reason="Shown to widen your choices: it is outside your usual top picks.",
        signals=(),
        purposes=tuple(sorted(purposes)),
        model_version=model_version,
        personal=personal,
    )


def explain_pinned(purposes: frozenset[str], model_version: str) -> Explanation:
    """An item the operator placed on this list; the guardrails still had their say."""
    return Explanation(
        reason="Placed here by the shop for everyone on this page, not chosen from your data. "
        "It passed the same checks as every other item (your choices, exclusions and "
        "sensitive categories).",
        signals=(),
        purposes=tuple(sorted(purposes)),
        model_version=model_version,
        personal=False,
    )
