"""EASE: an embarrassingly shallow autoencoder (Steck, WWW 2019).

One closed-form item-item weight matrix: with the Gram matrix G = XᵀX + λI and P = G⁻¹,
B = -P / diag(P) column by column, and diag(B) = 0 so that no item predicts itself. A history
scores item j as the sum over its entries of `weight * B[h, j]`; each entry's term is its
contribution, which is what `because` reports.

B is a dense float32 items-by-items matrix, and training inverts a float64 one: fine for a
catalog of some thousands of items (10,000 items need about 1.2 GB while training).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field
from scipy import sparse

from tactful.candidates._common import (
    checked_columns,
    checked_history,
    largest_positive,
    largest_positive_per_column,
    training_matrix,
)
from tactful.candidates.base import (
    ComponentConfig,
    FloatArray,
    History,
    IndexArray,
    Interactions,
    Recommender,
    plain_history_weighting,
    plain_value,
)
from tactful.errors import InvalidInput, ModelNotTrained


class EASEConfig(ComponentConfig):
    l2: float = Field(
        500.0,
        gt=0.0,
        allow_inf_nan=False,
        description="L2 regularization λ added to the diagonal of the Gram matrix.",
    )
    binarize: bool = Field(
        True,
        description="Treat every positive interaction as 1 (in training and in histories); "
        "other entries are ignored. When false, the weights are used as they are.",
    )


class EASERecommender(Recommender[EASEConfig]):
    """Steck's closed-form linear item-item model."""

    name = "ease"
    config_type = EASEConfig
    search_space = MappingProxyType({"l2": (100.0, 200.0, 300.0, 500.0, 800.0, 1200.0)})
    summary = (
        "Finds items that people with a history like yours also chose, weighing everything "
        "in your history together; learned from the activity all shoppers consented to."
    )

    def __init__(self, config: EASEConfig | None = None) -> None:
        super().__init__(config if config is not None else EASEConfig())
        self._weights: FloatArray | None = None

    def parameters(self) -> list[tuple[str, str]]:
        return [
            (
                "Smoothing",
                f"{plain_value(self.config.l2)}: the higher it is, the more recommendations "
                "follow patterns shared by many shoppers rather than by a few",
            ),
            ("How your history counts", plain_history_weighting(self.config.binarize)),
        ]

    def counts_signal_strength(self) -> bool:
        return not self.config.binarize

    # -- training ---------------------------------------------------------------------
    def fit(self, interactions: Interactions) -> Self:
        x = training_matrix(interactions, binarize=self.config.binarize)
        gram = np.asarray(sparse.csr_array(x.T @ x).toarray(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += self.config.l2
        precision = np.linalg.inv(gram)
        weights = precision / -np.diag(precision)  # B[i, j] = -P[i, j] / P[j, j]
        weights[np.diag_indices_from(weights)] = 0.0
        self._weights = weights.astype(np.float32)
        self.item_ids = interactions.item_ids.copy()
        return self

    # -- scoring ----------------------------------------------------------------------
    def score(self, history: History) -> FloatArray:
        b = self._require_weights()
        items, weights = checked_history(history, b.shape[0], binarize=self.config.binarize)
        return np.asarray(weights @ b[items], dtype=np.float32)

    def score_batch(self, histories: sparse.csr_array) -> npt.NDArray[np.float32]:
        b = self._require_weights()
        if histories.shape[1] != b.shape[0]:
            raise InvalidInput(
                f"Histories have {histories.shape[1]} item columns; the model knows "
                f"{b.shape[0]} items."
            )
        h = sparse.csr_array(histories.astype(np.float32))  # astype copies
        if self.config.binarize:
            h.data = (h.data > 0).astype(np.float32)
        return np.asarray(h @ b, dtype=np.float32)

    def because(self, history: History, item: int) -> int | None:
        b = self._require_weights()
        if not 0 <= item < b.shape[1]:
            raise InvalidInput(f"Item index {item} is outside the catalog of {b.shape[1]}.")
        items, weights = checked_history(history, b.shape[0], binarize=self.config.binarize)
        per_entry = weights.astype(np.float64) * b[items, item]
        return largest_positive(items, per_entry)

    def because_many(self, history: History, items: IndexArray) -> list[int | None]:
        b = self._require_weights()
        cols = checked_columns(items, b.shape[1])
        h_items, weights = checked_history(history, b.shape[0], binarize=self.config.binarize)
        per_entry = weights.astype(np.float64)[:, None] * b[np.ix_(h_items, cols)]
        return largest_positive_per_column(h_items, per_entry)

    # -- persistence ------------------------------------------------------------------
    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {"weights": self._require_weights()}

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        weights = arrays.get("weights")
        if weights is None or weights.shape != (self.n_items, self.n_items):
            raise InvalidInput("The saved EASE model is missing or has the wrong shape.")
        self._weights = np.asarray(weights, dtype=np.float32)

    def _require_weights(self) -> FloatArray:
        if self._weights is None:
            raise ModelNotTrained(f"The {self.name} recommender has not been trained.")
        return self._weights
