"""Select the signals a decision may use: nothing outside the granted purposes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tactful.consent.ledger import ConsentState
from tactful.consent.levels import PersonalizationLevel
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import PurposeCatalog, sensitive_purpose_code

# Only purposes whose declared use is serving content from a profile justify using a signal
# in a recommendation; consent to advertising or statistics never does.
CONTENT_PERSONALIZATION_USE = "personalize.content.profiled"

LEVEL_EVENT_TYPES: Mapping[PersonalizationLevel, frozenset[EventType]] = {
    PersonalizationLevel.OFF: frozenset(),
    PersonalizationLevel.BASIC: frozenset({EventType.PURCHASE, EventType.RATING}),
    PersonalizationLevel.FULL: frozenset(EventType),
}


@dataclass(frozen=True, slots=True)
class SignalPolicy:
    """What a decision for one subject may read, and on which purposes it relies."""

    level: PersonalizationLevel
    event_types: frozenset[EventType]
    # For each usable event type, the granted profiling purposes that justify its use.
    justification: Mapping[EventType, frozenset[str]]
    opted_in_sensitive: frozenset[str]

    def allows(self, event: Event, item: Item | None) -> bool:
        if event.event_type not in self.event_types:
            return False
        if item is None:
            return False
        return item.sensitive <= self.opted_in_sensitive

    def purposes_for(self, event_types: Iterable[EventType]) -> frozenset[str]:
        out: set[str] = set()
        for event_type in event_types:
            out |= self.justification.get(event_type, frozenset())
        return frozenset(out)


def opted_in_sensitive(state: ConsentState, purposes: PurposeCatalog) -> frozenset[str]:
    return frozenset(
        p.sensitive_category
        for p in purposes
        if p.sensitive_category is not None and state.is_granted(p.code)
    )


def signal_policy(
    level: PersonalizationLevel, state: ConsentState, purposes: PurposeCatalog
) -> SignalPolicy:
    justification: dict[EventType, frozenset[str]] = {}
    for event_type in LEVEL_EVENT_TYPES[level]:
        granted_profiling = frozenset(
            code
            for code in purposes.covering(event_type.data_category)
            if CONTENT_PERSONALIZATION_USE in purposes.get(code).fides_data_uses
            and state.is_granted(code)
        )
        if granted_profiling:
            justification[event_type] = granted_profiling
    return SignalPolicy(
        level=level,
        event_types=frozenset(justification),
        justification=justification,
        opted_in_sensitive=opted_in_sensitive(state, purposes),
    )


def sensitive_purposes(item: Item) -> frozenset[str]:
    return frozenset(sensitive_purpose_code(c) for c in item.sensitive)


def select_signals(
    events: Iterable[Event], policy: SignalPolicy, items: Mapping[str, Item]
) -> list[Event]:
    return [
        e
        for e in events
        if policy.allows(e, items.get(e.item_id) if e.item_id is not None else None)
    ]
