"""Exposure of items and provider groups in ranked lists, and how unequal it is.

A ranked list does not show its items equally: a user looks at the top more often than at
the bottom. Exposure fairness (Singh and Joachims, "Fairness of Exposure in Rankings",
KDD 2018; Biega, Gummadi and Weikum, "Equity of Attention", SIGIR 2018) therefore weights
each slot by the chance that it is seen and sums those weights per item, then per provider
group, and compares a group's share of the exposure with its share of the catalog.

Browsing models (`position_weights`), rank r counted from 1:

* ``"log"``: 1 / log2(r + 1), the position discount of DCG (Järvelin and Kekäläinen 2002),
  the model Singh and Joachims use. Rank 1 weighs 1, rank 2 weighs 0.631, rank 3 0.5.
* ``"geometric"``: p^(r - 1) with patience p, the user model of rank-biased precision
  (Moffat and Zobel, "Rank-biased precision for measurement of retrieval effectiveness",
  TOIS 2008): after each slot the user goes on with probability p. RBP itself multiplies by
  (1 - p); we leave that factor out so that rank 1 weighs 1 in both models. A common factor
  changes no share, ratio or Gini coefficient, only the absolute exposure.

Inequality is measured with the Gini coefficient (`gini`): 0 when every item gets the same
exposure, (n - 1) / n when one item of n gets all of it.

Recommendation tables follow `tactful.metrics`: int64 (n_users, k) item indices, best
first, padded with -1 at the end; padded slots give no exposure to anyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tactful.errors import FieldError, InvalidInput
from tactful.metrics._lists import PAD, check_recommended, check_vector

FloatArray = npt.NDArray[np.float64]

BrowsingModel = Literal["log", "geometric"]


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _check_count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidInput(
            f"{name} must be an integer >= {minimum}, got {value!r}.",
            [FieldError(name, f"must be an integer >= {minimum}")],
        )
    return int(value)


def position_weights(k: int, kind: BrowsingModel = "log", patience: float = 0.8) -> FloatArray:
    """The chance that each of the first k slots is seen, under a browsing model.

    ``kind="log"``: 1 / log2(r + 1) (DCG discount); ``kind="geometric"``: patience^(r - 1)
    (RBP user model without its (1 - p) factor). See the module docstring. `patience` is
    only used by the geometric model and must lie in (0, 1].
    """
    k = _check_count(k, "k", 0)
    ranks = np.arange(1, k + 1, dtype=np.float64)
    if kind == "log":
        return 1.0 / np.log2(ranks + 1.0)
    if kind == "geometric":
        p = float(patience)
        if not 0.0 < p <= 1.0:
            raise InvalidInput(
                f"patience must lie in (0, 1], got {patience!r}.",
                [FieldError("patience", "must lie in (0, 1]")],
            )
        return np.power(p, ranks - 1.0)
    raise InvalidInput(
        f"kind must be 'log' or 'geometric', got {kind!r}.",
        [FieldError("kind", "must be 'log' or 'geometric'")],
    )


def _check_weights(weights: object, k: int) -> FloatArray:
    w = check_vector(weights, "weights")
    if len(w) != k:
        raise InvalidInput(
            f"weights has {len(w)} entries but the lists have {k} positions.",
            [FieldError("weights", f"must have one weight per list position ({k})")],
        )
    if np.any(w < 0):
        raise InvalidInput(
            "weights must be non-negative.", [FieldError("weights", "must be non-negative")]
        )
    return w


def item_exposure(
    recommended: npt.NDArray[np.int64], n_items: int, weights: FloatArray
) -> FloatArray:
    """Per item, the sum of the position weights of every slot it fills, over all lists.

    `weights` has one entry per column of `recommended` (e.g. `position_weights(k)`);
    padded slots count for nothing. Items never recommended get 0.
    """
    n = _check_count(n_items, "n_items", 1)
    table = check_recommended(recommended, n)
    w = _check_weights(weights, table.shape[1])
    valid = table != PAD
    slot_weights = np.broadcast_to(w, table.shape)[valid]
    return np.bincount(table[valid], weights=slot_weights, minlength=n).astype(np.float64)


@dataclass(frozen=True)
class GroupExposure:
    """Exposure per provider group against the group's share of the catalog.

    Tuples are indexed by group number. `ratio` is exposure_share / catalog_share: 1 means
    the group is seen in proportion to its size, below 1 under-exposed. Shares are NaN when
    there is no exposure at all; a ratio is NaN for a group with no items.
    """

    exposure: tuple[float, ...]
    exposure_share: tuple[float, ...]
    items: tuple[int, ...]
    catalog_share: tuple[float, ...]
    ratio: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of lists indexed by group; NaN becomes None."""
        return {
            "exposure": [_json_number(v) for v in self.exposure],
            "exposure_share": [_json_number(v) for v in self.exposure_share],
            "items": list(self.items),
            "catalog_share": [_json_number(v) for v in self.catalog_share],
            "ratio": [_json_number(v) for v in self.ratio],
        }


def group_exposure(
    item_exposure: FloatArray, item_group: npt.NDArray[np.int64], n_groups: int
) -> GroupExposure:
    """Sum item exposure per provider group (item_group[i] in [0, n_groups)) and compare.

    Catalog share is the group's share of the items; exposure share its share of the total
    exposure.
    """
    g = _check_count(n_groups, "n_groups", 1)
    exposure = check_vector(item_exposure, "item_exposure")
    if np.any(exposure < 0):
        raise InvalidInput(
            "item_exposure must be non-negative.",
            [FieldError("item_exposure", "must be non-negative")],
        )
    groups = np.asarray(item_group)
    if groups.ndim != 1 or groups.dtype == np.bool_ or not np.issubdtype(groups.dtype, np.integer):
        raise InvalidInput(
            "item_group must be a 1-D integer array, one group number per item.",
            [FieldError("item_group", "must be a 1-D integer array")],
        )
    if len(groups) != len(exposure):
        raise InvalidInput(
            f"item_group has {len(groups)} entries but item_exposure has {len(exposure)}.",
            [FieldError("item_group", "must have one entry per item")],
        )
    if groups.size and (int(groups.min()) < 0 or int(groups.max()) >= g):
        raise InvalidInput(
            f"item_group values must lie in [0, {g}).",
            [FieldError("item_group", f"values must lie in [0, {g})")],
        )
    index = groups.astype(np.int64)
    per_group = np.bincount(index, weights=exposure, minlength=g).astype(np.float64)
    items = np.bincount(index, minlength=g)
    total = float(per_group.sum())
    share = per_group / total if total > 0 else np.full(g, np.nan)
    catalog = items / len(index) if len(index) else np.full(g, np.nan)
    ratio = np.full(g, np.nan)
    np.divide(share, catalog, out=ratio, where=items > 0)
    return GroupExposure(
        exposure=tuple(float(v) for v in per_group),
        exposure_share=tuple(float(v) for v in share),
        items=tuple(int(v) for v in items),
        catalog_share=tuple(float(v) for v in catalog),
        ratio=tuple(float(v) for v in ratio),
    )


def gini(values: FloatArray) -> float:
    """The Gini coefficient of a non-negative vector: 0 equal, (n - 1)/n all on one entry.

    G = sum_i (2i - n - 1) x_(i) / (n sum_i x_i), with x sorted ascending and i from 1
    (the sorted-values form of the mean absolute difference over twice the mean). An
    all-zero vector is perfectly equal and gives 0.
    """
    x = check_vector(values, "values")
    if x.size == 0:
        raise InvalidInput("values must not be empty.", [FieldError("values", "is empty")])
    if np.any(x < 0):
        raise InvalidInput("values must be non-negative.", [FieldError("values", "negative")])
    total = float(x.sum())
    if total == 0:
        return 0.0
    n = x.size
    coef = 2.0 * np.arange(1, n + 1, dtype=np.float64) - n - 1.0
    return float(np.dot(coef, np.sort(x)) / (n * total))


def exposure_gini(recommended: npt.NDArray[np.int64], n_items: int, weights: FloatArray) -> float:
    """The Gini coefficient of `item_exposure` over the whole catalog (never-shown items
    count as zero exposure)."""
    return gini(item_exposure(recommended, n_items, weights))
