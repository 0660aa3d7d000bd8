"""Group-aware calibration: the list's mix over item groups follows a chosen target mix.

Steck's calibration (`calibration.calibrate`, RecSys 2018) applied to groups of items
instead of genres: providers, or popularity bands. Each column belongs to one group (an
int per column, negative for none) and the list is built greedily with the same objective,

    argmax_I  (1 - lambda) * sum_{i in I} rel(i) - lambda * C_KL(p, q~(I)),

q~ = (1 - alpha) q + alpha p with alpha = 0.01, rel min-max normalised over the pool.
What this module adds is the target p:

* fairness_weight = 0: the person's own mix over the groups in their history. Over the
  popularity bands this is *calibrated popularity* (Abdollahpouri, Mansoury, Burke,
  Mobasher, Malthouse, "User-centered Evaluation of Popularity Bias in Recommender
  Systems", UMAP 2021): a list as popular as the person's taste, no more.
* fairness_weight = 1: the catalog's shares of the groups (the share of the columns in each
  group), so each group is shown in proportion to its size: a fair-exposure target.
* in between: (1 - w) * history mix + w * catalog shares.

With no grouped item in the history there is no personal mix: the target is the catalog
shares when fairness_weight > 0, and otherwise there is nothing to calibrate to and the
result is the plain top-k (as `calibrate` does). With fairness_weight = 0 the result is
exactly `calibrate` with the groups as categories.

`popularity_bands` sorts columns into head, mid and tail by their share of interactions.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pydantic import Field

from tactful.candidates.base import ComponentConfig, IndexArray
from tactful.errors import InvalidInput
from tactful.metrics import long_tail_mask
from tactful.reranking import (
    BoolArray,
    Float64Array,
    check_history,
    check_k,
    check_scores,
    pool_of,
)
from tactful.reranking.calibration import choose_calibrated

HEAD, MID, TAIL = 0, 1, 2
BANDS = ("head", "mid", "tail")


class GroupCalibrationConfig(ComponentConfig):
    lambda_: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of calibration against relevance (0: top-k)"
    )
    fairness_weight: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="weight of the catalog's group shares in the target mix against the "
        "person's own history (1: exposure in proportion to each group's size)",
    )
    pool: int = Field(100, ge=1, description="how many of the best candidates are re-ranked")


def popularity_bands(popularity: npt.ArrayLike, head: float = 0.2, tail: float = 0.2) -> IndexArray:
    """Per column: HEAD (0), MID (1) or TAIL (2), by its share of all interactions.

    As in Abdollahpouri et al. 2021: the head is the most popular items that together take
    `head` of the interactions, the tail the least popular items that together take `tail`
    of them, the mid the rest. The exact rule is that of `metrics.long_tail_mask` for the
    head (the shortest most-popular prefix reaching `head` of the total; items tied with
    its last item join it), mirrored from the other end for the tail (the shortest
    least-popular prefix reaching `tail`, ties joining). Items nobody interacted with are
    always tail, and with no interactions at all every item is. The head wins an overlap.
    """
    pop = np.asarray(popularity, dtype=np.float64)
    if pop.ndim != 1 or not np.all(np.isfinite(pop)) or (pop < 0).any():
        raise InvalidInput("popularity must be a 1-D array of non-negative finite numbers.")
    for name, share in (("head", head), ("tail", tail)):
        if not 0.0 <= share <= 1.0:
            raise InvalidInput(f"{name} must lie in [0, 1], got {share!r}.")
    in_head = ~long_tail_mask(pop, head)
    in_tail = pop == 0
    total = float(pop.sum())
    if total > 0 and tail > 0 and pop.size:
        ordered = np.sort(pop)
        cumulative = np.cumsum(ordered)
        reach = min(
            int(np.searchsorted(cumulative, tail * total * (1.0 - 1e-9), side="left")),
            pop.size - 1,
        )
        in_tail |= pop <= ordered[reach]
    bands = np.full(pop.shape, MID, dtype=np.int64)
    bands[in_tail] = TAIL
    bands[in_head] = HEAD
    return bands


def check_groups(groups: object, n_items: int) -> IndexArray:
    labels = np.asarray(groups)
    if labels.shape != (n_items,) or not np.issubdtype(labels.dtype, np.integer):
        raise InvalidInput(f"groups must hold one integer group index for each of {n_items} items.")
    return labels.astype(np.int64)


def _counts(labels: IndexArray, n_groups: int) -> Float64Array:
    has = labels >= 0
    return np.bincount(labels[has], minlength=n_groups).astype(np.float64)


def _normalised(counts: Float64Array) -> Float64Array:
    total = float(counts.sum())
    return counts / total if total > 0 else counts


def catalog_shares(groups: object, n_groups: int | None = None) -> Float64Array:
    """Each group's share of the columns that have a group."""
    labels = check_groups(groups, len(np.asarray(groups)))
    n = n_groups if n_groups is not None else int(labels.max(initial=-1)) + 1
    return _normalised(_counts(labels, n))


def history_mix(groups: object, history: object, n_groups: int | None = None) -> Float64Array:
    """The history's distinct items' shares over the groups (all zeros when none has one)."""
    labels = check_groups(groups, len(np.asarray(groups)))
    n = n_groups if n_groups is not None else int(labels.max(initial=-1)) + 1
    seen = check_history(history, len(labels))
    return _normalised(_counts(labels[seen], n))


def target_mix(groups: object, history: object, fairness_weight: float) -> Float64Array:
    """The mix `group_calibrate` aims at (see the module docstring); zeros: no target."""
    if not 0.0 <= fairness_weight <= 1.0:
        raise InvalidInput(f"fairness_weight must lie in [0, 1], got {fairness_weight!r}.")
    labels = check_groups(groups, len(np.asarray(groups)))
    n = int(labels.max(initial=-1)) + 1
    own = history_mix(labels, history, n)
    catalog = catalog_shares(labels, n)
    if own.sum() == 0:
        return catalog if fairness_weight > 0 else own
    out: Float64Array = (1.0 - fairness_weight) * own + fairness_weight * catalog
    return out


def group_calibrate(
    scores: object,
    groups: object,
    k: int,
    config: GroupCalibrationConfig,
    history: object,
    exclude: BoolArray | None = None,
) -> IndexArray:
    """The k columns chosen greedily for relevance and a group mix close to the target."""
    values, mask = check_scores(scores, exclude)
    k = check_k(k, config.pool)
    labels = check_groups(groups, len(values))
    p = target_mix(labels, history, config.fairness_weight)
    pool = pool_of(values, config.pool, mask)
    return calibrate_to(values, labels, p, k, config.lambda_, pool)


def calibrate_to(
    values: Float64Array,
    labels: IndexArray,
    target: Float64Array,
    k: int,
    lambda_: float,
    pool: IndexArray,
) -> IndexArray:
    """Steck's greedy choice of k from `pool`, one group per column, towards `target`.

    All zeros in `target` means no target: the plain ranking of the pool.
    """
    # One group per item: its share of its own group is 1 (none when it has no group).
    groups = labels[pool]
    member = np.zeros((len(pool), len(target)), dtype=np.float64)
    has_group = groups >= 0
    member[np.flatnonzero(has_group), groups[has_group]] = 1.0
    return choose_calibrated(values, pool, member, target, k, lambda_)
