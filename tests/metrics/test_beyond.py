"""Beyond-accuracy metrics against small examples worked out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse

from tactful.errors import InvalidInput
from tactful.metrics import (
    average_popularity,
    catalog_coverage,
    intra_list_diversity,
    item_popularity,
    long_tail_mask,
    long_tail_share,
    miscalibration,
    novelty,
    per_user_average_popularity,
    per_user_intra_list_diversity,
    per_user_long_tail_share,
    per_user_miscalibration,
    per_user_novelty,
)


def _table(lists: list[list[int]], width: int | None = None) -> npt.NDArray[np.int64]:
    width = max((len(x) for x in lists), default=0) if width is None else width
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for row, items in enumerate(lists):
        out[row, : len(items)] = items
    return out


def _rows(sets: list[list[int]], n_cols: int) -> sparse.csr_array:
    """A binary matrix with a 1 in each listed column of each row."""
    dense = np.zeros((len(sets), n_cols))
    for row, cols in enumerate(sets):
        dense[row, cols] = 1.0
    return sparse.csr_array(dense)


# -- coverage and popularity -------------------------------------------------------------


def test_catalog_coverage() -> None:
    # Items 0, 1, 2 appear somewhere (1 twice, across lists); 3 of 5 items = 0.6.
    assert catalog_coverage(_table([[0, 1, -1], [1, 2, -1]]), 5) == pytest.approx(0.6)
    assert catalog_coverage(_table([[-1], [-1]]), 5) == 0.0
    assert catalog_coverage(np.empty((0, 3), dtype=np.int64), 5) == 0.0


def test_catalog_coverage_msr_fixture() -> None:
    # recommenders-team/recommenders (MIT), tests/unit/recommenders/evaluation: the
    # diversity_data fixture recommends items {3, 5}, {2, 5}, {1, 2}; its catalog is the
    # five items 1..5 seen in training, and MSR expects catalog_coverage 4/5 = 0.8.
    # Items 1..5 become columns 0..4.
    lists = _table([[2, 4], [1, 4], [0, 1]])
    assert catalog_coverage(lists, 5) == pytest.approx(0.8)


def test_catalog_coverage_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        catalog_coverage(_table([[0, 5]]), 5)  # item 5 outside [0, 5)
    with pytest.raises(InvalidInput):
        catalog_coverage(_table([[0]]), 0)


def test_item_popularity_counts_users_with_a_positive_entry() -> None:
    # Column 0: users 0 and 2; column 1: nobody; column 2: users 0 and 1 (3 and 2 > 0),
    # user 2's -1 does not count; an explicit 0 does not count either.
    train = sparse.csr_array(
        (
            np.array([1.0, 2.0, 3.0, 4.0, -1.0, 0.0]),
            (np.array([0, 0, 1, 2, 2, 1]), np.array([0, 2, 2, 0, 2, 1])),
        ),
        shape=(3, 3),
    )
    np.testing.assert_array_equal(item_popularity(train), [2.0, 0.0, 2.0])
    # Duplicated coordinates are summed first: 1 + 1 on (0, 0) is still one user, and
    # -1 + 2 on (0, 1) is a positive entry.
    duplicated = sparse.csr_array(
        (np.array([1.0, 1.0, -1.0, 2.0]), np.array([0, 0, 1, 1]), np.array([0, 4])),
        shape=(1, 2),
    )
    assert not duplicated.has_canonical_format
    np.testing.assert_array_equal(item_popularity(duplicated), [1.0, 1.0])


def test_average_popularity() -> None:
    # Popularity [10, 4, 1, 0].
    # [0, 1] -> (10 + 4) / 2 = 7;  [2, 3] -> (1 + 0) / 2 = 0.5;  [1] -> 4;  [] -> skipped.
    # ARP = (7 + 0.5 + 4) / 3 = 3.8333333
    popularity = np.array([10.0, 4.0, 1.0, 0.0])
    lists = _table([[0, 1], [2, 3], [1, -1], [-1, -1]])
    np.testing.assert_allclose(
        per_user_average_popularity(lists, popularity), [7.0, 0.5, 4.0, np.nan]
    )
    assert average_popularity(lists, popularity) == pytest.approx(11.5 / 3)
    assert math.isnan(average_popularity(_table([[-1]]), popularity))


def test_long_tail_mask_rule() -> None:
    # Popularity [50, 30, 10, 5, 5, 0], 100 interactions in all.
    pop = np.array([50.0, 30.0, 10.0, 5.0, 5.0, 0.0])
    # head_share 0.2: item 0 alone reaches 20 of 100 -> head {0}.
    np.testing.assert_array_equal(long_tail_mask(pop), [False, True, True, True, True, True])
    # head_share 0.5: item 0's 50 is exactly half -> head {0} still.
    np.testing.assert_array_equal(long_tail_mask(pop, 0.5), [False, True, True, True, True, True])
    # head_share 0.6: 50 < 60, 50 + 30 = 80 >= 60 -> head {0, 1}.
    np.testing.assert_array_equal(long_tail_mask(pop, 0.6), [False, False, True, True, True, True])
    # head_share 0.92: 50 + 30 + 10 = 90 < 92, + 5 = 95 -> boundary popularity 5, and the
    # other item with 5 (tied) joins the head; the never-seen item stays in the tail.
    np.testing.assert_array_equal(
        long_tail_mask(pop, 0.92), [False, False, False, False, False, True]
    )
    # head_share 1: every item with any interaction is head; 0: nothing is.
    np.testing.assert_array_equal(long_tail_mask(pop, 1.0), [False] * 5 + [True])
    np.testing.assert_array_equal(long_tail_mask(pop, 0.0), [True] * 6)


def test_long_tail_mask_edge_cases() -> None:
    # Ties at the boundary fall on the same side: [4, 4, 1, 1], 20% of 10 = 2 is reached by
    # the first 4, and the other 4 joins it.
    np.testing.assert_array_equal(long_tail_mask(np.array([4.0, 4.0, 1.0, 1.0])), [0, 0, 1, 1])
    # 0.3 * 10 is 3.0000000000000004 in floating point; the first item's 3 still reaches it.
    np.testing.assert_array_equal(
        long_tail_mask(np.array([3.0, 2.0, 2.0, 2.0, 1.0]), 0.3), [0, 1, 1, 1, 1]
    )
    # Order of items does not matter, only their popularity.
    np.testing.assert_array_equal(long_tail_mask(np.array([1.0, 9.0])), [True, False])
    # No interactions at all: everything is long tail.
    np.testing.assert_array_equal(long_tail_mask(np.zeros(3)), [True, True, True])
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(InvalidInput):
            long_tail_mask(np.ones(3), bad)
    with pytest.raises(InvalidInput):
        long_tail_mask(np.array([1.0, -1.0]))


def test_long_tail_share() -> None:
    # Tail = items 2, 3, 4.
    # [0, 2, 3] -> 2/3; [0, 1] -> 0; [4] -> 1; [] -> skipped. Mean = (2/3 + 0 + 1) / 3.
    tail = np.array([False, False, True, True, True])
    lists = _table([[0, 2, 3], [0, 1, -1], [4, -1, -1], [-1, -1, -1]])
    np.testing.assert_allclose(per_user_long_tail_share(lists, tail), [2 / 3, 0, 1, np.nan])
    assert long_tail_share(lists, tail) == pytest.approx((2 / 3 + 1) / 3)
    with pytest.raises(InvalidInput):
        long_tail_share(lists, np.array([0, 0, 1, 1, 1]))  # not boolean
    with pytest.raises(InvalidInput):
        long_tail_share(lists, np.array([False, True]))  # item 4 outside the mask


# -- diversity -------------------------------------------------------------------------------

# Items x genres (g0, g1, g2):
# 0: {g0}   1: {g0, g1}   2: {g2}   3: {}   4: {}   5: {g0}
GENRES = _rows([[0], [0, 1], [2], [], [], [0]], 3)


def test_intra_list_diversity_by_hand() -> None:
    # [0, 1, 2]: cos(0, 1) = 1 / (1 * sqrt 2) = 0.7071068, cos(0, 2) = cos(1, 2) = 0
    #            distances 0.2928932, 1, 1 -> mean 2.2928932 / 3 = 0.7642977
    # [0, 3]:    item 3 has no genre -> cos 0 -> distance 1
    # [3, 4]:    two items without genres are dissimilar too -> 1
    # [0, 5]:    the same genre vector -> distance 0
    # [2], []:   fewer than two items -> skipped
    lists = _table([[0, 1, 2], [0, 3, -1], [3, 4, -1], [0, 5, -1], [2, -1, -1], [-1, -1, -1]])
    first = (1 - 1 / math.sqrt(2) + 1 + 1) / 3
    np.testing.assert_allclose(
        per_user_intra_list_diversity(lists, GENRES),
        [first, 1, 1, 0, np.nan, np.nan],
        atol=1e-12,
    )
    assert intra_list_diversity(lists, GENRES) == pytest.approx((first + 1 + 1 + 0) / 4)


def test_intra_list_diversity_msr_feature_fixture() -> None:
    # recommenders-team/recommenders (MIT), tests/unit/recommenders/evaluation: the
    # diversity_data item features (items 1..5, binary vectors of length 5) and its lists
    # {3, 5}, {2, 5}, {1, 2}. MSR expects user_diversity 0.5 for each user and diversity
    # 0.5 with item_sim_measure="item_feature_vector" (each pair shares one of two genres:
    # cos = 1 / (sqrt 2 * sqrt 2) = 0.5).
    features = _rows([[], [1, 2], [1, 3], [2, 3], [2, 4], [3, 4]], 5)  # row 0 unused
    lists = _table([[3, 5], [2, 5], [1, 2]])
    np.testing.assert_allclose(per_user_intra_list_diversity(lists, features), [0.5] * 3)
    assert intra_list_diversity(lists, features) == pytest.approx(0.5)


def test_intra_list_diversity_matches_pairwise_loop(rng: np.random.Generator) -> None:
    n_items, n_genres = 60, 8
    dense = (rng.random((n_items, n_genres)) < 0.25).astype(float)
    features = sparse.csr_array(dense)
    lists = [list(rng.permutation(n_items)[: int(rng.integers(0, 9))]) for _ in range(50)]
    want = []
    for items in lists:
        if len(items) < 2:
            want.append(math.nan)
            continue
        distances = []
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                u, v = dense[items[a]], dense[items[b]]
                norm = np.linalg.norm(u) * np.linalg.norm(v)
                distances.append(1 - (u @ v / norm if norm else 0.0))
        want.append(float(np.mean(distances)))
    got = per_user_intra_list_diversity(_table(lists, 8), features)
    np.testing.assert_allclose(got, want, atol=1e-12)


# -- novelty -----------------------------------------------------------------------------------


def test_novelty_by_hand() -> None:
    # 8 users; popularity [8, 4, 2, 1, 0]
    # self-information -log2(k / 8): [0, 1, 2, 3, 3] (the never-seen item counts as k = 1)
    # [0, 1] -> (0 + 1) / 2 = 0.5; [2, 3, 4] -> (2 + 3 + 3) / 3 = 8/3; [] -> skipped
    # novelty = (0.5 + 8/3) / 2 = 1.5833333
    popularity = np.array([8.0, 4.0, 2.0, 1.0, 0.0])
    lists = _table([[0, 1, -1], [2, 3, 4], [-1, -1, -1]])
    np.testing.assert_allclose(per_user_novelty(lists, popularity, 8), [0.5, 8 / 3, np.nan])
    assert novelty(lists, popularity, 8) == pytest.approx((0.5 + 8 / 3) / 2)


def test_novelty_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        novelty(_table([[0]]), np.array([9.0]), 8)  # more users than there are
    with pytest.raises(InvalidInput):
        novelty(_table([[0]]), np.array([1.0]), 0)
    with pytest.raises(InvalidInput):
        novelty(_table([[0]]), np.array([np.nan]), 8)


# -- calibration ---------------------------------------------------------------------------

# Items x genres (g0, g1): 0: {g0}   1: {g1}   2: {g0, g1}   3: {}
CAL_GENRES = _rows([[0], [1], [0, 1], []], 2)


def _kl(p: list[float], q: list[float], alpha: float) -> float:
    return sum(
        pi * math.log(pi / ((1 - alpha) * qi + alpha * pi))
        for pi, qi in zip(p, q, strict=True)
        if pi
    )


def test_miscalibration_by_hand() -> None:
    # User 0: history {0, 2}: item 0 gives g0 1; item 2 gives g0 1/2, g1 1/2
    #         -> p = (1.5, 0.5) / 2 = (0.75, 0.25)
    #         list [1, 3]: item 1 gives g1 1; item 3 has no genre and is left out
    #         -> q = (0, 1)
    #         q~ = 0.99 q + 0.01 p = (0.0075, 0.9925)
    #         C_KL = 0.75 ln(0.75 / 0.0075) + 0.25 ln(0.25 / 0.9925)
    #              = 0.75 * 4.6051702 + 0.25 * (-1.3787661) = 3.1091861
    # User 1: history {0, 1} -> p = (0.5, 0.5); list [2] -> q = (0.5, 0.5) -> C_KL = 0
    # User 2: empty history -> skipped
    # User 3: empty list -> skipped
    # User 4: history {3}, an item without genres -> no distribution -> skipped
    history = _rows([[0, 2], [0, 1], [], [0], [3]], 4)
    lists = _table([[1, 3], [2, -1], [0, 1], [-1, -1], [0, -1]])
    per_user = per_user_miscalibration(lists, history, CAL_GENRES)
    user0 = 0.75 * math.log(0.75 / 0.0075) + 0.25 * math.log(0.25 / 0.9925)
    assert user0 == pytest.approx(3.1091861)
    np.testing.assert_allclose(per_user, [user0, 0.0, np.nan, np.nan, np.nan], atol=1e-12)
    assert miscalibration(lists, history, CAL_GENRES) == pytest.approx(user0 / 2)


def test_identical_genre_mix_is_calibrated() -> None:
    # User 0, different items with the same mix: history {0, 1} gives (1/2, 1/2) and the
    # list [2] gives (1/2, 1/2) too.
    # User 1, the same items in another order: history {0, 2} and list [2, 0] both give
    # (1 + 1/2, 1/2) / 2 = (3/4, 1/4).
    # Either way q~ = 0.99 p + 0.01 p = p, and every term is p ln(1) = 0 (up to rounding).
    history = _rows([[0, 1], [0, 2]], 4)
    lists = _table([[2, -1], [2, 0]])
    per_user = per_user_miscalibration(lists, history, CAL_GENRES)
    np.testing.assert_allclose(per_user, [0, 0], atol=1e-12)


def test_history_entries_count_once() -> None:
    # Weights 5 and 1 in the history give the same p as 1 and 1: each item counts once.
    weighted = sparse.csr_array(np.array([[5.0, 1.0, 0.0, 0.0]]))
    flat = sparse.csr_array(np.array([[1.0, 1.0, 0.0, 0.0]]))
    lists = _table([[0]])
    assert miscalibration(lists, weighted, CAL_GENRES) == miscalibration(lists, flat, CAL_GENRES)
    # p = (0.5, 0.5), q = (1, 0), alpha = 0.01: q~ = (0.995, 0.005)
    # C_KL = 0.5 ln(0.5 / 0.995) + 0.5 ln(0.5 / 0.005) = 1.9585389
    assert miscalibration(lists, flat, CAL_GENRES) == pytest.approx(
        _kl([0.5, 0.5], [1.0, 0.0], 0.01)
    )


def test_alpha_handling() -> None:
    history = _rows([[0, 1]], 4)
    lists = _table([[0]])  # p = (0.5, 0.5), q = (1, 0)
    # A larger alpha pulls q~ towards p and lowers the divergence.
    values = [miscalibration(lists, history, CAL_GENRES, a) for a in (0.001, 0.01, 0.1, 0.5)]
    assert values == sorted(values, reverse=True)
    for alpha, value in zip((0.001, 0.01, 0.1, 0.5), values, strict=True):
        assert value == pytest.approx(_kl([0.5, 0.5], [1.0, 0.0], alpha))
    # alpha = 0: the list misses g1 of the history -> infinite divergence.
    assert miscalibration(lists, history, CAL_GENRES, 0.0) == math.inf
    # ... but a list covering every genre of the history stays finite with alpha = 0:
    # p = (0.5, 0.5), q = (0.5, 0.5) -> 0.
    assert miscalibration(_table([[2]]), history, CAL_GENRES, 0.0) == pytest.approx(0.0)
    # alpha = 1: q~ = p -> 0.
    assert miscalibration(lists, history, CAL_GENRES, 1.0) == 0.0
    for bad in (-0.01, 1.01, math.nan):
        with pytest.raises(InvalidInput):
            miscalibration(lists, history, CAL_GENRES, bad)


def test_miscalibration_is_non_negative_and_matches_dense(rng: np.random.Generator) -> None:
    n_users, n_items, n_genres = 80, 40, 6
    dense_genres = (rng.random((n_items, n_genres)) < 0.3).astype(float)
    seen = (rng.random((n_users, n_items)) < 0.15) * rng.integers(1, 6, (n_users, n_items))
    lists = [list(rng.permutation(n_items)[: int(rng.integers(0, 7))]) for _ in range(n_users)]
    got = per_user_miscalibration(
        _table(lists, 6), sparse.csr_array(seen.astype(float)), sparse.csr_array(dense_genres)
    )
    genre_share = dense_genres / np.maximum(dense_genres.sum(axis=1, keepdims=True), 1)
    for user in range(n_users):
        p_raw = genre_share[seen[user] > 0].sum(axis=0)
        q_raw = genre_share[lists[user]].sum(axis=0)
        if p_raw.sum() == 0 or q_raw.sum() == 0:
            assert math.isnan(got[user])
            continue
        want = _kl(list(p_raw / p_raw.sum()), list(q_raw / q_raw.sum()), 0.01)
        assert got[user] == pytest.approx(want, abs=1e-12)
        assert got[user] >= 0.0
    assert np.sum(~np.isnan(got)) > n_users // 2  # the check above was not vacuous


def test_miscalibration_rejects_bad_shapes() -> None:
    with pytest.raises(InvalidInput):
        miscalibration(_table([[0]]), _rows([[0]], 3), CAL_GENRES)  # 3 items, not 4
    with pytest.raises(InvalidInput):
        miscalibration(_table([[0], [1]]), _rows([[0]], 4), CAL_GENRES)  # 1 user, not 2
    with pytest.raises(InvalidInput):
        miscalibration(_table([[0]]), _rows([[0]], 4), np.eye(4))  # type: ignore[arg-type]


def test_results_are_plain_floats() -> None:
    lists = _table([[0, 1]])
    values = [
        catalog_coverage(lists, 4),
        average_popularity(lists, np.ones(4)),
        long_tail_share(lists, np.ones(4, dtype=bool)),
        intra_list_diversity(lists, CAL_GENRES),
        novelty(lists, np.ones(4), 2),
        miscalibration(lists, _rows([[0, 1]], 4), CAL_GENRES),
    ]
    assert all(type(v) is float for v in values)
    json.dumps(values)
