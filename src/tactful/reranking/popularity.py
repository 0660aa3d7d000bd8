"""Popularity de-biasing: room in the list for the long tail, as much as the person likes it.

Abdollahpouri, Burke, Mobasher, "Managing Popularity Bias in Recommender Systems with
Personalized Re-ranking", FLAIRS 2019. Items fall in two groups, the short head (the
popular items) and the long tail (the caller's boolean mask, e.g. from
`tactful.metrics.long_tail_mask`). The list is built greedily with xQuAD, each step taking

    argmax_i  (1 - lambda) * rel(i) + lambda * sum_c P(c|u) * 1[i in c] * cover(c, S)
    cover(c, S) = prod_{j in S} (1 - 1[j in c])

over c in {head, tail}, S the items chosen so far. This is the paper's *binary* variant:
P(i|c) is 1 when i belongs to c, so a group's bonus holds until the list has one item of
it, and then the choice is by relevance alone. At most one item per group is promoted;
the list's other places follow the ranking.

P(tail|u) is the person's tolerance for the long tail: the share of long-tail items in
their history (each item counted once), and P(head|u) = 1 - P(tail|u). A person with no
history tells us nothing either way, so both groups weigh the same: P(tail|u) = 0.5
(`NO_HISTORY_TOLERANCE`). rel is the score min-max normalised over the `pool` best
candidates, so lambda weighs quantities on the same [0, 1] scale. lambda = 0 is the plain
top-k.
"""

from __future__ import annotations

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


class PopularityDebiasConfig(ComponentConfig):
    lambda_: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of long-tail coverage against relevance (0: top-k)"
    )
    pool: int = Field(100, ge=1, description="how many of the best candidates are re-ranked")


def tail_tolerance(long_tail: BoolArray, history: object) -> float:
    """P(tail|u): the share of the history's distinct items in the long tail (0.5 if none)."""
    seen = check_history(history, len(long_tail))
    if seen.size == 0:
        return NO_HISTORY_TOLERANCE
    return float(long_tail[seen].mean())


def debias_popularity(
    scores: object,
    long_tail: object,
    k: int,
    config: PopularityDebiasConfig,
    history: object,
    exclude: BoolArray | None = None,
) -> IndexArray:
    """The k columns binary xQuAD chooses, in the order chosen; ties to the better-ranked.

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
    tail_open = head_open = 1.0  # prod_{j in S} (1 - 1[j in c]): 1 until c is in the list
    for _ in range(min(k, len(pool))):
        cover = np.where(in_tail, p_tail * tail_open, (1.0 - p_tail) * head_open)
        gain = (1.0 - weight) * relevance + weight * cover
        gain[taken] = -np.inf
        best = int(np.argmax(gain))  # first maximum: the better-ranked candidate
        chosen.append(best)
        taken[best] = True
        if in_tail[best]:
            tail_open = 0.0
        else:
            head_open = 0.0
    return pool[np.array(chosen, dtype=np.int64)]
