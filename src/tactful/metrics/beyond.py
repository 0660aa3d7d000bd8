"""Beyond-accuracy metrics of recommendation lists: coverage, popularity, diversity,
novelty and calibration.

Each follows a published definition, named in its docstring:

* catalog coverage: the share of the catalog that appears in at least one list
  (prediction coverage in Ge, Delgado-Battenfeld and Jannach, RecSys 2010);
* average recommendation popularity (ARP) and the long-tail share: Abdollahpouri, Burke and
  Mobasher, "Managing Popularity Bias in Recommender Systems with Personalized
  Re-ranking", FLAIRS 2019;
* intra-list diversity: Ziegler, McNee, Konstan and Lausen, "Improving Recommendation
  Lists Through Topic Diversification", WWW 2005, with distance 1 - cosine similarity of
  the items' genre vectors;
* novelty: the mean self-information of the recommended items, Zhou et al., "Solving the
  apparent diversity-accuracy dilemma of recommender systems", PNAS 2010;
* miscalibration: Steck, "Calibrated Recommendations", RecSys 2018.

Every list-level metric is computed per user and then averaged over the users whose value
is defined (an empty list, for instance, has no mean popularity); the ``per_user_*``
functions return those values, with NaN where a user is skipped.

Recommendation tables follow `tactful.metrics`: int64 (n_users, k) item indices, best
first, padded with -1 at the end.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.errors import InvalidInput
from tactful.metrics._lists import (
    PAD,
    check_recommended,
    check_sparse,
    check_vector,
    list_indicator,
    nanmean,
    positive_indicator,
    row_of_entries,
)

FloatArray = npt.NDArray[np.float64]


def _list_means(table: npt.NDArray[np.int64], per_item: FloatArray) -> FloatArray:
    """For each list, the mean of `per_item` over its items; NaN for an empty list."""
    valid = table != PAD
    values = np.where(valid, per_item[np.where(valid, table, 0)], 0.0)
    counts = valid.sum(axis=1).astype(np.float64)
    out = np.full(table.shape[0], np.nan)
    np.divide(values.sum(axis=1), counts, out=out, where=counts > 0)
    return out


def _check_popularity(popularity: object) -> FloatArray:
    pop = check_vector(popularity, "popularity")
    if np.any(pop < 0):
        raise InvalidInput("popularity must be non-negative.")
    return pop


def _genre_flags(features: object) -> sparse.csr_array:
    """Items x genres with 1.0 where the entry is > 0: the genres each item belongs to."""
    return positive_indicator(check_sparse(features, "features"))


# -- coverage and popularity -------------------------------------------------------------


def catalog_coverage(recommended: npt.NDArray[np.int64], n_items: int) -> float:
    """Distinct items recommended to anyone, divided by the catalog size n_items."""
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 1:
        raise InvalidInput(f"n_items must be a positive integer, got {n_items!r}.")
    table = check_recommended(recommended, int(n_items))
    return float(np.unique(table[table != PAD]).size / int(n_items))


def item_popularity(train: sparse.csr_array) -> FloatArray:
    """Per item (column), the number of users (rows) with a positive entry for it."""
    flags = positive_indicator(check_sparse(train, "train"))
    return np.bincount(flags.indices, minlength=flags.shape[1]).astype(np.float64)


def per_user_average_popularity(
    recommended: npt.NDArray[np.int64], popularity: FloatArray
) -> FloatArray:
    """Per user, the mean popularity of the items in their list (NaN for an empty list)."""
    pop = _check_popularity(popularity)
    return _list_means(check_recommended(recommended, len(pop)), pop)


def average_popularity(recommended: npt.NDArray[np.int64], popularity: FloatArray) -> float:
    """Average recommendation popularity, ARP (Abdollahpouri et al. 2019).

    ARP = 1/|U| sum_u sum_{i in L_u} phi(i) / |L_u|, where phi(i) is the item's popularity
    in the training data (`item_popularity`: the number of users who interacted with it).
    Users with an empty list are left out of U; NaN when every list is empty.
    """
    return nanmean(per_user_average_popularity(recommended, popularity))


def long_tail_mask(popularity: FloatArray, head_share: float = 0.2) -> npt.NDArray[np.bool_]:
    """True for long-tail items, False for the short head (Abdollahpouri et al. 2019).

    The short head is the most popular items that together account for `head_share` of all
    interactions (the Pareto 20/80 split when head_share is 0.2); the long tail is the rest.
    The exact rule: sort items by popularity, most popular first, and take the shortest
    prefix whose popularity sums to at least head_share x the total (up to a 1e-9 relative
    tolerance for rounding). Let p* be the popularity of the last item of that prefix; the
    head is every item with popularity >= p* and > 0, so items tied with the boundary item
    fall on the same side and the head may hold a little more than head_share.
    Items nobody interacted with are always in the long tail; with no interactions at all,
    or head_share = 0, every item is.
    """
    pop = _check_popularity(popularity)
    if not 0.0 <= head_share <= 1.0 or math.isnan(head_share):
        raise InvalidInput(f"head_share must lie in [0, 1], got {head_share!r}.")
    total = float(pop.sum())
    if total == 0.0 or head_share == 0.0 or pop.size == 0:
        return np.ones(pop.shape, dtype=np.bool_)
    ordered = np.sort(pop)[::-1]
    cumulative = np.cumsum(ordered)
    target = head_share * total * (1.0 - 1e-9)
    boundary = min(int(np.searchsorted(cumulative, target, side="left")), pop.size - 1)
    threshold = ordered[boundary]
    head: npt.NDArray[np.bool_] = (pop >= threshold) & (pop > 0)
    return ~head


def per_user_long_tail_share(
    recommended: npt.NDArray[np.int64], long_tail: npt.NDArray[np.bool_]
) -> FloatArray:
    """Per user, the share of their list's items that are in the long tail (NaN if empty)."""
    tail = np.asarray(long_tail)
    if tail.ndim != 1 or tail.dtype != np.bool_:
        raise InvalidInput("long_tail must be a 1-D boolean array, one flag per item.")
    return _list_means(check_recommended(recommended, len(tail)), tail.astype(np.float64))


def long_tail_share(recommended: npt.NDArray[np.int64], long_tail: npt.NDArray[np.bool_]) -> float:
    """Mean over users of the share of their list in the long tail (`long_tail_mask`).

    This is the APLT of Abdollahpouri et al. 2019: 1/|U| sum_u |{i in L_u, i in tail}| /
    |L_u|. Users with an empty list are left out; NaN when every list is empty.
    """
    return nanmean(per_user_long_tail_share(recommended, long_tail))


# -- diversity and novelty ----------------------------------------------------------------


def per_user_intra_list_diversity(
    recommended: npt.NDArray[np.int64], features: sparse.csr_array
) -> FloatArray:
    """Per user, the mean pairwise distance of their list (NaN for fewer than two items).

    See `intra_list_diversity`. Computed without enumerating pairs: with v_i the unit genre
    vector of item i (0 for an item without genres), sum_{i<j} v_i.v_j =
    (|sum_i v_i|^2 - sum_i |v_i|^2) / 2.
    """
    flags = _genre_flags(features)
    n_items = flags.shape[0]
    table = check_recommended(recommended, n_items)
    norms = np.sqrt(np.asarray(flags.sum(axis=1), dtype=np.float64).ravel())
    has_genre = norms > 0
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=has_genre)
    unit = sparse.csr_array(sparse.diags_array(scale) @ flags)
    lists = list_indicator(table, n_items)
    summed = sparse.csr_array(lists @ unit)
    squared = np.asarray(summed.multiply(summed).sum(axis=1), dtype=np.float64).ravel()
    self_terms = lists @ has_genre.astype(np.float64)
    similarity_sum = (squared - self_terms) / 2.0
    m = (table != PAD).sum(axis=1).astype(np.float64)
    pairs = m * (m - 1.0) / 2.0
    out = np.full(table.shape[0], np.nan)
    np.divide(similarity_sum, pairs, out=out, where=pairs > 0)
    return np.where(pairs > 0, 1.0 - out, np.nan)


def intra_list_diversity(recommended: npt.NDArray[np.int64], features: sparse.csr_array) -> float:
    """Intra-list diversity (Ziegler et al. 2005) with cosine distance on genre vectors.

    For a list L with |L| >= 2: ILD(L) = 2 / (|L| (|L| - 1)) sum_{i<j in L} (1 - cos(g_i,
    g_j)), where g_i is item i's row of `features` (items x genres; entries > 0 mark a genre,
    so the vectors are binary). An item with no genre has cosine similarity 0 with every
    item, i.e. counts as entirely dissimilar (distance 1), including to another item without
    genres. Lists with fewer than two items are skipped; the result is the mean over the
    remaining lists (NaN if none).
    """
    return nanmean(per_user_intra_list_diversity(recommended, features))


def per_user_novelty(
    recommended: npt.NDArray[np.int64], popularity: FloatArray, n_users: int
) -> FloatArray:
    """Per user, the mean self-information of their list's items (NaN for an empty list)."""
    if isinstance(n_users, bool) or not isinstance(n_users, int | np.integer) or n_users < 1:
        raise InvalidInput(f"n_users must be a positive integer, got {n_users!r}.")
    pop = _check_popularity(popularity)
    if np.any(pop > n_users):
        raise InvalidInput("An item's popularity exceeds n_users; count users, not events.")
    information = -np.log2(np.maximum(pop, 1.0) / float(n_users))
    return _list_means(check_recommended(recommended, len(pop)), information)


def novelty(recommended: npt.NDArray[np.int64], popularity: FloatArray, n_users: int) -> float:
    """Mean self-information of the recommended items (Zhou et al. 2010), in bits.

    An item i with popularity k_i (the number of the n_users training users who interacted
    with it, `item_popularity`) carries self-information I_i = -log2(k_i / n_users) =
    log2(n_users / k_i). Novelty is the mean over lists of the mean I_i over the list's
    items. An item nobody interacted with is counted as if one user had (k_i = 1, giving the
    largest finite value log2(n_users)) rather than infinity. Empty lists are skipped; NaN if
    every list is empty.
    """
    return nanmean(per_user_novelty(recommended, popularity, n_users))


# -- calibration ---------------------------------------------------------------------------


def _genre_distribution(
    indicator: sparse.csr_array, genre_of_item: sparse.csr_array
) -> tuple[sparse.csr_array, FloatArray]:
    """Per user the genre distribution of the indicated items (rows sum to 1) and its mass.

    The mass is the number of indicated items with at least one genre; rows with mass 0 are
    left empty. The result is canonical CSR (column indices sorted within each row).
    """
    raw = sparse.csr_array(indicator @ genre_of_item)
    mass = np.asarray(raw.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(1.0, mass, out=np.zeros_like(mass), where=mass > 0)
    dist = sparse.csr_array(sparse.diags_array(scale) @ raw)
    dist.sum_duplicates()
    dist.eliminate_zeros()
    return dist, mass


def per_user_miscalibration(
    recommended: npt.NDArray[np.int64],
    history: sparse.csr_array,
    features: sparse.csr_array,
    alpha: float = 0.01,
) -> FloatArray:
    """Per user, Steck's miscalibration C_KL(p, q) of their list (NaN where skipped).

    See `miscalibration` for the definition.
    """
    if math.isnan(alpha) or not 0.0 <= alpha <= 1.0:
        raise InvalidInput(f"alpha must lie in [0, 1], got {alpha!r}.")
    flags = _genre_flags(features)
    n_items = flags.shape[0]
    table = check_recommended(recommended, n_items)
    n_users = table.shape[0]
    seen = check_sparse(history, "history")
    if seen.shape != (n_users, n_items):
        raise InvalidInput(
            f"history must be (n_users, n_items) = {(n_users, n_items)}, got {seen.shape}."
        )
    # p(g|i) = 1/|G(i)| for each genre g of item i.
    genre_counts = np.asarray(flags.sum(axis=1), dtype=np.float64).ravel()
    share = np.divide(1.0, genre_counts, out=np.zeros_like(genre_counts), where=genre_counts > 0)
    genre_of_item = sparse.csr_array(sparse.diags_array(share) @ flags)

    p, p_mass = _genre_distribution(positive_indicator(seen), genre_of_item)
    q, q_mass = _genre_distribution(list_indicator(table, n_items), genre_of_item)

    # Only genres with p(g|u) > 0 contribute to KL(p || q~); look q up at those cells.
    n_genres = flags.shape[1]
    p_rows = row_of_entries(p)
    p_keys = p_rows * n_genres + p.indices.astype(np.int64)
    q_keys = row_of_entries(q) * n_genres + q.indices.astype(np.int64)
    order = np.argsort(q_keys, kind="stable")  # already ascending: q is canonical CSR
    q_keys, q_values = q_keys[order], q.data[order]
    q_at_p = np.zeros(p_keys.shape, dtype=np.float64)
    if q_keys.size:
        at = np.minimum(np.searchsorted(q_keys, p_keys), q_keys.size - 1)
        match = q_keys[at] == p_keys
        q_at_p[match] = q_values[at[match]]
    p_values = p.data.astype(np.float64)
    q_tilde = (1.0 - alpha) * q_at_p + alpha * p_values
    with np.errstate(divide="ignore"):
        terms = p_values * np.log(p_values / q_tilde)
    kl = np.bincount(p_rows, weights=terms, minlength=n_users)
    kl = np.maximum(kl, 0.0)  # rounding can leave -1e-17 where p == q~
    return np.where((p_mass > 0) & (q_mass > 0), kl, np.nan)


def miscalibration(
    recommended: npt.NDArray[np.int64],
    history: sparse.csr_array,
    features: sparse.csr_array,
    alpha: float = 0.01,
) -> float:
    """Mean miscalibration C_KL of the lists against the users' histories (Steck 2018).

    With G(i) the genres of item i (entries > 0 in its row of `features`, items x genres) and
    p(g|i) = 1/|G(i)| for g in G(i), 0 otherwise:

        p(g|u) = sum_{i in H(u)} p(g|i) / sum_{i in H(u)} sum_g' p(g'|i)
        q(g|u) = sum_{i in L(u)} p(g|i) / sum_{i in L(u)} sum_g' p(g'|i)
        q~(g|u) = (1 - alpha) q(g|u) + alpha p(g|u)
        C_KL(p, q) = sum_g p(g|u) log(p(g|u) / q~(g|u))        (natural log, nats)

    H(u) is the set of items with a positive entry in the user's row of `history`, each
    counted once (weight 1, whatever the entry's value); L(u) is the user's list, each item
    weighted equally. Items without any genre carry no genre information and are left out
    of both sums. Terms with p(g|u) = 0 are 0. Mixing a little of p into q (alpha > 0,
    Steck uses 0.01) keeps the divergence finite when the list misses a genre of the
    history; with alpha = 0 such a user scores infinity, and with alpha = 1 every user
    scores 0.

    Users whose history or list has no item with a genre are skipped; the result is the
    mean over the others (NaN if none). 0 means the list's genre mix equals the history's.
    """
    return nanmean(per_user_miscalibration(recommended, history, features, alpha))
