"""What one person can change in a release, bounded before anything is counted.

Each contributor counts at most `max_items` distinct items: their strongest signals, ties
broken by a fixed hash of (contributor id, item id), so the choice is deterministic without
favouring any part of the catalog, and depends on nobody else: adding or removing one
person changes no other person's choice (which the sensitivity below relies on). They
count once in their cohort's size and once in the population's.

The released vector holds one block per candidate cohort, then one for the population;
each block is the item counts (of the public candidate items, `privacy.public`) followed by
the size, the size multiplied by `size_weight`.
A contributor in a cohort changes their cohort's block by at most `max_items + size_weight`
and the population's by as much again, so the vector's L1 sensitivity is
`2 * (max_items + size_weight)`: that is the `d_in` OpenDP is given. The cohorts are
disjoint, so releasing all of them costs no more than releasing one (parallel
composition); the population block is the second, sequential, release over the same
people, paid for within the same sensitivity.

Weighting the sizes divides the budget: a size counted `w` times gets noise `w` times
smaller relative to it, so the sizes, on which the k-threshold is decided, get a share
`w / (max_items + w)` of the epsilon (a fifth with the default weight, `max_items / 4`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]


def size_weight(max_items: int) -> int:
    """How many times a size counts in the released vector (a fifth of the budget)."""
    return max(1, math.ceil(max_items / 4))


def sensitivity(max_items: int, weight: int, cohorts: int) -> int:
    """The L1 distance one contributor can make in the whole released vector."""
    per_block = max_items + weight
    return 2 * per_block if cohorts else per_block


def stable_keys(ids: Iterable[object]) -> npt.NDArray[np.uint64]:
    """A fixed 64-bit key per id (BLAKE2b of its text), the same in every run."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=8).digest(), "little")
            for i in ids
        ),
        dtype=np.uint64,
    )


def bound_contributions(
    matrix: sparse.csr_array,
    max_items: int,
    row_keys: npt.NDArray[np.uint64],
    col_keys: npt.NDArray[np.uint64],
) -> sparse.csr_array:
    """At most `max_items` distinct items per row: the strongest, ties broken by a hash of
    the row's and the column's keys (`stable_keys` of the subject and item ids)."""
    coo = sparse.coo_array(matrix)
    coo.sum_duplicates()
    rows = np.asarray(coo.coords[0], dtype=np.int64)
    cols = np.asarray(coo.coords[1], dtype=np.int64)
    weights = np.asarray(coo.data, dtype=np.float64)
    order = np.lexsort((_mix(row_keys[rows], col_keys[cols]), -weights, rows))
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - starts) < max_items
    ones = np.ones(int(keep.sum()), dtype=np.int64)
    return sparse.csr_array((ones, (rows[keep], cols[keep])), shape=matrix.shape)


def _mix(rows: npt.NDArray[np.uint64], cols: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A fixed pseudo-random order of the cells (splitmix64 of the two keys)."""
    with np.errstate(over="ignore"):
        x = rows * np.uint64(0x9E3779B97F4A7C15) + cols
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each block and each size sits in the released vector."""

    cohorts: int
    items: int
    weight: int

    @property
    def block(self) -> int:
        return self.items + 1

    @property
    def length(self) -> int:
        return (self.cohorts + 1) * self.block

    def counts(self, bounded: sparse.csr_array, segment: IntArray) -> IntArray:
        """The true vector: `bounded` rows (0/1) counted in their cohort (`segment[row]`,
        -1 for none) and in the population."""
        vector = np.zeros(self.length, dtype=np.int64)
        segment = np.asarray(segment, dtype=np.int64)
        coo = sparse.coo_array(bounded)
        rows = np.asarray(coo.coords[0], dtype=np.int64)
        cols = np.asarray(coo.coords[1], dtype=np.int64)
        population = self.cohorts * self.block
        np.add.at(vector, population + cols, 1)
        in_cohort = segment[rows] >= 0
        np.add.at(vector, segment[rows[in_cohort]] * self.block + cols[in_cohort], 1)
        contributing = np.flatnonzero(np.diff(bounded.indptr) > 0)
        vector[population + self.items] = self.weight * len(contributing)
        of = segment[contributing]
        sizes = np.bincount(of[of >= 0], minlength=self.cohorts)
        vector[np.arange(self.cohorts) * self.block + self.items] = self.weight * sizes
        return vector

    def split(self, noisy: IntArray) -> tuple[IntArray, IntArray, IntArray, int]:
        """Post-processing: (cohort item counts, cohort sizes, population counts, population
        size), counts clipped at 0, sizes divided by the weight and rounded."""
        blocks = noisy.reshape(self.cohorts + 1, self.block)
        counts = np.clip(blocks[:, : self.items], 0, None)
        sizes = np.clip(np.rint(blocks[:, self.items] / self.weight), 0, None).astype(np.int64)
        return counts[:-1], sizes[:-1], counts[-1], int(sizes[-1])
