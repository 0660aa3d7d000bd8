"""Which re-ranker a surface uses, configured per surface, applied after the guardrails.

`TACTFUL_SURFACE_RERANKERS` maps a surface to `{"kind": "mmr" | "calibrated" |
"exploration", ...config}`; a surface not named takes the plain top k. The guardrails'
exclusions are passed in, so nothing a filter held back can come back through a re-ranker.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from tactful.candidates.base import ComponentConfig, FloatArray, IndexArray
from tactful.errors import FieldError, InvalidInput
from tactful.reranking import make_config
from tactful.reranking.calibration import CalibrationConfig, calibrate
from tactful.reranking.exploration import ExplorationConfig, explore
from tactful.reranking.mmr import MMRConfig, mmr

CONFIGS: dict[str, type[ComponentConfig]] = {
    "mmr": MMRConfig,
    "calibrated": CalibrationConfig,
    "exploration": ExplorationConfig,
}
WHAT_IT_DOES = {
    "mmr": "mixes relevance with variety: an item much like those already in the list "
    "ranks lower (maximal marginal relevance)",
    "calibrated": "makes the list's mix of categories follow the mix of your history "
    "(calibrated recommendations, Steck 2018)",
    "exploration": "leaves a share of the list to items from outside your usual top picks, "
    "each marked as such",
}


@dataclass(frozen=True)
class SurfaceRanker:
    kind: str
    config: ComponentConfig

    def describe(self) -> dict[str, Any]:
        return {
            "re_ranker": self.kind,
            "what_it_does": WHAT_IT_DOES[self.kind],
            "config": self.config.model_dump(mode="json"),
        }

    def rank(
        self,
        scores: FloatArray,
        categories: npt.NDArray[np.int64],
        k: int,
        exclude: npt.NDArray[np.bool_],
        history: IndexArray,
        subject_id: str,
        now: datetime,
    ) -> tuple[IndexArray, frozenset[int]]:
        """The chosen columns, best first, and those chosen to explore."""
        config = self.config
        if isinstance(config, MMRConfig | CalibrationConfig) and config.pool < k:
            config = config.model_copy(update={"pool": k})
        if isinstance(config, MMRConfig):
            return mmr(scores, categories, k, config, exclude), frozenset()
        if isinstance(config, CalibrationConfig):
            return calibrate(scores, categories, k, config, history, exclude), frozenset()
        assert isinstance(config, ExplorationConfig)
        # The same list all day for one person (a refresh does not reshuffle it), another
        # draw the next day.
        seed = zlib.crc32(f"{subject_id}|{now:%Y-%m-%d}|{config.seed}".encode())
        found = explore(scores, k, config.model_copy(update={"seed": seed}), exclude)
        explored = frozenset(int(c) for c, e in zip(found.items, found.explored, strict=True) if e)
        return found.items, explored


def surface_rankers(spec: Mapping[str, Mapping[str, Any]]) -> dict[str, SurfaceRanker]:
    """Validate the per-surface configuration; InvalidInput names what is wrong."""
    out: dict[str, SurfaceRanker] = {}
    errors: list[FieldError] = []
    for surface, values in spec.items():
        kind = values.get("kind")
        if kind not in CONFIGS:
            errors.append(
                FieldError(f"{surface}.kind", f"must be one of: {', '.join(sorted(CONFIGS))}")
            )
            continue
        settings = {k: v for k, v in values.items() if k != "kind"}
        try:
            out[surface] = SurfaceRanker(str(kind), make_config(CONFIGS[str(kind)], settings))
        except InvalidInput as exc:
            errors += [FieldError(f"{surface}.{e.field}", e.message) for e in exc.errors]
    if errors:
        raise InvalidInput("TACTFUL_SURFACE_RERANKERS is invalid.", errors)
    return out


def category_columns(item_ids: Sequence[str], categories: Mapping[str, str]) -> IndexArray:
    """Per model column, the index of its item's category (-1 when the item is gone)."""
    codes: dict[str, int] = {}
    out = np.full(len(item_ids), -1, dtype=np.int64)
    for col, item_id in enumerate(item_ids):
        category = categories.get(item_id)
        if category is not None:
            out[col] = codes.setdefault(category, len(codes))
    return out


def category_codes(
    columns: IndexArray,
    item_ids: Sequence[str],
    catalog: Mapping[str, Any],
    categories: frozenset[str],
) -> IndexArray:
    """The codes `category_columns` gave to these category names (absent ones left out)."""
    codes = {
        catalog[item_id].category: int(code)
        for item_id, code in zip(item_ids, columns, strict=True)
        if code >= 0 and item_id in catalog
    }
    return np.array(sorted(codes[c] for c in categories if c in codes), dtype=np.int64)
