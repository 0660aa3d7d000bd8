"""Filters applied to every candidate list, with counts of what each one held back.

The catalog-dependent part (which columns are gone, which carry which sensitive category) is
computed once per model and catalog as boolean masks; a decision then only combines masks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
    # Per set of opted-in categories: (what the catalog and the sensitive filter exclude,
    # how many the sensitive filter held back). Few distinct sets exist; built on first use.
    _by_opt_in: dict[frozenset[str], tuple[BoolArray, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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

    def catalog_exclusions(self, opted_in_sensitive: frozenset[str]) -> tuple[BoolArray, int]:
        """Columns gone or sensitive without opt-in, and how many only the latter excludes.

        The array is shared between calls: copy it before changing it.
        """
        found = self._by_opt_in.get(opted_in_sensitive)
        if found is None:
            exclude = self.missing.copy()
            sensitive = np.zeros_like(exclude)
            for category, mask in self.sensitive.items():
                if category not in opted_in_sensitive:
                    sensitive |= mask
            sensitive &= ~exclude
            exclude |= sensitive
            exclude.flags.writeable = False
            found = (exclude, int(np.count_nonzero(sensitive)))
            self._by_opt_in[opted_in_sensitive] = found
        return found

    @property
    def missing_count(self) -> int:
        return int(np.count_nonzero(self.missing))


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
    reported: Iterable[str] = (),
    not_interested: Iterable[str] = (),
) -> FilterResult:
    """Mask over the model's columns: True where the item must not be shown.

    * items no longer in the catalog;
    * sensitive items unless the subject opted in to every sensitive category they carry;
    * items the subject already bought or rated;
    * items the subject reported in a complaint;
    * items the subject said they are not interested in.
    """
    shared, held_sensitive = masks.catalog_exclusions(opted_in_sensitive)
    exclude = shared.copy()
    owned = [col for i in owned_items(used_signals) if (col := index.get(i)) is not None]
    owned = [col for col in owned if not exclude[col]]
    exclude[owned] = True
    held: dict[str, int] = {
        "not_in_catalog": masks.missing_count,
        "sensitive_category": held_sensitive,
        "already_purchased": len(owned),
    }
    reported_cols = [col for i in reported if (col := index.get(i)) is not None]
    reported_cols = [col for col in reported_cols if not exclude[col]]
    if reported_cols:
        exclude[reported_cols] = True
        held["reported_by_you"] = len(reported_cols)
    unwanted_cols = [col for i in not_interested if (col := index.get(i)) is not None]
    unwanted_cols = [col for col in unwanted_cols if not exclude[col]]
    if unwanted_cols:
        exclude[unwanted_cols] = True
        held["not_interested"] = len(unwanted_cols)
    return FilterResult(exclude, held)
