"""Re-rankers: turn one subject's candidate scores into a list that is not only accurate.

Accuracy alone narrows what a person sees to more of the same (the filter bubble). Each
re-ranker here trades a measured amount of accuracy for something else:

* `mmr.mmr`: diversity within the list (maximal marginal relevance);
* `calibration.calibrate`: a category mix that follows the subject's history (Steck 2018);
* `exploration.explore`: a share of the list drawn from the long tail, each marked;
* `fair_exposure.fair_rerank`: a protected group (e.g. some providers) never significantly
  under-represented in any prefix of the list (FA*IR, Zehlike et al. 2017);
* `popularity.debias_popularity`: long-tail items promoted as far as the person's own
  history shows a taste for them (smooth or binary xQuAD, Abdollahpouri et al. 2019);
* `group_calibration.group_calibrate`: the list's mix over item groups (providers,
  popularity bands) follows the person's history, the catalog, or a blend of the two.

They share one shape: scores over item columns (higher is better), the items' categories
or groups, k, a typed config (pydantic, extra fields forbidden, frozen), and an optional `exclude`
mask that always wins, as in `tactful.candidates.base.top_k`. They return column indices,
best first, distinct, never excluded. They are pure: numpy in, numpy out, no store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from tactful.candidates.base import ComponentConfig, IndexArray, top_k
from tactful.errors import FieldError, InvalidInput

BoolArray = npt.NDArray[np.bool_]
Float64Array = npt.NDArray[np.float64]
# Per item column: one category index (negative: none), a row of category flags (2-D, > 0
# marks a category), or an iterable of category indices.
Categories = npt.NDArray[Any] | Sequence[Iterable[int]]

ConfigT = TypeVar("ConfigT", bound=ComponentConfig)


def make_config(cls: type[ConfigT], values: Mapping[str, Any] | None = None) -> ConfigT:
    """A re-ranker config from plain values; a bad value is `InvalidInput` naming the field."""
    try:
        return cls.model_validate(dict(values or {}))
    except ValidationError as exc:
        errors = [
            FieldError(".".join(["config", *(str(part) for part in err["loc"])]), err["msg"])
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidInput(f"Invalid re-ranker configuration ({detail}).", errors) from None


def category_flags(categories: Categories, n_items: int) -> Float64Array:
    """Items x categories, 1.0 where the item has the category.

    Accepts one category index per item (negative for none), a 2-D flag array, or one
    iterable of category indices per item.
    """
    if isinstance(categories, np.ndarray) and categories.ndim == 2:
        if categories.shape[0] != n_items:
            raise InvalidInput(f"categories must have {n_items} rows, got {categories.shape[0]}.")
        flags_2d: BoolArray = np.asarray(categories, dtype=np.float64) > 0
        return flags_2d.astype(np.float64)
    if isinstance(categories, np.ndarray) and categories.ndim == 1:
        if not np.issubdtype(categories.dtype, np.integer):
            raise InvalidInput("categories must hold integer category indices.")
        if len(categories) != n_items:
            raise InvalidInput(f"categories must have {n_items} entries, got {len(categories)}.")
        labels = categories.astype(np.int64)
        n_cats = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
        flags = np.zeros((n_items, max(n_cats, 1)), dtype=np.float64)
        has = labels >= 0
        flags[np.flatnonzero(has), labels[has]] = 1.0
        return flags
    sets = [sorted({int(c) for c in item}) for item in categories]
    if len(sets) != n_items:
        raise InvalidInput(f"categories must have {n_items} entries, got {len(sets)}.")
    if any(c < 0 for item in sets for c in item):
        raise InvalidInput("category indices must be non-negative.")
    n_cats = max((item[-1] + 1 for item in sets if item), default=1)
    flags = np.zeros((n_items, n_cats), dtype=np.float64)
    for row, item in enumerate(sets):
        flags[row, item] = 1.0
    return flags


def check_scores(scores: object, exclude: object) -> tuple[Float64Array, BoolArray | None]:
    """Scores as a 1-D float array and `exclude` as a matching boolean mask (or None)."""
    array = np.asarray(scores)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.number):
        raise InvalidInput("scores must be a 1-D numeric array, one score per item column.")
    mask = None
    if exclude is not None:
        mask = np.asarray(exclude)
        if mask.shape != array.shape or mask.dtype != np.bool_:
            raise InvalidInput("exclude must be a boolean array shaped like scores.")
    return array.astype(np.float64), mask


def check_k(k: object, pool: int | None = None) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise InvalidInput(f"k must be a non-negative integer, got {k!r}.")
    if pool is not None and pool < k:
        raise InvalidInput(
            f"pool ({pool}) must be at least k ({k}): the re-ranker picks k from the pool.",
            [FieldError("config.pool", f"Must be at least k = {k}.")],
        )
    return int(k)


def check_history(history: object, n_items: int) -> IndexArray:
    """A subject's history as distinct column indices; InvalidInput when one is out of range."""
    seen = np.asarray(history, dtype=np.int64).ravel()
    if seen.size and (seen.min() < 0 or seen.max() >= n_items):
        raise InvalidInput("history must hold item column indices within the scores.")
    return np.unique(seen)


def pool_of(scores: Float64Array, pool: int, exclude: BoolArray | None) -> IndexArray:
    """The `pool` best columns by score, best first (ties by lower index), never excluded."""
    same: npt.NDArray[Any] = scores  # top_k widens to float64 itself: same order as top_k
    return top_k(same, pool, exclude)


def min_max(values: Float64Array) -> Float64Array:
    """Scaled to [0, 1] over the pool; all 1.0 when every value is the same."""
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high == low:
        return np.ones_like(values)
    return (values - low) / (high - low)


__all__ = [
    "BoolArray",
    "Categories",
    "Float64Array",
    "category_flags",
    "check_history",
    "check_k",
    "check_scores",
    "make_config",
    "min_max",
    "pool_of",
]
