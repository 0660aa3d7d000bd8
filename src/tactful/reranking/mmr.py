"""Maximal marginal relevance: a list that is relevant and not all alike.

Carbonell and Goldstein, "The Use of MMR, Diversity-Based Reranking for Reordering
Documents and Producing Summaries", SIGIR 1998. Items are chosen greedily; each step takes

    argmax_i  lambda * rel(i) - (1 - lambda) * max_{j chosen} sim(i, j)

over the `pool` best candidates. rel is the score min-max normalised over the pool, so
lambda weighs two quantities on the same [0, 1] scale; sim is the Jaccard overlap of the
two items' category sets (0 when either has none). lambda = 1 is the plain top-k.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from tactful.candidates.base import ComponentConfig, IndexArray
from tactful.reranking import (
    BoolArray,
    Categories,
    Float64Array,
    category_flags,
    check_k,
    check_scores,
    min_max,
    pool_of,
)


class MMRConfig(ComponentConfig):
    lambda_: float = Field(
        0.7, ge=0.0, le=1.0, description="weight of relevance against similarity (1: top-k)"
    )
    pool: int = Field(100, ge=1, description="how many of the best candidates are re-ranked")


def jaccard(flags: Float64Array) -> Float64Array:
    """Pairwise Jaccard similarity of the rows' category sets; 0 where the union is empty."""
    common = flags @ flags.T
    sizes = flags.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - common
    out: Float64Array = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
    return out


def mmr(
    scores: object,
    categories: Categories,
    k: int,
    config: MMRConfig,
    exclude: BoolArray | None = None,
) -> IndexArray:
    """The k columns MMR chooses, in the order chosen; ties go to the better-ranked item."""
    values, mask = check_scores(scores, exclude)
    k = check_k(k, config.pool)
    flags = category_flags(categories, len(values))
    pool = pool_of(values, config.pool, mask)
    relevance = min_max(values[pool])
    similarity = jaccard(flags[pool])
    weight = config.lambda_
    chosen: list[int] = []
    taken = np.zeros(len(pool), dtype=np.bool_)
    closest = np.zeros(len(pool), dtype=np.float64)  # max similarity to the chosen so far
    for _ in range(min(k, len(pool))):
        gain = weight * relevance - (1.0 - weight) * closest
        gain[taken] = -np.inf
        best = int(np.argmax(gain))  # first maximum: the better-ranked candidate
        chosen.append(best)
        taken[best] = True
        closest = np.maximum(closest, similarity[best])
    return pool[np.array(chosen, dtype=np.int64)]
