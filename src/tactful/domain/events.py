"""Events: what a subject did, and the category of personal data each kind represents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DataCategory(StrEnum):
    """Categories of personal data an event reveals; purposes say which they may use."""

    PURCHASE_HISTORY = "purchase_history"
    EXPLICIT_FEEDBACK = "explicit_feedback"
    BROWSING_HISTORY = "browsing_history"
    SEARCH_HISTORY = "search_history"


class EventType(StrEnum):
    VIEW = "view"
    CLICK = "click"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"
    RATING = "rating"
    SEARCH = "search"

    @property
    def data_category(self) -> DataCategory:
        return EVENT_DATA_CATEGORY[self]

    @property
    def is_explicit(self) -> bool:
        """Explicit signals are things a person deliberately told the shop."""
        return self in (EventType.PURCHASE, EventType.RATING)


EVENT_DATA_CATEGORY: dict[EventType, DataCategory] = {
    EventType.VIEW: DataCategory.BROWSING_HISTORY,
    EventType.CLICK: DataCategory.BROWSING_HISTORY,
    EventType.ADD_TO_CART: DataCategory.BROWSING_HISTORY,
    EventType.PURCHASE: DataCategory.PURCHASE_HISTORY,
    EventType.RATING: DataCategory.EXPLICIT_FEEDBACK,
    EventType.SEARCH: DataCategory.SEARCH_HISTORY,
}


@dataclass(frozen=True, slots=True)
class Event:
    subject_id: str
    event_type: EventType
    occurred_at: datetime
    item_id: str | None = None
    # A rating's stars; unused for the other kinds.
    value: float | None = None
    # A search's text; unused for the other kinds.
    query: str | None = None

    @property
    def data_category(self) -> DataCategory:
        return self.event_type.data_category
