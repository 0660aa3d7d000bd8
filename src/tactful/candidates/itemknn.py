"""Item-based k-nearest neighbours: "people who took this also took that".

Training computes the cosine similarity between the item columns of the interaction matrix,
optionally shrunk towards zero for items with little support, and keeps each item's
`neighbors` most similar items (positive similarities only) as a sparse CSR matrix `sim`.
A history scores item j as the sum over its entries of `weight * sim[h, j]`, so every score
decomposes into per-history-item contributions, which is what `because` reports.
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

# Similarity rows are computed densely this many cells at a time (float64: 64 MiB).
_BLOCK_CELLS = 8_000_000


class ItemKNNConfig(ComponentConfig):
    neighbors: int = Field(
        50, ge=1, description="How many most similar items each item keeps as neighbours."
    )
    shrinkage: float = Field(
        0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Added to the cosine denominator; damps similarities with little support.",
    )
    binarize: bool = Field(
        True,
        description="Treat every positive interaction as 1 (in training and in histories); "
        "other entries are ignored. When false, the weights are used as they are.",
    )


class ItemKNNRecommender(Recommender[ItemKNNConfig]):
    """Cosine item-item neighbourhood model over the interaction matrix."""

    name = "itemknn"
    config_type = ItemKNNConfig
    search_space = MappingProxyType(
        {"neighbors": (20, 50, 100, 200), "shrinkage": (0.0, 10.0, 50.0)}
    )
    summary = (
        "Recommends items often chosen by the same people as the items in your history "
        "(people who chose this also chose that); learned from the activity all shoppers "
        "consented to."
    )

    def __init__(self, config: ItemKNNConfig | None = None) -> None:
        super().__init__(config if config is not None else ItemKNNConfig())
        self._sim: sparse.csr_array | None = None

    def parameters(self) -> list[tuple[str, str]]:
        n = self.config.neighbors
        if self.config.shrinkage == 0:
            damping = "none: similarity is taken as measured, however few people chose both items"
        else:
            damping = (
                f"{plain_value(self.config.shrinkage)}: similarities between items few people "
                "chose are toned down"
            )
        return [
            (
                "Neighbours considered",
                f"the {n} most similar items" if n > 1 else "the most similar item",
            ),
            ("Damping of rarely shared items", damping),
            ("How your history counts", plain_history_weighting(self.config.binarize)),
        ]

    def counts_signal_strength(self) -> bool:
        return not self.config.binarize

    # -- training ---------------------------------------------------------------------
    def fit(self, interactions: Interactions) -> Self:
        x = training_matrix(interactions, binarize=self.config.binarize)
        n_items = interactions.n_items
        xt = sparse.csr_array(x.T)  # items x subjects
        norms = np.sqrt(np.asarray(xt.multiply(xt).sum(axis=1), dtype=np.float64).ravel())
        keep = min(self.config.neighbors, max(n_items - 1, 0))
        block = max(1, _BLOCK_CELLS // max(n_items, 1))
        rows: list[IndexArray] = []
        cols: list[IndexArray] = []
        vals: list[npt.NDArray[np.float64]] = []
        for start in range(0, n_items if keep > 0 else 0, block):
            stop = min(n_items, start + block)
            dots = np.asarray(sparse.csr_array(xt[start:stop] @ x).toarray(), dtype=np.float64)
            denom = norms[start:stop, None] * norms[None, :] + self.config.shrinkage
            sims = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
            local = np.arange(stop - start)
            sims[local, local + start] = 0.0  # an item is not its own neighbour
            chosen = _nearest(sims, keep)
            block_rows, block_cols = np.nonzero(chosen)
            rows.append(block_rows.astype(np.int64) + start)
            cols.append(block_cols.astype(np.int64))
            vals.append(sims[chosen])
        data = np.concatenate(vals).astype(np.float32) if vals else np.zeros(0, np.float32)
        row_ind = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        col_ind = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        sim = sparse.csr_array((data, (row_ind, col_ind)), shape=(n_items, n_items))
        sim.sort_indices()
        self._sim = sim
        self.item_ids = interactions.item_ids.copy()
        return self

    # -- scoring ----------------------------------------------------------------------
    def score(self, history: History) -> FloatArray:
        sim = self._require_sim()
        _, cols, vals = self._contributions(sim, history)
        out = np.bincount(cols, weights=vals, minlength=sim.shape[1])
        return out.astype(np.float32)

    def score_batch(self, histories: sparse.csr_array) -> npt.NDArray[np.float32]:
        sim = self._require_sim()
        if histories.shape[1] != sim.shape[0]:
            raise InvalidInput(
                f"Histories have {histories.shape[1]} item columns; the model knows "
                f"{sim.shape[0]} items."
            )
        h = sparse.csr_array(histories.astype(np.float32))  # astype copies
        if self.config.binarize:
            h.data = (h.data > 0).astype(np.float32)
        return np.asarray(sparse.csr_array(h @ sim).toarray(), dtype=np.float32)

    def because(self, history: History, item: int) -> int | None:
        sim = self._require_sim()
        if not 0 <= item < sim.shape[1]:
            raise InvalidInput(f"Item index {item} is outside the catalog of {sim.shape[1]}.")
        owners, cols, vals = self._contributions(sim, history)
        hit = cols == item
        per_entry = np.bincount(owners[hit], weights=vals[hit], minlength=len(history))
        return largest_positive(history.items, per_entry.astype(np.float64))

    def because_many(self, history: History, items: IndexArray) -> list[int | None]:
        sim = self._require_sim()
        cols = checked_columns(items, sim.shape[1])
        h_items, weights = checked_history(history, sim.shape[0], binarize=self.config.binarize)
        block = sim[h_items][:, cols].toarray().astype(np.float64)
        return largest_positive_per_column(h_items, weights.astype(np.float64)[:, None] * block)

    def _contributions(
        self, sim: sparse.csr_array, history: History
    ) -> tuple[IndexArray, IndexArray, npt.NDArray[np.float64]]:
        """Every nonzero `weight * sim[h, j]`: (position in history, j, value)."""
        items, weights = checked_history(history, sim.shape[0], binarize=self.config.binarize)
        # Gather first, convert after: converting the whole matrix would cost O(nnz).
        starts = sim.indptr[items].astype(np.int64)
        lengths = sim.indptr[items + 1].astype(np.int64) - starts
        total = int(lengths.sum())
        # Positions of all the selected rows' entries in `sim.data`, row after row.
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
        owners = np.repeat(np.arange(len(items), dtype=np.int64), lengths)
        cols = sim.indices[offsets].astype(np.int64)
        vals = sim.data[offsets].astype(np.float64) * np.repeat(weights, lengths)
        return owners, cols, vals

    # -- persistence ------------------------------------------------------------------
    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        sim = self._require_sim()
        return {
            "sim_data": np.asarray(sim.data, dtype=np.float32),
            "sim_indices": np.asarray(sim.indices, dtype=np.int64),
            "sim_indptr": np.asarray(sim.indptr, dtype=np.int64),
        }

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        n_items = self.n_items
        try:
            data = np.asarray(arrays["sim_data"], dtype=np.float32)
            indices = np.asarray(arrays["sim_indices"], dtype=np.int64)
            indptr = np.asarray(arrays["sim_indptr"], dtype=np.int64)
            sim = sparse.csr_array((data, indices, indptr), shape=(n_items, n_items))
            sim.check_format(full_check=True)
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(f"The saved itemknn model is malformed: {exc}") from exc
        sim.sort_indices()
        self._sim = sim

    def _require_sim(self) -> sparse.csr_array:
        if self._sim is None:
            raise ModelNotTrained(f"The {self.name} recommender has not been trained.")
        return self._sim


def _nearest(sims: npt.NDArray[np.float64], keep: int) -> npt.NDArray[np.bool_]:
    """Per row, the `keep` largest positive entries; ties go to the lower column index.

    Selecting by value and then by position (not by `argpartition`, which may break ties
    differently from one machine to another) keeps trained models identical everywhere.
    """
    if keep >= sims.shape[1]:
        return sims > 0
    kth = -np.partition(-sims, keep - 1, axis=1)[:, keep - 1 : keep]
    above = sims > kth
    tied = sims == kth
    room = keep - above.sum(axis=1, keepdims=True)
    chosen: npt.NDArray[np.bool_] = above | (tied & (np.cumsum(tied, axis=1) <= room))
    return chosen & (sims > 0)
