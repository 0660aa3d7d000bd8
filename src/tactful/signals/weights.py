"""How strongly each kind of signal speaks for an item; shared by training and scoring."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tactful.domain.events import Event, EventType

EVENT_WEIGHTS: Mapping[EventType, float] = {
    EventType.VIEW: 1.0,
    EventType.SEARCH: 1.0,
    EventType.CLICK: 2.0,
    EventType.ADD_TO_CART: 3.0,
    EventType.RATING: 4.0,
    EventType.PURCHASE: 5.0,
}


def signal_weight(event: Event) -> float:
    weight = EVENT_WEIGHTS[event.event_type]
    if event.event_type is EventType.RATING and event.value is not None and event.value < 2.5:
        # A poor rating still says the person knows the item, but says less for it.
        weight = 1.0
    return weight


def strongest_by_item(events: Iterable[Event]) -> dict[str, tuple[float, Event]]:
    """Per item, the heaviest signal (its weight and the event that carries it)."""
    best: dict[str, tuple[float, Event]] = {}
    for event in events:
        item_id = event.item_id
        if item_id is None:
            continue
        # `signal_weight`, inlined: this runs once per signal of every decision.
        weight = EVENT_WEIGHTS[event.event_type]
        if event.event_type is EventType.RATING and event.value is not None and event.value < 2.5:
            weight = 1.0
        current = best.get(item_id)
        if current is None or weight > current[0]:
            best[item_id] = (weight, event)
    return best
