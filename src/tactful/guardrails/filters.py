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
    """Per model column: is the item gone, which sensitive categories does it carry, and
    which catalog category is it in (an index into `category_names`; -1 when gone)."""

    missing: BoolArray
    sensitive: Mapping[str, BoolArray]
    category_index: npt.NDArray[np.int32] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int32)
    )
    category_names: tuple[str, ...] = ()
    # Per set of opted-in categories: (what the catalog and the sensitive filter exclude,
    # how many the sensitive filter held back). Few distinct sets exist; built on first use.
    _by_opt_in: dict[frozenset[str], tuple[BoolArray, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _by_categories: dict[frozenset[str], BoolArray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def build(cls, item_ids: Sequence[str], catalog: Mapping[str, Item]) -> CatalogMasks:
        n = len(item_ids)
        missing = np.fromiter((i not in catalog for i in item_ids), dtype=np.bool_, count=n)
        sensitive: dict[str, BoolArray] = {}
        names: dict[str, int] = {}
        category_index = np.full(n, -1, dtype=np.int32)
        for col, item_id in enumerate(item_ids):
            item = catalog.get(item_id)
            if item is None:
                continue
            category_index[col] = names.setdefault(item.category, len(names))
            for category in item.sensitive:
                sensitive.setdefault(category, np.zeros(n, dtype=np.bool_))[col] = True
        return cls(missing, sensitive, category_index, tuple(names))

    def in_categories(self, categories: frozenset[str]) -> BoolArray:
        """Columns whose item is in any of `categories`, by its catalog category or one of
        its sensitive ones (how exclusions name categories). Shared: copy before changing."""
        found = self._by_categories.get(categories)
        if found is None:
            codes = [n for n, name in enumerate(self.category_names) if name in categories]
            found = np.isin(self.category_index, codes)
            for category in categories:
                mask = self.sensitive.get(category)
                if mask is not None:
                    found |= mask
            found.flags.writeable = False
            if len(self._by_categories) < 256:
                self._by_categories[categories] = found
        return found

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
    self_excluded: frozenset[str] = frozenset(),
    harm_prone: frozenset[str] = frozenset(),
) -> FilterResult:
    """Mask over the model's columns: True where the item must not be shown.

    * items no longer in the catalog;
    * sensitive items unless the subject opted in to every sensitive category they carry;
    * items in a category the subject excluded themselves from;
    * items in a harm-prone category, for a subject who flagged they are vulnerable (the
      caller passes the policy's harm-prone categories only for them);
    * items the subject already bought or rated;
    * items the subject reported in a complaint;
    * items the subject said they are not interested in.
    """
    shared, held_sensitive = masks.catalog_exclusions(opted_in_sensitive)
    exclude = shared
    held: dict[str, int] = {
        "not_in_catalog": masks.missing_count,
        "sensitive_category": held_sensitive,
    }
    for key, categories in (("self_excluded", self_excluded), ("vulnerability", harm_prone)):
        if categories:
            newly = masks.in_categories(categories) & ~exclude
            count = int(np.count_nonzero(newly))
            if count:
                exclude = exclude | newly
                held[key] = count
    if exclude is shared:
        exclude = shared.copy()
    owned = [col for i in owned_items(used_signals) if (col := index.get(i)) is not None]
    owned = [col for col in owned if not exclude[col]]
    exclude[owned] = True
    held["already_purchased"] = len(owned)
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


def held_back_reason(
    item: Item,
    opted_in_sensitive: frozenset[str],
    self_excluded: frozenset[str] = frozenset(),
    harm_prone: frozenset[str] = frozenset(),
    reported: frozenset[str] = frozenset(),
    not_interested: frozenset[str] = frozenset(),
) -> str | None:
    """The rule of `apply_filters` that holds back this one item (None: none does), for items
    placed outside the model's ranking, such as those an operator pins."""
    if not item.sensitive <= opted_in_sensitive:
        return "sensitive_category"
    categories = item.sensitive | {item.category}
    if categories & self_excluded:
        return "self_excluded"
    if categories & harm_prone:
        return "vulnerability"
    if item.item_id in reported:
        return "reported_by_you"
    if item.item_id in not_interested:
        return "not_interested"
    return None
