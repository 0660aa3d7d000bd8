"""Train/test splits, replicating Microsoft Recommenders' `python_stratified_split`.

Published MovieLens figures (the Recommenders benchmark notebook) come from
``python_stratified_split(df, ratio=0.75, min_rating=1, filter_by=..., seed=42)``. To compare
with them, the split must select the very same rows. This module re-implements, without
pandas, the version of that function under ``reco_utils/dataset/python_splitters.py``
(Recommenders up to 2021, the era of the published table), which works like this:

1. ``process_split_ratio(0.75)`` turns the ratio into ``[0.75, 0.25]``.
2. ``data.groupby(col)`` forms one group per user (``filter_by="user"``) or per item
   (``filter_by="item"``). Groups are visited in sorted key order and each group keeps its
   rows in the original file order.
3. Each group goes through ``split_pandas_data_with_ratios(group, [0.75, 0.25], shuffle=True,
   seed=seed)``: ``group.sample(frac=1, random_state=seed)`` shuffles it. pandas turns
   ``random_state=seed`` into a fresh ``np.random.RandomState(seed)`` and draws
   ``choice(n, size=n, replace=False)``, which for the legacy generator is exactly
   ``RandomState(seed).permutation(n)``. Every group is shuffled with the SAME seed, so two
   groups of equal size get the same permutation.
4. The shuffled group is cut with ``np.split(group, [round(0.75 * n)])``: the split index is
   ``np.cumsum(ratios).tolist()[:-1]`` times the group length, passed to Python's ``round``
   (round half to even: 1.5 -> 2, 2.5 -> 2, 4.5 -> 4). ``0.75 * n`` is exact in binary
   floating point, so halves really are halves. The first ``round(0.75 * n)`` shuffled rows
   are training rows, the rest test rows.
5. The parts of all groups are concatenated; row order does not change which rows are in
   which part, so here the result is given as row indices in ascending order.

Later Recommenders releases vectorised the function (one ``np.random.rand`` draw over the
whole frame, then a sort and a per-group rank), which selects different rows for the same
seed; that version is not what this module replicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.errors import FieldError, InvalidInput

IndexArray = npt.NDArray[np.int64]
StratifyBy = Literal["user", "item"]


@dataclass(frozen=True, slots=True)
class RowSplit:
    """Row indices (ascending) of the training part and of the test part."""

    train: IndexArray
    test: IndexArray


def train_count(n: int, ratio: float) -> int:
    """How many of a group's `n` rows go to training: Python's ``round(ratio * n)``."""
    return round(ratio * n)


def stratified_split(
    users: npt.ArrayLike,
    items: npt.ArrayLike,
    ratio: float = 0.75,
    seed: int = 42,
    *,
    by: StratifyBy = "user",
) -> RowSplit:
    """Split rows ``(users[r], items[r])`` per user (or per item) as Recommenders does.

    `users` and `items` are parallel arrays in the original row order (the order of the
    rating file); only the column named by `by` decides the groups, the other is checked for
    length. See the module docstring for every step.
    """
    user_arr = np.asarray(users)
    item_arr = np.asarray(items)
    if user_arr.ndim != 1 or user_arr.shape != item_arr.shape:
        raise InvalidInput(
            "users and items must be one-dimensional and of the same length",
            [FieldError("items", f"{item_arr.shape} rows for {user_arr.shape} users")],
        )
    if not 0.0 < ratio < 1.0:
        raise InvalidInput(
            "The split ratio must lie strictly between 0 and 1.",
            [FieldError("ratio", f"{ratio} is not in (0, 1)")],
        )
    if by not in ("user", "item"):
        raise InvalidInput(
            "A split is stratified by user or by item.", [FieldError("by", f"{by!r}")]
        )
    keys = user_arr if by == "user" else item_arr
    return _split_groups(keys, ratio, seed)


def _split_groups(keys: npt.NDArray[Any], ratio: float, seed: int) -> RowSplit:
    n_rows = len(keys)
    if n_rows == 0:
        empty = np.zeros(0, dtype=np.int64)
        return RowSplit(empty, empty.copy())
    # A stable sort keeps each group's rows in their original order (pandas groupby does).
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[starts, n_rows])
    # Position of every row inside its group, and the size of its group.
    position = np.arange(n_rows) - np.repeat(starts, sizes)
    group_size = np.repeat(sizes, sizes)
    is_train_sorted = np.zeros(n_rows, dtype=bool)
    for n in np.unique(sizes):
        # The row at position p lands at shuffled place inverse[p]; it is a training row
        # when that place comes before the cut. Same seed for every group, so one
        # permutation per group size serves them all.
        permutation = np.random.RandomState(seed).permutation(int(n))
        inverse = np.empty(int(n), dtype=np.int64)
        inverse[permutation] = np.arange(int(n))
        rows = group_size == n
        is_train_sorted[rows] = inverse[position[rows]] < train_count(int(n), ratio)
    is_train = np.empty(n_rows, dtype=bool)
    is_train[order] = is_train_sorted
    return RowSplit(
        np.flatnonzero(is_train).astype(np.int64), np.flatnonzero(~is_train).astype(np.int64)
    )


def validation_split(
    train: sparse.csr_array, share: float = 0.25, seed: int = 43
) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Carve a validation set out of training data only: ``(fit, validation)`` matrices.

    Each user's stored entries (CSR row order, i.e. by item column) are split with the same
    per-user stratified rule as `stratified_split`, keeping ``round((1 - share) * n)`` for
    fitting. Users with a single entry keep it for fitting and have no validation entry.
    Tuning calls this with a seed different from the test split's.
    """
    if not 0.0 < share < 1.0:
        raise InvalidInput(
            "The validation share must lie strictly between 0 and 1.",
            [FieldError("validation_share", f"{share} is not in (0, 1)")],
        )
    matrix = sparse.csr_array(train)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    split = stratified_split(rows, matrix.indices, ratio=1.0 - share, seed=seed, by="user")

    def part(index: IndexArray) -> sparse.csr_array:
        return sparse.csr_array(
            (matrix.data[index], (rows[index], matrix.indices[index])), shape=matrix.shape
        )

    return part(split.train), part(split.test)
