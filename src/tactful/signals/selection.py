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
    # Cohort trends only: no signal of the person's own is read (`tactful.privacy`).
    PersonalizationLevel.AGGREGATE: frozenset(),
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


@dataclass(frozen=True, slots=True)
class _CatalogUses:
    """What `signal_policy` needs of a purpose catalog, apart from anyone's choices."""

    # Per event type: the purposes covering its data for content personalization.
    profiling: Mapping[EventType, tuple[str, ...]]
    # (purpose code, sensitive category) of the purposes that unlock one.
    sensitive: tuple[tuple[str, str], ...]


# By catalog identity (a catalog is immutable and unhashable); holding the catalog keeps
# its id from being reused while it is cached here.
_USES: dict[int, tuple[PurposeCatalog, _CatalogUses]] = {}


def _catalog_uses(purposes: PurposeCatalog) -> _CatalogUses:
    found = _USES.get(id(purposes))
    if found is not None and found[0] is purposes:
        return found[1]
    uses = _CatalogUses(
        profiling={
            event_type: tuple(
                code
                for code in purposes.covering(event_type.data_category)
                if CONTENT_PERSONALIZATION_USE in purposes.get(code).fides_data_uses
            )
            for event_type in EventType
        },
        sensitive=tuple(
            (p.code, p.sensitive_category) for p in purposes if p.sensitive_category is not None
        ),
    )
    if len(_USES) >= 32:
        _USES.clear()
    _USES[id(purposes)] = (purposes, uses)
    return uses


def opted_in_sensitive(state: ConsentState, purposes: PurposeCatalog) -> frozenset[str]:
    return frozenset(
        category for code, category in _catalog_uses(purposes).sensitive if state.is_granted(code)
    )


def signal_policy(
    level: PersonalizationLevel, state: ConsentState, purposes: PurposeCatalog
) -> SignalPolicy:
    profiling = _catalog_uses(purposes).profiling
    justification: dict[EventType, frozenset[str]] = {}
    for event_type in LEVEL_EVENT_TYPES[level]:
        granted_profiling = frozenset(
            code for code in profiling[event_type] if state.is_granted(code)
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
    """The events `policy.allows`; the test spelled out inline, as it runs per event."""
    types, opted_in = policy.event_types, policy.opted_in_sensitive
    return [
        e
        for e in events
        if e.event_type in types
        and e.item_id is not None
        and (item := items.get(e.item_id)) is not None
        and item.sensitive <= opted_in
    ]
