"""What the matrix-factorization recommenders (ALS, BPR) share: fold-in at request time.

A factor model here keeps item factors only, never a vector per subject. A subject is scored
by folding their history in when the request comes: the ALS user step of Hu, Koren &
Volinsky (2008) solved in closed form against the frozen item factors Y (n x f),

    x = (YᵀY + λI + Yᵀ(C - I)Y)⁻¹ Yᵀ C p,

where p is 1 on the history's items and C holds their confidences c = 1 + alpha·w (1 elsewhere).
`YᵀY + λI` does not depend on the subject, so it is computed once at training time; a fold-in
then costs one f x f solve plus one product over the catalog. Whatever the history no longer
holds (a withdrawn consent, an erased event) has no effect on the very next score.

The score of item i is yᵢᵀx = Σₕ cₕ · yᵢᵀA⁻¹yₕ with A the subject's f x f matrix, so each
history entry's term is its contribution, which `because` reports (holding A fixed: A also
depends on the history, so this is the first-order attribution, as in Hu et al. §5).

Many subjects fold in at once for evaluation: their histories are sorted by length, padded
to the longest of a chunk, and their systems solved as one stack with `np.linalg.solve`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.candidates._common import checked_history
from tactful.candidates.base import History, IndexArray, Interactions
from tactful.errors import InvalidInput

Float64Array = npt.NDArray[np.float64]

# A chunk of a batch fold-in holds at most this many cells (padded history entries times the
# width asked for; float64: 32 MiB), and at most this many subjects (their f x f systems).
CHUNK_CELLS = 4_000_000
_CHUNK_SUBJECTS = 256


def positive_matrix(interactions: Interactions, *, binarize: bool) -> sparse.csr_array:
    """The training matrix: float32 CSR, duplicates summed, only positive entries kept.

    A zero or negative weight carries no evidence that the subject wants the item, so factor
    models treat it as unobserved; `binarize` then sets every remaining weight to 1.
    """
    matrix = interactions.matrix
    if matrix.shape != (len(interactions.subject_ids), interactions.n_items):
        raise InvalidInput("The interaction matrix does not match its subject and item ids.")
    return _positive(sparse.csr_array(matrix), binarize=binarize)


def positive_rows(histories: sparse.csr_array, n_items: int, *, binarize: bool) -> sparse.csr_array:
    """Histories as `positive_matrix` would see them, after checking their width."""
    if histories.ndim != 2 or histories.shape[1] != n_items:
        raise InvalidInput(
            f"Histories have {histories.shape[-1]} item columns; the model knows {n_items} items."
        )
    return _positive(sparse.csr_array(histories), binarize=binarize)


def history_row(history: History, n_items: int, *, binarize: bool) -> sparse.csr_array:
    """One history as a one-row matrix, validated and treated like a training row."""
    items, weights = checked_history(history, n_items, binarize=False)
    row = sparse.csr_array(
        (weights, (np.zeros(len(items), dtype=np.int64), items)), shape=(1, n_items)
    )
    return _positive(row, binarize=binarize)


def _positive(matrix: sparse.csr_array, *, binarize: bool) -> sparse.csr_array:
    x = sparse.csr_array(matrix.astype(np.float32))  # astype copies
    x.sum_duplicates()  # also sorts the indices
    if not np.all(np.isfinite(x.data)):
        raise InvalidInput("Interaction weights must be finite.")
    x.data[x.data < 0] = 0.0
    if binarize:
        x.data = (x.data > 0).astype(np.float32)
    x.eliminate_zeros()
    return x


def as_scipy_matrix(x: sparse.csr_array) -> sparse.csr_matrix:
    """`implicit` wants the older `csr_matrix` type (it warns and converts otherwise)."""
    out = sparse.csr_matrix(x, dtype=np.float32)
    out.sort_indices()
    return out


def gram(item_factors: npt.NDArray[np.float32], regularization: float) -> Float64Array:
    """YᵀY + λI in float64, from the float32 factors a model saves."""
    y = item_factors.astype(np.float64)
    g: Float64Array = y.T @ y
    g[np.diag_indices_from(g)] += regularization
    return g


def fold_in(
    confidence: sparse.csr_array, item_factors: Float64Array, base: Float64Array
) -> Float64Array:
    """Subject factors for every row of `confidence` (the cₕ of each history entry).

    Solves (base + Σₕ (cₕ - 1) yₕyₕᵀ) x = Σₕ cₕ yₕ per row, with `base` = YᵀY + λI.
    A row with no entries gets x = 0.
    """
    n_rows, f = confidence.shape[0], item_factors.shape[1]
    out = np.zeros((n_rows, f), dtype=np.float64)
    for rows, items, conf in padded_chunks(confidence, f):
        systems, rhs = _systems(items, conf, item_factors, base)
        out[rows] = np.linalg.solve(systems, rhs[..., None])[..., 0]
    return out


def contributions(
    confidence: sparse.csr_array, item_factors: Float64Array, base: Float64Array, cols: IndexArray
) -> tuple[IndexArray, Float64Array]:
    """For a one-row `confidence`: its items, and each entry's term in the scores of `cols`.

    Entry h's term in item i's score is cₕ · yᵢᵀA⁻¹yₕ (rows: entries, columns: `cols`).
    """
    items = confidence.indices.astype(np.int64)
    conf = confidence.data.astype(np.float64)
    if len(items) == 0:
        return items, np.zeros((0, len(cols)), dtype=np.float64)
    systems, _ = _systems(items[None, :], conf[None, :], item_factors, base)
    # A is symmetric, so yᵢᵀA⁻¹ = (A⁻¹yᵢ)ᵀ: one solve for all the explained items.
    solved = np.linalg.solve(systems[0], item_factors[cols].T)  # f x len(cols)
    return items, conf[:, None] * (item_factors[items] @ solved)


def checked_item(item: int, n_items: int) -> IndexArray:
    if not 0 <= item < n_items:
        raise InvalidInput(f"Item index {item} is outside the catalog of {n_items}.")
    return np.array([item], dtype=np.int64)


def checked_items(items: IndexArray, n_items: int) -> IndexArray:
    cols = np.asarray(items, dtype=np.int64).ravel()
    if len(cols) and (cols.min() < 0 or cols.max() >= n_items):
        raise InvalidInput(f"Item indices must lie in [0, {n_items}).")
    return cols


def _systems(
    items: IndexArray, conf: Float64Array, item_factors: Float64Array, base: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """The stacked systems A and right-hand sides b for padded rows (padding has c = 0)."""
    y = item_factors[items]  # rows x length x f
    extra = np.where(conf > 0, conf - 1.0, 0.0)
    systems = base + np.matmul(np.swapaxes(y * extra[..., None], 1, 2), y)
    rhs = np.einsum("rl,rlf->rf", conf, y)
    return systems, rhs


def padded_chunks(
    matrix: sparse.csr_array, width: int
) -> Iterator[tuple[IndexArray, IndexArray, Float64Array]]:
    """Non-empty rows by increasing length, in chunks padded to their longest row.

    Yields (row numbers, items, values), the last two rows x length with value 0 as padding;
    a chunk's rows x length x `width` stays within `CHUNK_CELLS` where one row allows it.
    """
    confidence = matrix
    indptr = confidence.indptr.astype(np.int64)
    lengths = np.diff(indptr)
    order = np.argsort(lengths, kind="stable")
    order = order[lengths[order] > 0]
    start = 0
    while start < len(order):
        size = min(_CHUNK_SUBJECTS, len(order) - start)
        while size > 1 and size * int(lengths[order[start + size - 1]]) * width > CHUNK_CELLS:
            size //= 2
        rows = order[start : start + size]
        offsets = np.arange(int(lengths[rows[-1]]), dtype=np.int64)
        real = offsets[None, :] < lengths[rows][:, None]
        source = np.where(real, indptr[rows][:, None] + offsets[None, :], 0)
        items = np.where(real, confidence.indices[source], 0).astype(np.int64)
        conf = np.where(real, confidence.data[source], 0.0).astype(np.float64)
        yield rows, items, conf
        start += size


def checked_factors(
    arrays: dict[str, npt.NDArray[Any]], key: str, shape: tuple[int, ...]
) -> npt.NDArray[np.float32]:
    """A saved float32 array of the expected shape with finite values."""
    value = arrays.get(key)
    if value is None or value.shape != shape or value.dtype != np.float32:
        raise InvalidInput(f"The saved model's {key!r} is missing or has the wrong shape.")
    if not np.all(np.isfinite(value)):
        raise InvalidInput(f"The saved model's {key!r} holds non-finite values.")
    return np.asarray(value, dtype=np.float32)


def checked_gram(
    arrays: dict[str, npt.NDArray[Any]],
    item_factors: npt.NDArray[np.float32],
    regularization: float,
) -> Float64Array:
    """The saved YᵀY + λI, checked against the factors and λ it was computed from."""
    f = item_factors.shape[1]
    value = arrays.get("gram")
    if value is None or value.shape != (f, f) or value.dtype != np.float64:
        raise InvalidInput("The saved model's 'gram' is missing or has the wrong shape.")
    expected = gram(item_factors, regularization)
    if not np.allclose(value, expected, rtol=1e-9, atol=1e-9 * float(np.abs(expected).max())):
        raise InvalidInput("The saved model's 'gram' does not match its factors and λ.")
    return np.asarray(value, dtype=np.float64)
