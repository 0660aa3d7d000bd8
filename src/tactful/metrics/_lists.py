"""Checks and conversions shared by the metric modules.

A recommendation table is an integer array of shape (n_users, k): item column indices,
best first, padded at the end with -1 where a list is shorter than k. Every metric in
`tactful.metrics` validates it here, so they all reject the same things: a table that is
not 2-D or not integer, an index outside [-1, n_items), an item after a -1 pad, and an item
listed twice in one list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

PAD = -1


def check_recommended(recommended: object, n_items: int) -> IndexArray:
    """The recommendation table as int64, after checking it against a catalog of n_items."""
    table = np.asarray(recommended)
    if table.ndim != 2:
        raise InvalidInput(
            f"recommended must be a 2-D array (users x list positions), got {table.ndim}-D."
        )
    if table.dtype == np.bool_ or not np.issubdtype(table.dtype, np.integer):
        raise InvalidInput(f"recommended must hold integer item indices, got {table.dtype}.")
    out = table.astype(np.int64, copy=False)
    if out.size == 0:
        return out
    if int(out.min()) < PAD or int(out.max()) >= n_items:
        raise InvalidInput(f"Recommended item indices must lie in [0, {n_items}) or be -1.")
    valid = out != PAD
    # Padding only at the end: once a row has a -1, nothing valid may follow.
    if out.shape[1] > 1 and np.any(valid[:, 1:] & ~valid[:, :-1]):
        raise InvalidInput("A recommendation list has an item after a -1 pad; pad at the end.")
    ordered = np.sort(out, axis=1)
    if out.shape[1] > 1 and np.any((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] != PAD)):
        raise InvalidInput("A recommendation list names the same item more than once.")
    return out


def check_sparse(matrix: object, name: str) -> sparse.csr_array:
    """A 2-D sparse matrix as a float64 CSR copy in canonical form (sorted, no duplicates)."""
    if not sparse.issparse(matrix):
        raise InvalidInput(f"{name} must be a scipy.sparse matrix, got {type(matrix).__name__}.")
    source = cast(sparse.csr_array, matrix)
    if source.ndim != 2:
        raise InvalidInput(f"{name} must be 2-D.")
    csr = sparse.csr_array(source).astype(np.float64)  # astype copies
    csr.sum_duplicates()  # also sorts the column indices of each row
    if not np.all(np.isfinite(csr.data)):
        raise InvalidInput(f"{name} must hold finite values.")
    return csr


def positive_indicator(csr: sparse.csr_array) -> sparse.csr_array:
    """1.0 where the entry of a canonical CSR matrix is > 0, nothing elsewhere (canonical)."""
    out = csr.copy()
    out.data = (out.data > 0).astype(np.float64)
    out.eliminate_zeros()
    return out


def sorted_keys(keys: IndexArray) -> IndexArray:
    """Keys that should already be ascending (from canonical CSR), sorted if they are not."""
    if keys.size > 1 and np.any(keys[1:] < keys[:-1]):
        return np.sort(keys)
    return keys


def row_of_entries(csr: sparse.csr_array) -> IndexArray:
    """The row index of each stored entry of a CSR matrix, in storage order."""
    counts = np.diff(csr.indptr).astype(np.int64)
    return np.repeat(np.arange(csr.shape[0], dtype=np.int64), counts)


def list_indicator(recommended: IndexArray, n_items: int) -> sparse.csr_array:
    """A (n_users, n_items) CSR matrix with 1.0 for every (user, listed item)."""
    rows = np.broadcast_to(np.arange(recommended.shape[0])[:, None], recommended.shape)
    valid = recommended != PAD
    return sparse.csr_array(
        (
            np.ones(int(valid.sum()), dtype=np.float64),
            (rows[valid].astype(np.int64), recommended[valid]),
        ),
        shape=(recommended.shape[0], n_items),
    )


def check_vector(values: object, name: str) -> FloatArray:
    """A 1-D float64 array of finite values."""
    out = np.asarray(values, dtype=np.float64)
    if out.ndim != 1:
        raise InvalidInput(f"{name} must be a 1-D array, got {out.ndim}-D.")
    if not np.all(np.isfinite(out)):
        raise InvalidInput(f"{name} must hold finite values.")
    return out


def nanmean(values: FloatArray) -> float:
    """The mean of the non-NaN values; NaN (without a warning) when there are none."""
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else math.nan


def check_per_user(per_user: Mapping[str, object]) -> dict[str, FloatArray]:
    """Every metric as a 1-D float64 array, all of one length."""
    out: dict[str, FloatArray] = {}
    length: int | None = None
    for name, values in per_user.items():
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise InvalidInput(f"Per-user values of {name!r} must be 1-D, got {array.ndim}-D.")
        if length is not None and len(array) != length:
            raise InvalidInput("Every per-user metric must have one value per user.")
        length = len(array)
        out[str(name)] = array
    return out
