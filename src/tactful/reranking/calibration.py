"""Calibrated re-ranking: the list's category mix follows the subject's history.

Steck, "Calibrated Recommendations", RecSys 2018. A list of mostly the subject's dominant
category crowds out their other interests; calibration chooses greedily

    argmax_I  (1 - lambda) * sum_{i in I} rel(i) - lambda * C_KL(p, q~(I))

where p is the category distribution of the subject's history, q(I) that of the list,
q~ = (1 - alpha) q + alpha p with alpha = 0.01 (the paper's value, which keeps the
divergence finite), and C_KL(p, q~) = sum_g p(g) log(p(g) / q~(g)). An item with several
categories shares its weight equally among them; items without one carry no category
information. rel is the score min-max normalised over the `pool` best candidates, so
lambda weighs quantities of a comparable scale. lambda = 0 is the plain top-k.

The definitions match `tactful.metrics.miscalibration`, which measures the result.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from tactful.candidates.base import ComponentConfig, IndexArray
from tactful.errors import InvalidInput
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

ALPHA = 0.01


class CalibrationConfig(ComponentConfig):
    lambda_: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of calibration against relevance (0: top-k)"
    )
    pool: int = Field(100, ge=1, description="how many of the best candidates are re-ranked")


def shares(flags: Float64Array) -> Float64Array:
    """p(g|i): each item's weight shared equally among its categories (0 rows stay 0)."""
    counts = flags.sum(axis=1, keepdims=True)
    out: Float64Array = np.divide(flags, counts, out=np.zeros_like(flags), where=counts > 0)
    return out


def history_distribution(flags: Float64Array, history: IndexArray) -> Float64Array:
    """p(g|u) over the history's items, each counted once; all zeros when none has a category."""
    items = np.unique(history)
    mass: Float64Array = shares(flags[items]).sum(axis=0)
    total = float(mass.sum())
    return mass / total if total > 0 else mass


def calibrate(
    scores: object,
    categories: Categories,
    k: int,
    config: CalibrationConfig,
    history: object,
    exclude: BoolArray | None = None,
) -> IndexArray:
    """The k columns chosen greedily for relevance and calibration to `history`.

    `history` holds the column indices of the subject's items. With no history item that
    has a category there is nothing to calibrate to, and the result is the plain top-k.
    """
    values, mask = check_scores(scores, exclude)
    k = check_k(k, config.pool)
    flags = category_flags(categories, len(values))
    seen = np.asarray(history, dtype=np.int64).ravel()
    if seen.size and (seen.min() < 0 or seen.max() >= len(values)):
        raise InvalidInput("history must hold item column indices within the scores.")
    pool = pool_of(values, config.pool, mask)
    p = history_distribution(flags, seen)
    return choose_calibrated(values, pool, shares(flags[pool]), p, k, config.lambda_)


def choose_calibrated(
    values: Float64Array,
    pool: IndexArray,
    item_shares: Float64Array,
    target: Float64Array,
    k: int,
    lambda_: float,
) -> IndexArray:
    """Steck's greedy choice of k from `pool`: each step adds the candidate that best trades
    (1 - lambda) x relevance against lambda x KL(target || the list's mix).

    `item_shares` is p(g|i) for the pool's items (pool x groups); `target` is p(g|u) over
    the same groups, all zeros meaning no target (then the plain ranking of the pool).
    """
    weight = 0.0 if target.sum() == 0 else lambda_
    relevance = min_max(values[pool])
    has_category = item_shares.sum(axis=1) > 0
    support = target > 0
    p_s = target[support]
    mass = np.zeros(int(support.sum()))  # sum of chosen items' shares on p's support
    count = 0.0  # chosen items with a category
    total = 0.0
    chosen: list[int] = []
    taken = np.zeros(len(pool), dtype=np.bool_)
    for _ in range(min(k, len(pool))):
        counts = count + has_category  # per candidate, the list's category mass with it
        q = np.divide(
            mass[None, :] + item_shares[:, support],
            counts[:, None],
            out=np.zeros((len(pool), len(p_s))),
            where=counts[:, None] > 0,
        )
        q_tilde = (1.0 - ALPHA) * q + ALPHA * p_s[None, :]
        kl = (p_s[None, :] * np.log(p_s[None, :] / q_tilde)).sum(axis=1) if p_s.size else 0.0
        gain = (1.0 - weight) * (total + relevance) - weight * kl
        gain = np.where(taken, -np.inf, gain)
        best = int(np.argmax(gain))  # first maximum: the better-ranked candidate
        chosen.append(best)
        taken[best] = True
        total += float(relevance[best])
        mass = mass + item_shares[best, support]
        count += float(has_category[best])
    return pool[np.array(chosen, dtype=np.int64)]
