"""An exploration share: a few places in the list go to items the ranking would never show.

Without it a recommender only ever shows what it already believes in, and its beliefs never
meet evidence against them. A share of the k places, round(share * k) (halves up, at most
k), is drawn uniformly from the long tail of the subject's own ranking: the scored items
ranked at `tail_from` or below (and never within the top k). The draw uses a seeded
generator, so a given seed always gives the same list. The explored items follow the top
items and are marked, so an explanation can say they were shown to widen the choices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from tactful.candidates.base import ComponentConfig, IndexArray
from tactful.reranking import BoolArray, check_k, check_scores, pool_of

REASON = "shown to widen your choices"


class ExplorationConfig(ComponentConfig):
    share: float = Field(0.1, ge=0.0, le=1.0, description="share of the list left to exploration")
    seed: int = Field(0, ge=0, description="seed of the draw, so a list can be reproduced")
    tail_from: int = Field(
        100, ge=1, description="rank (0-based) from which an item counts as the long tail"
    )


@dataclass(frozen=True, slots=True)
class Explored:
    """The list, best first, and for each of its items whether it was explored."""

    items: IndexArray
    explored: BoolArray


def explored_count(share: float, k: int) -> int:
    """round(share * k), halves rounded up, at most k."""
    return min(k, math.floor(share * k + 0.5))


def explore(
    scores: object,
    k: int,
    config: ExplorationConfig,
    exclude: BoolArray | None = None,
) -> Explored:
    """The top k - n items, then n items drawn from the tail; n = `explored_count`.

    When the tail holds fewer than n items, it is used whole and the list is topped up
    from the ranking, so the list is never shorter than top_k's.
    """
    values, mask = check_scores(scores, exclude)
    k = check_k(k)
    ranking = pool_of(values, len(values), mask)  # every available item, best first
    wanted = explored_count(config.share, k)
    tail = ranking[max(config.tail_from, k) :]
    n_explore = min(wanted, len(tail))
    head = ranking[: k - n_explore]  # exactly top_k(scores, k - n, exclude)
    rng = np.random.default_rng(config.seed)
    drawn = rng.choice(tail, size=n_explore, replace=False) if n_explore else tail[:0]
    items = np.concatenate([head, drawn.astype(np.int64)])
    flags = np.concatenate([np.zeros(len(head), np.bool_), np.ones(n_explore, np.bool_)])
    return Explored(items, flags)
