"""Data minimisation at the door: keep an event only if a granted purpose needs it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tactful.consent.ledger import ConsentState
from tactful.domain.catalog import Item
from tactful.domain.events import Event
from tactful.domain.purposes import PurposeCatalog, sensitive_purpose_code


@dataclass(frozen=True)
class Minimised:
    kept: list[tuple[Event, tuple[str, ...]]] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


def covering_purposes(
    event: Event, state: ConsentState, item: Item | None, purposes: PurposeCatalog
) -> tuple[tuple[str, ...], str | None]:
    """The granted purposes that justify keeping `event`, or why none does."""
    granted = sorted(
        code for code in purposes.covering(event.data_category) if state.is_granted(code)
    )
    if not granted:
        return (), f"no granted purpose covers {event.data_category.value}"
    if item is not None and item.sensitive:
        missing = sorted(
            c for c in item.sensitive if not state.is_granted(sensitive_purpose_code(c))
        )
        if missing:
            return (), f"sensitive category {missing[0]} without explicit opt-in"
        granted += sorted(sensitive_purpose_code(c) for c in item.sensitive)
    return tuple(granted), None


def minimise(
    events: Sequence[Event],
    states: Mapping[str, ConsentState],
    items: Mapping[str, Item],
    purposes: PurposeCatalog,
) -> Minimised:
    result = Minimised()
    for event in events:
        state = states.get(event.subject_id) or ConsentState(event.subject_id)
        item = items.get(event.item_id) if event.item_id is not None else None
        covering, reason = covering_purposes(event, state, item, purposes)
        if reason is not None:
            result.dropped[reason] += 1
        else:
            result.kept.append((event, covering))
    return result
