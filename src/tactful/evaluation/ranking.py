"""Top-k lists for many users at once, scored in chunks so memory stays bounded."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from tactful.candidates.base import IndexArray, Recommender, top_k

# Rows scored together: a chunk holds rows x items float32 scores (512 x 10,000 = 20 MB).
CHUNK_ROWS = 512


def recommend_top_k(
    model: Recommender[Any], histories: sparse.csr_array, k: int, *, chunk_rows: int = CHUNK_ROWS
) -> IndexArray:
    """The k best items per row of `histories`, never one of that row's own items.

    Returns an int64 array (rows, k), best first, padded with -1 where fewer than k items
    can be recommended. Ties break by lower item index (`top_k`), so lists are reproducible.
    """
    n_rows = histories.shape[0]
    out = np.full((n_rows, k), -1, dtype=np.int64)
    for start in range(0, n_rows, chunk_rows):
        chunk = sparse.csr_array(histories[start : start + chunk_rows])
        scores = model.score_batch(chunk)
        seen = chunk.toarray() != 0
        for offset in range(chunk.shape[0]):
            best = top_k(scores[offset], k, seen[offset])
            out[start + offset, : len(best)] = best
    return out
