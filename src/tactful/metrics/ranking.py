"""Top-k ranking accuracy, defined as in Microsoft Recommenders.

The definitions follow `recommenders/evaluation/python_evaluation.py` of Microsoft
Recommenders (recommenders-team/recommenders, MIT licence), with binary relevance: an item is
relevant to a user when their entry in the truth matrix is > 0. For one user with relevant
set R (|R| > 0), recommendation list L (best first) cut to its first k items, and
hit_r = 1 when the item at rank r (1-based) is in R:

* ``precision`` = sum_r hit_r / k. The divisor is k, not the list's length, so a list
  shorter than k cannot reach 1 (as in MSR and Spark's ``precisionAt``).
* ``recall`` = sum_r hit_r / |R|.
* ``ndcg`` = DCG / IDCG, DCG = sum_r hit_r / log2(r + 1), IDCG = sum_{r=1..min(|R|, k)}
  1 / log2(r + 1). (MSR's default discount is the natural log; the ratio does not depend on
  the base.)
* ``map`` = MSR's ``map_at_k``: sum_r hit_r * P@r / min(|R|, k), where P@r is the precision
  of the first r items (Spark's ``meanAveragePrecisionAt``). MSR's other function, ``map``,
  divides the same sum by |R| instead; the two agree whenever |R| <= k.
* ``mrr`` = 1 / rank of the first hit within the top k, 0 without a hit.
* ``hit_rate`` = 1 when any of the top k items is relevant, else 0.

Users without any relevant item get NaN and are left out of the means: MSR scores only the
users present in both truth and predictions. A user with relevant items but an empty list
(all -1) is kept and scores 0 on every metric: every row of the table is a user who was
asked for a list. (MSR's precision, recall and MAP would drop a user missing from its
prediction frame altogether.)

Validation: the table must be 2-D and integer, with indices in [-1, n_items), padding only
at the end of a row, and no item twice in a row; `relevant` must be a 2-D scipy.sparse
matrix with one row per table row. Anything else raises `InvalidInput`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.errors import InvalidInput
from tactful.metrics._lists import (
    PAD,
    check_recommended,
    check_sparse,
    nanmean,
    positive_indicator,
    row_of_entries,
    sorted_keys,
)

RANKING_METRICS: tuple[str, ...] = ("ndcg", "precision", "recall", "map", "mrr", "hit_rate")


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or int(k) < 1:
        raise InvalidInput(f"k must be a positive integer, got {k!r}.")
    return int(k)


def _hits(
    top: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    n_items: int,
) -> npt.NDArray[np.bool_]:
    """hits[u, r] is True when top[u, r] is a relevant item of user u (pads never hit)."""
    n_users = top.shape[0]
    if n_users * n_items >= 2**62:
        raise InvalidInput("Too many users times items to index (over 2**62).")
    keys = sorted_keys(rows * n_items + cols)  # ascending already when from canonical CSR
    if keys.size == 0 or top.size == 0:
        return np.zeros(top.shape, dtype=np.bool_)
    query = np.arange(n_users, dtype=np.int64)[:, None] * n_items + top
    at = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    found: npt.NDArray[np.bool_] = (keys[at] == query) & (top != PAD)
    return found


def per_user_ranking(
    recommended: npt.NDArray[np.int64], relevant: sparse.csr_array, k: int
) -> dict[str, npt.NDArray[np.float64]]:
    """Each of `RANKING_METRICS` per user at cut-off k (NaN for users with nothing relevant).

    `recommended` is (n_users, any width) of item column indices padded with -1 at the end;
    only its first k columns are read, and a narrower table counts as padded up to k.
    `relevant` is (n_users, n_items); an entry > 0 marks a relevant item.
    """
    k = _check_k(k)
    truth = check_sparse(relevant, "relevant")
    n_users, n_items = truth.shape
    table = check_recommended(recommended, n_items)
    if table.shape[0] != n_users:
        raise InvalidInput(
            f"recommended has {table.shape[0]} rows but relevant has {n_users} users."
        )
    top = table[:, :k]
    width = top.shape[1]

    positive = positive_indicator(truth)  # canonical CSR: entries sorted by (row, column)
    rel_rows = row_of_entries(positive)
    rel_cols = positive.indices.astype(np.int64)
    n_relevant = np.bincount(rel_rows, minlength=n_users).astype(np.float64)
    scored = n_relevant > 0

    hits = _hits(top, rel_rows, rel_cols, n_items)
    hit_f = hits.astype(np.float64)
    ranks = np.arange(1, width + 1, dtype=np.float64)
    n_hits = hit_f.sum(axis=1)

    # Ideal DCG over min(|R|, k) items: a cumulative sum of the discounts, read at that count.
    n_ideal = np.minimum(n_relevant, k).astype(np.int64)
    longest = max(1, int(n_ideal.max(initial=0)))
    ideal_cum = np.cumsum(1.0 / np.log2(np.arange(2, longest + 2, dtype=np.float64)))
    idcg = np.where(scored, ideal_cum[np.maximum(n_ideal - 1, 0)], np.nan)
    dcg = (hit_f / np.log2(ranks + 1.0)).sum(axis=1)

    precision_at_hits = np.cumsum(hit_f, axis=1) / ranks * hit_f
    ap_sum = precision_at_hits.sum(axis=1)

    any_hit = np.asarray(hits.any(axis=1), dtype=np.bool_)
    first = np.argmax(hits, axis=1) if width else np.zeros(n_users, dtype=np.int64)
    reciprocal = np.asarray(np.where(any_hit, 1.0 / (first + 1.0), 0.0), dtype=np.float64)

    def per_scored(
        numerator: npt.NDArray[np.float64], denominator: npt.NDArray[np.float64] | float
    ) -> npt.NDArray[np.float64]:
        out = np.full(n_users, np.nan)
        np.divide(numerator, denominator, out=out, where=scored)
        return out

    return {
        "ndcg": per_scored(dcg, idcg),
        "precision": per_scored(n_hits, float(k)),
        "recall": per_scored(n_hits, n_relevant),
        "map": per_scored(ap_sum, n_ideal.astype(np.float64)),
        "mrr": per_scored(reciprocal, 1.0),
        "hit_rate": per_scored(any_hit.astype(np.float64), 1.0),
    }


def mean_ranking(per_user: Mapping[str, npt.NDArray[np.float64]]) -> dict[str, float]:
    """The mean of each metric over the users that have a value (NaN when none has)."""
    return {
        name: nanmean(np.asarray(values, dtype=np.float64).ravel())
        for name, values in per_user.items()
    }
