"""Which re-ranker a surface uses, configured per surface, applied after the guardrails.

`TACTFUL_SURFACE_RERANKERS` maps a surface to `{"kind": ..., ...config}`, kind one of
`CONFIGS`; a surface not named takes the plain top k. The guardrails' exclusions are
passed in, so nothing a filter held back can come back through a re-ranker.

The fairness re-rankers read more about each model column than its category: its provider
and its popularity (`ColumnFacts`, built once per model version and catalog by
`ColumnCache`, so a decision never scans the catalog). Popularity is the popular model's
score for the item: how many shoppers interacted with it (or the sum of their signals,
as that model is configured), 0 for an item it never saw.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from tactful.candidates.base import ComponentConfig, FloatArray, History, IndexArray, top_k
from tactful.errors import FieldError, InvalidInput
from tactful.metrics import long_tail_mask
from tactful.pipeline.models import ModelHandle
from tactful.reranking import BoolArray, Float64Array, make_config
from tactful.reranking.calibration import CalibrationConfig, calibrate
from tactful.reranking.exploration import ExplorationConfig, explore
from tactful.reranking.fair_exposure import FairConfig, fair_rerank
from tactful.reranking.group_calibration import (
    GroupCalibrationConfig,
    group_calibrate,
    popularity_bands,
)
from tactful.reranking.mmr import MMRConfig, mmr
from tactful.reranking.popularity import PopularityDebiasConfig, debias_popularity


class FairExposureSurface(FairConfig):
    protected_providers: tuple[str, ...] = Field(
        min_length=1, description="the providers whose items form the protected group"
    )


class PopularityDebiasSurface(PopularityDebiasConfig):
    head_share: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="share of all interactions the popular head takes; the rest is the long tail",
    )


class GroupCalibrationSurface(GroupCalibrationConfig):
    groups: Literal["popularity", "provider"] = Field(
        "popularity",
        description="`popularity`: head, mid and tail bands (20% of interactions each end); "
        "`provider`: the item's provider",
    )


CONFIGS: dict[str, type[ComponentConfig]] = {
    "mmr": MMRConfig,
    "calibrated": CalibrationConfig,
    "exploration": ExplorationConfig,
    "fair_exposure": FairExposureSurface,
    "popularity_debiased": PopularityDebiasSurface,
    "group_calibrated": GroupCalibrationSurface,
}
WHAT_IT_DOES = {
    "mmr": "mixes relevance with variety: an item much like those already in the list "
    "ranks lower (maximal marginal relevance)",
    "calibrated": "makes the list's mix of categories follow the mix of your history "
    "(calibrated recommendations, Steck 2018)",
    "exploration": "leaves a share of the list to items from outside your usual top picks, "
    "each marked as such",
    "fair_exposure": "makes sure items from the providers the shop protects are never too "
    "few at any point of the list, measured against a minimum share (FA*IR, Zehlike et al. "
    "2017)",
    "popularity_debiased": "makes room for less popular items as far as your history shows "
    "you like them, and for popular ones as far as it shows you like those (popularity "
    "de-biasing, Abdollahpouri et al. 2019)",
    "group_calibrated": "makes the list's mix of providers or of popular and less popular "
    "items follow your history, the catalog's own mix, or a blend of the two",
}
# Kinds that read a column's provider or popularity (`ColumnFacts`), not only its category.
COLUMN_KINDS = frozenset({"fair_exposure", "popularity_debiased", "group_calibrated"})
_POOLED = (
    MMRConfig,
    CalibrationConfig,
    FairConfig,
    PopularityDebiasConfig,
    GroupCalibrationConfig,
)


@dataclass(frozen=True, eq=False)
class ColumnFacts:
    """Per column of one model: category, provider and popularity, and what follows from them.

    Built once per model version and catalog (`ColumnCache`) and handed to the decision
    in `DecisionContext.columns`.
    """

    categories: IndexArray
    providers: IndexArray  # provider code per column, -1 for an item gone from the catalog
    provider_codes: Mapping[str, int]
    popularity: Float64Array
    _derived: dict[object, Any] = field(default_factory=dict, repr=False)

    def protected(self, names: Iterable[str]) -> BoolArray:
        """The columns whose provider is one of `names`."""
        key = ("protected", frozenset(names))
        found = self._derived.get(key)
        if found is None:
            codes = [self.provider_codes[n] for n in key[1] if n in self.provider_codes]
            found = self._derived[key] = np.isin(self.providers, codes)
        mask: BoolArray = found
        return mask

    def long_tail(self, head_share: float) -> BoolArray:
        key = ("long_tail", head_share)
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = long_tail_mask(self.popularity, head_share)
        mask: BoolArray = found
        return mask

    def bands(self) -> IndexArray:
        found = self._derived.get("bands")
        if found is None:
            found = self._derived["bands"] = popularity_bands(self.popularity)
        bands: IndexArray = found
        return bands


def column_facts(
    model: ModelHandle,
    popular: ModelHandle,
    catalog: Mapping[str, Any],
    categories: IndexArray,
) -> ColumnFacts:
    """The facts of `model`'s columns: providers from the catalog, popularity from `popular`."""
    providers = category_columns(model.item_ids, {i: item.provider for i, item in catalog.items()})
    codes: dict[str, int] = {}
    for item_id, code in zip(model.item_ids, providers.tolist(), strict=True):
        if code >= 0:
            codes.setdefault(catalog[item_id].provider, code)
    fixed = popular.fixed_ranking
    raw = fixed.scores if fixed is not None else popular.recommender.score(History.empty())
    counts: Float64Array = np.asarray(raw, dtype=np.float64)
    counts = np.where(np.isfinite(counts) & (counts > 0), counts, 0.0)
    if model.item_ids != popular.item_ids:
        counts = counts if counts.size else np.zeros(1)
        cols = np.fromiter((popular.index.get(i, -1) for i in model.item_ids), dtype=np.int64)
        counts = np.where(cols >= 0, counts[np.maximum(cols, 0)], 0.0)
    return ColumnFacts(categories, providers, codes, counts)


class ColumnCache:
    """`ColumnFacts` per model version, kept while the catalog (and its category array) stays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts: dict[tuple[str, str], ColumnFacts] = {}

    def facts(
        self,
        model: ModelHandle,
        popular: ModelHandle,
        catalog: Mapping[str, Any],
        categories: IndexArray,
    ) -> ColumnFacts:
        key = (model.version, popular.version)
        found = self._facts.get(key)
        if found is None or found.categories is not categories:
            found = column_facts(model, popular, catalog, categories)
            with self._lock:
                if len(self._facts) > 16:
                    self._facts.clear()
                self._facts[key] = found
        return found


@dataclass(frozen=True)
class SurfaceRanker:
    kind: str
    config: ComponentConfig

    @property
    def needs_columns(self) -> bool:
        """Whether `rank` needs the columns' providers and popularity (`ColumnFacts`)."""
        return self.kind in COLUMN_KINDS

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
        columns: ColumnFacts | None = None,
    ) -> tuple[IndexArray, frozenset[int]]:
        """The chosen columns, best first, and those chosen to explore.

        `columns` are the facts of the model's columns, which the kinds in COLUMN_KINDS
        need; without them those kinds rank by score alone (the plain top k).
        """
        config = self.config
        if isinstance(config, _POOLED) and config.pool < k:
            config = config.model_copy(update={"pool": k})
        if isinstance(config, MMRConfig):
            return mmr(scores, categories, k, config, exclude), frozenset()
        if isinstance(config, CalibrationConfig):
            return calibrate(scores, categories, k, config, history, exclude), frozenset()
        if self.needs_columns:
            return self._fair(config, columns, scores, k, exclude, history), frozenset()
        assert isinstance(config, ExplorationConfig)
        # The same list all day for one person (a refresh does not reshuffle it), another
        # draw the next day.
        seed = zlib.crc32(f"{subject_id}|{now:%Y-%m-%d}|{config.seed}".encode())
        found = explore(scores, k, config.model_copy(update={"seed": seed}), exclude)
        explored = frozenset(int(c) for c, e in zip(found.items, found.explored, strict=True) if e)
        return found.items, explored

    @staticmethod
    def _fair(
        config: ComponentConfig,
        facts: ColumnFacts | None,
        scores: FloatArray,
        k: int,
        exclude: npt.NDArray[np.bool_],
        history: IndexArray,
    ) -> IndexArray:
        if facts is None or len(facts.categories) != len(scores):
            return top_k(scores, k, exclude)
        if isinstance(config, FairExposureSurface):
            protected = facts.protected(config.protected_providers)
            return fair_rerank(scores, protected, k, config, exclude)
        if isinstance(config, PopularityDebiasSurface):
            tail = facts.long_tail(config.head_share)
            return debias_popularity(scores, tail, k, config, history, exclude)
        assert isinstance(config, GroupCalibrationSurface)
        groups = facts.bands() if config.groups == "popularity" else facts.providers
        return group_calibrate(scores, groups, k, config, history, exclude)


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
