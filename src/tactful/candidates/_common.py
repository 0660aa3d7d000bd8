"""Helpers shared by the item-item recommenders."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.candidates.base import FloatArray, History, IndexArray, Interactions
from tactful.errors import InvalidInput


def training_matrix(interactions: Interactions, *, binarize: bool) -> sparse.csr_array:
    """The interaction matrix as float32 CSR without duplicates, checked and maybe binarized."""
    matrix = interactions.matrix
    if matrix.shape != (len(interactions.subject_ids), interactions.n_items):
        raise InvalidInput("The interaction matrix does not match its subject and item ids.")
    x = sparse.csr_array(matrix.astype(np.float32))  # astype copies
    x.sum_duplicates()
    if not np.all(np.isfinite(x.data)):
        raise InvalidInput("Interaction weights must be finite.")
    if binarize:
        x.data = (x.data > 0).astype(np.float32)
    x.eliminate_zeros()
    return x


def checked_history(
    history: History, n_items: int, *, binarize: bool
) -> tuple[IndexArray, FloatArray]:
    """The history's items and weights, validated against the catalog size."""
    items = np.asarray(history.items, dtype=np.int64)
    weights = np.asarray(history.weights, dtype=np.float32)
    if items.shape != weights.shape or items.ndim != 1:
        raise InvalidInput("A history needs one weight per item.")
    if len(items) and (items.min() < 0 or items.max() >= n_items):
        raise InvalidInput(f"History item indices must lie in [0, {n_items}).")
    if binarize:
        weights = (weights > 0).astype(np.float32)
    return items, weights


def largest_positive(items: IndexArray, per_entry: npt.NDArray[np.float64]) -> int | None:
    """The item whose entries add up to the largest positive amount (lowest index on ties)."""
    if len(items) == 0:
        return None
    unique, inverse = np.unique(items, return_inverse=True)
    per_item = np.bincount(inverse.ravel(), weights=per_entry, minlength=len(unique))
    best = int(np.argmax(per_item))
    return int(unique[best]) if per_item[best] > 0 else None


def largest_positive_per_column(
    items: IndexArray, per_entry: npt.NDArray[np.float64]
) -> list[int | None]:
    """`largest_positive` for each column of `per_entry` (history entries x scored items)."""
    if len(items) == 0:
        return [None] * per_entry.shape[1]
    order = np.argsort(items, kind="stable")
    ordered = items[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    per_item = np.add.reduceat(per_entry[order], starts, axis=0)
    best = np.argmax(per_item, axis=0)  # first maximum: the lowest item index on ties
    top = per_item[best, np.arange(per_item.shape[1])]
    return [
        int(ordered[starts[b]]) if value > 0 else None
        for b, value in zip(best.tolist(), top.tolist(), strict=True)
    ]


def checked_columns(items: IndexArray, n_items: int) -> IndexArray:
    """Item column indices to explain, validated against the catalog size."""
    cols = np.asarray(items, dtype=np.int64).ravel()
    if len(cols) and (cols.min() < 0 or cols.max() >= n_items):
        raise InvalidInput(f"Item indices must lie in [0, {n_items}).")
    return cols
