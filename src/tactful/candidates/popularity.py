"""Most-popular items: the same list for everyone, so it needs no personal signal at all.

This is what a subject sees when personalization is off, and the baseline every personal
model has to beat.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field
from scipy import sparse

from tactful.candidates.base import (
    ComponentConfig,
    FloatArray,
    History,
    Interactions,
    Recommender,
)
from tactful.errors import InvalidInput, ModelNotTrained


class PopularityConfig(ComponentConfig):
    weighting: Literal["count", "sum"] = Field(
        "count",
        description="`count`: how many subjects interacted positively with the item; "
        "`sum`: the total of the interaction weights.",
    )


class PopularityRecommender(Recommender[PopularityConfig]):
    """Scores every item by its popularity; the history is ignored."""

    name = "popularity"
    config_type = PopularityConfig
    search_space = MappingProxyType({"weighting": ("count", "sum")})
    personal = False
    summary = (
        "Shows the items most popular with shoppers overall: one list, the same for "
        "everyone, counted from the activity shoppers allowed to be used. It uses no profile "
        "of you."
    )

    def __init__(self, config: PopularityConfig | None = None) -> None:
        super().__init__(config if config is not None else PopularityConfig())
        self._popularity: FloatArray | None = None

    def parameters(self) -> list[tuple[str, str]]:
        if self.config.weighting == "count":
            measure = "the number of shoppers who interacted with the item"
        else:
            measure = "the total strength of all shoppers' signals for the item"
        return [("Popularity measured by", measure)]

    def counts_signal_strength(self) -> bool:
        return self.config.weighting == "sum"

    def fit(self, interactions: Interactions) -> Self:
        matrix = interactions.matrix
        if matrix.shape != (len(interactions.subject_ids), interactions.n_items):
            raise InvalidInput("The interaction matrix does not match its subject and item ids.")
        data = np.asarray(matrix.data, dtype=np.float64)
        if not np.all(np.isfinite(data)):
            raise InvalidInput("Interaction weights must be finite.")
        coo = sparse.coo_array(matrix)
        coo.sum_duplicates()  # one entry per (subject, item), so `count` counts subjects
        cols = np.asarray(coo.coords[1], dtype=np.int64)
        values = np.asarray(coo.data, dtype=np.float64)
        counted = self.config.weighting == "count"
        weights = (values > 0).astype(np.float64) if counted else values
        counts = np.bincount(cols, weights=weights, minlength=interactions.n_items)
        self._popularity = counts.astype(np.float32)
        self.item_ids = interactions.item_ids.copy()
        return self

    def score(self, history: History) -> FloatArray:
        return self._require_popularity().copy()

    def score_batch(self, histories: sparse.csr_array) -> npt.NDArray[np.float32]:
        popularity = self._require_popularity()
        if histories.shape[1] != len(popularity):
            raise InvalidInput(
                f"Histories have {histories.shape[1]} item columns; the model knows "
                f"{len(popularity)} items."
            )
        return np.tile(popularity, (histories.shape[0], 1))

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {"popularity": self._require_popularity()}

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        popularity = arrays.get("popularity")
        if popularity is None or popularity.shape != (self.n_items,):
            raise InvalidInput("The saved popularity model is missing or has the wrong shape.")
        self._popularity = np.asarray(popularity, dtype=np.float32)

    def _require_popularity(self) -> FloatArray:
        if self._popularity is None:
            raise ModelNotTrained(f"The {self.name} recommender has not been trained.")
        return self._popularity
