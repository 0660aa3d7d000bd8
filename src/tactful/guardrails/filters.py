"""Filters applied to every candidate list, with counts of what each one held back.

The catalog-dependent part (which columns are gone, which carry which sensitive category) is
computed once per model and catalog as boolean masks; a decision then only combines masks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CatalogMasks:
    """Per model column: is the item gone, and which sensitive categories does it carry."""

    missing: BoolArray
    sensitive: Mapping[str, BoolArray]

    @classmethod
    def build(cls, item_ids: Sequence[str], catalog: Mapping[str, Item]) -> CatalogMasks:
        n = len(item_ids)
        missing = np.fromiter((i not in catalog for i in item_ids), dtype=np.bool_, count=n)
        sensitive: dict[str, BoolArray] = {}
        for col, item_id in enumerate(item_ids):
            item = catalog.get(item_id)
            for category in item.sensitive if item is not None else ():
                sensitive.setdefault(category, np.zeros(n, dtype=np.bool_))[col] = True
        return cls(missing, sensitive)


@dataclass(frozen=True, slots=True)
class FilterResult:
    exclude: BoolArray
    held_back: Mapping[str, int]


def owned_items(used_signals: Iterable[Event]) -> set[str]:
    """Items the subject bought or rated, known only from signals the decision may use."""
    return {
        e.item_id
        for e in used_signals
        if e.item_id is not None and e.event_type in (EventType.PURCHASE, EventType.RATING)
    }


def apply_filters(
    masks: CatalogMasks,
    index: Mapping[str, int],
    opted_in_sensitive: frozenset[str],
    used_signals: Sequence[Event],
) -> FilterResult:
    """Mask over the model's columns: True where the item must not be shown.

    * items no longer in the catalog;
    * sensitive items unless the subject opted in to every sensitive category they carry;
    * items the subject already bought or rated.
    """
    exclude = masks.missing.copy()
    sensitive = np.zeros_like(exclude)
    for category, mask in masks.sensitive.items():
        if category not in opted_in_sensitive:
            sensitive |= mask
    sensitive &= ~exclude
    exclude |= sensitive
    owned = np.zeros_like(exclude)
    cols = [index[i] for i in owned_items(used_signals) if i in index]
    owned[cols] = True
    owned &= ~exclude
    exclude |= owned
    return FilterResult(
        exclude,
        {
            "not_in_catalog": int(np.count_nonzero(masks.missing)),
            "sensitive_category": int(np.count_nonzero(sensitive)),
            "already_purchased": int(np.count_nonzero(owned)),
        },
    )
