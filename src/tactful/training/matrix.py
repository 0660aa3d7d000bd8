"""Collect kept signals chunk by chunk as numpy columns; build the CSR matrix once.

Repeated (subject, item) pairs keep their largest weight, as `Interactions.from_triples`
does, and the rows are the subjects with at least one kept signal, in id order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.candidates.base import Interactions

IntArray = npt.NDArray[np.int32]
_INT32_MAX = np.iinfo(np.int32).max


class MatrixBuilder:
    """Accumulates (row, column, weight) chunks over a fixed row and column space."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self._rows: list[IntArray] = []
        self._cols: list[IntArray] = []
        self._weights: list[npt.NDArray[np.float32]] = []

    def add(self, rows: IntArray, cols: IntArray, weights: npt.NDArray[np.float32]) -> None:
        if len(rows):
            self._rows.append(rows.astype(np.int32, copy=False))
            self._cols.append(cols.astype(np.int32, copy=False))
            self._weights.append(weights.astype(np.float32, copy=False))

    def build(self, row_ids: npt.NDArray[np.str_], col_ids: npt.NDArray[np.str_]) -> Interactions:
        """The matrix over the rows that hold a signal; `row_ids[r]` names global row r."""
        key = _ints(self._rows) * self.n_cols + _ints(self._cols)
        weights = np.concatenate(self._weights) if self._weights else np.zeros(0, dtype=np.float32)
        self._rows, self._cols, self._weights = [], [], []
        order = np.argsort(key, kind="stable")
        key = key[order]
        weights = weights[order]
        del order
        starts = _run_starts(key)
        if len(key):
            weights = np.maximum.reduceat(weights, starts)
        key = key[starts]
        rows = key // self.n_cols
        cols = key - rows * self.n_cols
        del key
        first = _run_starts(rows)
        present = rows[first]
        indptr = np.append(first, len(rows))
        index_type = np.int32 if len(rows) <= _INT32_MAX else np.int64
        matrix = sparse.csr_array(
            (weights, cols.astype(index_type), indptr.astype(index_type)),
            shape=(len(present), self.n_cols),
        )
        return Interactions(row_ids[present], col_ids, matrix)


def _ints(parts: list[IntArray]) -> npt.NDArray[np.int64]:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


def _run_starts(sorted_values: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Where each run of equal values starts."""
    if not len(sorted_values):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]]))
