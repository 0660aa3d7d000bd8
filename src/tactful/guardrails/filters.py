"""Filters applied to every candidate list, with counts of what each one held back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType


@dataclass(frozen=True, slots=True)
class FilterResult:
    exclude: npt.NDArray[np.bool_]
    held_back: Mapping[str, int]


def apply_filters(
    item_ids: Sequence[str],
    catalog: Mapping[str, Item],
    opted_in_sensitive: frozenset[str],
    used_signals: Sequence[Event],
) -> FilterResult:
    """Mask over `item_ids`: True where the item must not be shown.

    * items no longer in the catalog;
    * sensitive items unless the subject opted in to every sensitive category they carry;
    * items the subject already bought or rated, known only from signals the decision may use.
    """
    n = len(item_ids)
    exclude = np.zeros(n, dtype=np.bool_)
    owned = {
        e.item_id
        for e in used_signals
        if e.item_id is not None and e.event_type in (EventType.PURCHASE, EventType.RATING)
    }
    counts = {"not_in_catalog": 0, "sensitive_category": 0, "already_purchased": 0}
    for index, item_id in enumerate(item_ids):
        item = catalog.get(item_id)
        if item is None:
            exclude[index] = True
            counts["not_in_catalog"] += 1
        elif not item.sensitive <= opted_in_sensitive:
            exclude[index] = True
            counts["sensitive_category"] += 1
        elif item_id in owned:
            exclude[index] = True
            counts["already_purchased"] += 1
    return FilterResult(exclude, counts)
