"""Popularity de-biasing: room in the list for the long tail, as much as the person likes it.

Abdollahpouri, Burke, Mobasher, "Managing Popularity Bias in Recommender Systems with
Personalized Re-ranking", FLAIRS 2019 (arXiv:1901.07555). Items fall in two groups, the
short head (the popular items) and the long tail (the caller's boolean mask, e.g. from
`tactful.metrics.long_tail_mask`). The list S is built greedily with xQuAD, each step
taking the item v that maximises the paper's Eq. 4,

    (1 - lambda) * P(v|u) + lambda * sum_c P(c|u) * P(v|c) * prod_{i in S} (1 - P(i|c, S))

over c in {head, tail}, with P(v|c) = 1[v in c]. The paper gives two readings of
P(i|c, S), the product being how far the list so far leaves group c uncovered:

* `binary` (the original xQuAD): P(i|c, S) = 1[i in c], so the product is 1 until the
  list holds one item of c and 0 from then on. At most one item per group is promoted,
  and once both groups are in the list the choice is by relevance alone. On ml-100k, where
  nine top-10 lists in ten already hold a long-tail film, this hardly changes anything
  (docs/benchmarks.md section 10).
* `smooth` (the variant the paper introduces): P(i|c, S) is "the ratio of items in list
  S that covers category c", so the group's bonus falls with its share of the list
  instead of vanishing: uncovered(c, S) = 1 - |S & c| / |S| (1 while S is empty). This is
  the reading T-RECS' xQuAD and other public implementations take. With lambda = 1 the
  tail is chosen while its share of the list is below P(tail|u), so the list's tail share
  tracks the person's tolerance (within one item); smaller lambdas trade that for
  relevance.

The default is `smooth`: it is the paper's own contribution, and on MovieLens (the
paper's Fig. 4-5, and ours) it is the one that moves the lists, at a modest extra cost in
nDCG (the paper finds binary "slightly better" in accuracy as it changes the least).

P(v|u) is the score min-max normalised over the `pool` best candidates, so lambda weighs
quantities on the same [0, 1] scale; lambda = 0 is the plain top-k. P(tail|u) is the
person's tolerance for the long tail: the share of long-tail items in their history
(each item counted once), and P(head|u) = 1 - P(tail|u). A person with no history tells
us nothing either way, so both groups weigh the same: P(tail|u) = 0.5
(`NO_HISTORY_TOLERANCE`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from tactful.candidates.base import ComponentConfig, IndexArray
from tactful.errors import InvalidInput
from tactful.reranking import (
    BoolArray,
    check_history,
    check_k,
    check_scores,
    min_max,
    pool_of,
)

NO_HISTORY_TOLERANCE = 0.5
Variant = Literal["binary", "smooth"]


class PopularityDebiasConfig(ComponentConfig):
    lambda_: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of long-tail coverage against relevance (0: top-k)"
    )
    pool: int = Field(100, ge=1, description="how many of the best candidates are re-ranked")
    variant: Variant = Field(
        "smooth",
        description="`smooth`: a group's bonus falls with its share of the list so far, so the "
        "list keeps drawing long-tail items up to the person's tolerance; `binary`: the bonus "
        "ends once the list holds one item of the group (at most one promoted)",
    )


def tail_tolerance(long_tail: BoolArray, history: object) -> float:
    """P(tail|u): the share of the history's distinct items in the long tail (0.5 if none)."""
    seen = check_history(history, len(long_tail))
    if seen.size == 0:
        return NO_HISTORY_TOLERANCE
    return float(long_tail[seen].mean())


def uncovered(in_group: int, size: int, variant: Variant) -> float:
    """prod_{i in S} (1 - P(i|c, S)) for a list of `size` items, `in_group` of them in c."""
    if variant == "binary":
        return 1.0 if in_group == 0 else 0.0
    return 1.0 - in_group / size if size else 1.0


def debias_popularity(
    scores: object,
    long_tail: object,
    k: int,
    config: PopularityDebiasConfig,
    history: object,
    exclude: BoolArray | None = None,
) -> IndexArray:
    """The k columns xQuAD chooses, in the order chosen; ties to the better-ranked.

    `long_tail` flags the long-tail columns; `history` holds the column indices of the
    person's items, which set their tolerance for the tail.
    """
    values, mask = check_scores(scores, exclude)
    k = check_k(k, config.pool)
    tail_flags = np.asarray(long_tail)
    if tail_flags.shape != values.shape or tail_flags.dtype != np.bool_:
        raise InvalidInput("long_tail must be a boolean array shaped like scores.")
    p_tail = tail_tolerance(tail_flags, history)
    pool = pool_of(values, config.pool, mask)
    relevance = min_max(values[pool])
    in_tail = tail_flags[pool]
    weight = config.lambda_
    chosen: list[int] = []
    taken = np.zeros(len(pool), dtype=np.bool_)
    n_tail = 0
    for size in range(min(k, len(pool))):
        tail_bonus = p_tail * uncovered(n_tail, size, config.variant)
        head_bonus = (1.0 - p_tail) * uncovered(size - n_tail, size, config.variant)
        gain = (1.0 - weight) * relevance + weight * np.where(in_tail, tail_bonus, head_bonus)
        gain[taken] = -np.inf
        best = int(np.argmax(gain))  # first maximum: the better-ranked candidate
        chosen.append(best)
        taken[best] = True
        n_tail += int(in_tail[best])
    return pool[np.array(chosen, dtype=np.int64)]
