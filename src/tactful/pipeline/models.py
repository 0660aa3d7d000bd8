"""A trained recommender together with the version it was saved under."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from tactful.candidates.base import FloatArray, History, IndexArray, Recommender


@dataclass(frozen=True)
class FixedRanking:
    """The scores of a model that ranks alike for everyone, with its columns ranked once.

    `top_k` then only skips excluded columns, and returns exactly what
    `candidates.base.top_k(scores, k, exclude)` does: best first, ties by lower column,
    non-finite scores never.
    """

    scores: FloatArray
    order: IndexArray

    @classmethod
    def of(cls, scores: FloatArray) -> FixedRanking:
        scores = scores.copy()
        scores.flags.writeable = False
        wide = scores.astype(np.float64)
        finite = np.flatnonzero(np.isfinite(wide))
        order = finite[np.lexsort((finite, -wide[finite]))].astype(np.int64)
        order.flags.writeable = False
        return cls(scores, order)

    def top_k(self, k: int, exclude: npt.NDArray[np.bool_]) -> IndexArray:
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        # Few columns are excluded: the first k kept are almost always near the top.
        head = self.order[: 4 * k + 64]
        kept = head[~exclude[head]]
        if len(kept) < k and len(head) < len(self.order):
            kept = self.order[~exclude[self.order]]
        return kept[:k]


@dataclass(frozen=True)
class ModelHandle:
    name: str
    version: str
    recommender: Recommender[Any]
    item_ids: tuple[str, ...]
    index: Mapping[str, int] = field(repr=False)

    @classmethod
    def of(cls, name: str, version: str, recommender: Recommender[Any]) -> ModelHandle:
        ids = tuple(str(i) for i in recommender._require_trained())
        return cls(name, version, recommender, ids, {item: n for n, item in enumerate(ids)})

    @cached_property
    def fixed_ranking(self) -> FixedRanking | None:
        """For a model whose scores ignore the history (popularity), its one ranking."""
        if self.recommender.personal:
            return None
        return FixedRanking.of(self.recommender.score(History.empty()))
