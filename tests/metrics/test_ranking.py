"""Ranking metrics against Microsoft Recommenders' unit-test numbers and hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse

from tactful.errors import InvalidInput
from tactful.metrics import RANKING_METRICS, mean_ranking, per_user_ranking

TOL = 1e-4  # MSR's tests compare with pytest.approx(expected, TOL), a relative tolerance


def _table(lists: list[list[int]], width: int | None = None) -> npt.NDArray[np.int64]:
    """Lists of item indices as a (n_users, width) table padded with -1."""
    width = max((len(x) for x in lists), default=0) if width is None else width
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for row, items in enumerate(lists):
        out[row, : len(items)] = items
    return out


def _truth(sets: list[list[int]], n_items: int) -> sparse.csr_array:
    """A binary (n_users, n_items) relevance matrix from each user's relevant items."""
    dense = np.zeros((len(sets), n_items))
    for row, items in enumerate(sets):
        dense[row, items] = 1.0
    return sparse.csr_array(dense)


# -- Microsoft Recommenders' fixtures ------------------------------------------------------
# From recommenders-team/recommenders (MIT licence),
# tests/unit/recommenders/evaluation/conftest.py (fixtures rating_true, rating_pred,
# rating_nohit) and test_python_evaluation.py (expected values). Users 1, 2, 3 become rows
# 0, 1, 2; item ids are used directly as column indices, with 101 columns so that the
# no-hit item 100 fits. Every (user, item) pair of rating_true is relevant.
MSR_N_ITEMS = 101
MSR_TRUE = [[3, 1, 2], [1, 4, 5, 6, 7], [2, 5, 6, 8, 9, 10, 11, 12, 13, 14]]
# The items of rating_true ordered by rating, highest first (ties in any order), used by
# MSR as a perfect prediction.
MSR_TRUE_BY_RATING = [[1, 2, 3], [1, 4, 5, 6, 7], [2, 5, 6, 8, 9, 10, 11, 12, 13, 14]]
# rating_pred ordered by its prediction column, highest first:
# user 1: 3 (14), 10 (13), 12 (12); user 2: 10 (14), 3 (13), 5 (12), 11 (11), 13 (10);
# user 3: 4 (14), 10 (13), 7 (12), 13 (11), 1 (10), 3 (9), 5 (8), 2 (7), 11 (6), 14 (5).
MSR_PRED = [[3, 10, 12], [10, 3, 5, 11, 13], [4, 10, 7, 13, 1, 3, 5, 2, 11, 14]]


@pytest.fixture
def msr_truth() -> sparse.csr_array:
    return _truth(MSR_TRUE, MSR_N_ITEMS)


def test_msr_prediction_at_10(msr_truth: sparse.csr_array) -> None:
    means = mean_ranking(per_user_ranking(_table(MSR_PRED), msr_truth, 10))
    # MSR's expected values (test_python_ndcg_at_k, _precision_at_k, _recall_at_k, _map_at_k)
    assert means["ndcg"] == pytest.approx(0.38172, TOL)
    assert means["precision"] == pytest.approx(0.26666, TOL)
    assert means["recall"] == pytest.approx(0.37777, TOL)
    assert means["map"] == pytest.approx(0.23613, TOL)
    # MSR has no MRR; by hand, the first hits are at ranks 1, 3 and 2: (1 + 1/3 + 1/2) / 3.
    assert means["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 3)
    assert means["hit_rate"] == 1.0


def test_msr_prediction_per_user(msr_truth: sparse.csr_array) -> None:
    per_user = per_user_ranking(_table(MSR_PRED), msr_truth, 10)
    # Hits: user 1 at rank 1 of 3 relevant; user 2 at rank 3 of 5; user 3 at ranks
    # 2, 4, 7, 8, 9, 10 of 10.
    np.testing.assert_allclose(per_user["precision"], [1 / 10, 1 / 10, 6 / 10])
    np.testing.assert_allclose(per_user["recall"], [1 / 3, 1 / 5, 6 / 10])
    ap_user3 = (1 / 2 + 2 / 4 + 3 / 7 + 4 / 8 + 5 / 9 + 6 / 10) / 10
    np.testing.assert_allclose(per_user["map"], [1 / 3, (1 / 3) / 5, ap_user3])
    np.testing.assert_allclose(per_user["mrr"], [1, 1 / 3, 1 / 2])


def test_msr_perfect_prediction(msr_truth: sparse.csr_array) -> None:
    means = mean_ranking(per_user_ranking(_table(MSR_TRUE_BY_RATING), msr_truth, 10))
    assert means["ndcg"] == pytest.approx(1.0, TOL)
    assert means["precision"] == pytest.approx(0.6)  # (3 + 5 + 10) / 10 / 3
    assert means["recall"] == pytest.approx(1.0, TOL)
    assert means["map"] == pytest.approx(1.0)


def test_msr_no_hit(msr_truth: sparse.csr_array) -> None:
    means = mean_ranking(per_user_ranking(_table([[100], [100], [100]]), msr_truth, 10))
    assert means == dict.fromkeys(RANKING_METRICS, 0.0)


def test_msr_precision_divides_by_k() -> None:
    # MSR's single_user and same_items frames: items 1, 2, 3 relevant and recommended.
    single = _truth([[1, 2, 3]], 4)
    assert mean_ranking(per_user_ranking(_table([[1, 2, 3]]), single, 3))["precision"] == 1
    same = _truth([[1, 2, 3], [1, 2, 3]], 4)
    lists = _table([[1, 2, 3], [1, 2, 3]])
    assert mean_ranking(per_user_ranking(lists, same, 3))["precision"] == 1
    # With only 3 items, precision@5 can reach no more than 3/5.
    assert mean_ranking(per_user_ranking(lists, same, 5))["precision"] == pytest.approx(0.6)


def test_map_divides_by_min_of_relevant_and_k(msr_truth: sparse.csr_array) -> None:
    # MSR's map_at_k at k=5 on its fixture, by hand (user 3 has 10 relevant items > k):
    # user 1: hit at rank 1 -> (1/1) / min(3, 5) = 1/3
    # user 2: hit at rank 3 -> (1/3) / min(5, 5) = 1/15
    # user 3: top 5 is 4, 10, 7, 13, 1: hits at ranks 2 and 4 -> (1/2 + 2/4) / min(10, 5) = 1/5
    # mean = (1/3 + 1/15 + 1/5) / 3 = 0.2. (MSR's `map` divides by |R| instead and would
    # give (1/3 + 1/15 + 1/10) / 3 = 1/6.)
    means = mean_ranking(per_user_ranking(_table(MSR_PRED), msr_truth, 5))
    assert means["map"] == pytest.approx(0.2)


# -- hand-worked cases ---------------------------------------------------------------------


def test_single_user_by_hand() -> None:
    # Relevant {a, b, c} = items {0, 1, 2}; the list is [a, x, b] = [0, 5, 1]; k = 3.
    # hits at ranks 1 and 3.
    # precision = 2/3; recall = 2/3
    # DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
    # IDCG over min(3, 3) = 3 items = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.6309298 + 0.5
    # nDCG = 1.5 / 2.1309298 = 0.7039180
    # AP = (P@1 + P@3) / min(3, 3) = (1/1 + 2/3) / 3 = 0.5555556
    # MRR = 1/1; hit rate = 1
    per_user = per_user_ranking(_table([[0, 5, 1]]), _truth([[0, 1, 2]], 6), 3)
    assert per_user["precision"][0] == pytest.approx(2 / 3)
    assert per_user["recall"][0] == pytest.approx(2 / 3)
    assert per_user["ndcg"][0] == pytest.approx(1.5 / (1 + 1 / math.log2(3) + 0.5))
    assert per_user["ndcg"][0] == pytest.approx(0.7039180)
    assert per_user["map"][0] == pytest.approx(5 / 9)
    assert per_user["mrr"][0] == 1.0
    assert per_user["hit_rate"][0] == 1.0


def test_padding_is_not_an_item() -> None:
    # Relevant {0, 1}; list [0, -1, -1]; k = 3.
    # precision = 1/3 (divided by k, not by the list's one item); recall = 1/2
    # nDCG = 1 / (1 + 1/log2(3)) = 0.6131472; AP = 1 / min(2, 3) = 0.5
    per_user = per_user_ranking(_table([[0, -1, -1]]), _truth([[0, 1]], 3), 3)
    assert per_user["precision"][0] == pytest.approx(1 / 3)
    assert per_user["recall"][0] == pytest.approx(1 / 2)
    assert per_user["ndcg"][0] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert per_user["map"][0] == pytest.approx(0.5)
    assert per_user["mrr"][0] == 1.0


def test_k_larger_than_the_table() -> None:
    # Relevant {0, 1}; a two-column table [0, 1]; k = 4: the missing columns count as pads.
    # precision = 2/4; recall = 1; nDCG = 1 (IDCG over min(2, 4) = 2 items); AP = (1 + 1)/2
    per_user = per_user_ranking(_table([[0, 1]]), _truth([[0, 1]], 3), 4)
    assert per_user["precision"][0] == pytest.approx(0.5)
    assert per_user["recall"][0] == pytest.approx(1.0)
    assert per_user["ndcg"][0] == pytest.approx(1.0)
    assert per_user["map"][0] == pytest.approx(1.0)


def test_k_smaller_than_the_table_cuts_the_list() -> None:
    truth = _truth([[0, 1]], 6)
    table = _table([[5, 0, 1]])
    at_1 = per_user_ranking(table, truth, 1)
    assert {name: float(v[0]) for name, v in at_1.items()} == dict.fromkeys(RANKING_METRICS, 0.0)
    # k = 2: [5, 0], hit at rank 2.
    # precision = 1/2; recall = 1/2; nDCG = (1/log2(3)) / (1 + 1/log2(3)) = 0.3868528
    # AP = (1/2) / min(2, 2) = 0.25; MRR = 1/2
    at_2 = per_user_ranking(table, truth, 2)
    assert at_2["precision"][0] == pytest.approx(0.5)
    assert at_2["recall"][0] == pytest.approx(0.5)
    assert at_2["ndcg"][0] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert at_2["map"][0] == pytest.approx(0.25)
    assert at_2["mrr"][0] == pytest.approx(0.5)
    assert at_2["hit_rate"][0] == 1.0


def test_empty_lists_score_zero() -> None:
    truth = _truth([[0], [1]], 3)
    for table in (_table([[-1, -1], [-1, -1]]), np.empty((2, 0), dtype=np.int64)):
        per_user = per_user_ranking(table, truth, 2)
        for name in RANKING_METRICS:
            np.testing.assert_array_equal(per_user[name], [0.0, 0.0])


def test_users_without_relevant_items_are_nan_and_left_out() -> None:
    # User 0: relevant {0}, list [0, 1] -> precision 1/2, everything else 1.
    # User 1: nothing relevant -> NaN everywhere, and the means are user 0's values.
    per_user = per_user_ranking(_table([[0, 1], [0, 1]]), _truth([[0], []], 3), 2)
    for name in RANKING_METRICS:
        assert math.isnan(per_user[name][1])
    means = mean_ranking(per_user)
    assert means == {
        "ndcg": 1.0,
        "precision": 0.5,
        "recall": 1.0,
        "map": 1.0,
        "mrr": 1.0,
        "hit_rate": 1.0,
    }


def test_relevance_is_an_entry_above_zero() -> None:
    # Entries 5 and 0.5 are relevant; -1 and an explicit 0 are not.
    truth = sparse.csr_array(
        (np.array([5.0, 0.5, -1.0, 0.0]), (np.array([0, 0, 0, 0]), np.array([0, 1, 2, 3]))),
        shape=(1, 4),
    )
    per_user = per_user_ranking(_table([[2, 3, 0, 1]]), truth, 4)
    assert per_user["recall"][0] == 1.0
    assert per_user["precision"][0] == 0.5
    assert per_user["mrr"][0] == pytest.approx(1 / 3)


def test_keys_and_order() -> None:
    per_user = per_user_ranking(_table([[0]]), _truth([[0]], 1), 1)
    assert tuple(per_user) == RANKING_METRICS
    assert all(v.dtype == np.float64 and v.shape == (1,) for v in per_user.values())


@pytest.mark.filterwarnings("error")
def test_mean_of_nothing_is_nan_without_warning() -> None:
    means = mean_ranking({"ndcg": np.array([]), "precision": np.array([np.nan, np.nan])})
    assert math.isnan(means["ndcg"])
    assert math.isnan(means["precision"])
    assert mean_ranking({}) == {}
    means = mean_ranking(per_user_ranking(np.empty((0, 3), np.int64), _truth([], 3), 3))
    assert all(math.isnan(v) for v in means.values())


@pytest.mark.parametrize(
    ("table", "k", "reason"),
    [
        (np.array([0, 1], dtype=np.int64), 2, "1-D table"),
        (np.array([[0.0, 1.0], [1.0, 2.0]]), 2, "float table"),
        (np.array([[True, False], [False, True]]), 2, "bool table"),
        (np.array([[0, 1]], dtype=np.int64), 2, "one row for two users"),
        (np.array([[0, 4], [1, 2]], dtype=np.int64), 2, "item beyond the catalog"),
        (np.array([[0, -2], [1, 2]], dtype=np.int64), 2, "index below -1"),
        (np.array([[-1, 1], [1, 2]], dtype=np.int64), 2, "item after a pad"),
        (np.array([[1, 1], [1, 2]], dtype=np.int64), 2, "item twice in a list"),
        (np.array([[0, 1], [1, 2]], dtype=np.int64), 0, "k = 0"),
        (np.array([[0, 1], [1, 2]], dtype=np.int64), True, "k a bool"),
        (np.array([[0, 1], [1, 2]], dtype=np.int64), 2.0, "k a float"),
    ],
)
def test_bad_input_is_rejected(table: npt.NDArray[np.int64], k: int, reason: str) -> None:
    with pytest.raises(InvalidInput):
        per_user_ranking(table, _truth([[0], [1]], 4), k)


def test_relevant_must_be_sparse() -> None:
    with pytest.raises(InvalidInput):
        per_user_ranking(_table([[0]]), np.ones((1, 1)), 1)  # type: ignore[arg-type]


# -- a direct reference on random data, and speed -------------------------------------------


def _reference(lists: list[list[int]], truth: list[set[int]], k: int) -> dict[str, list[float]]:
    """The definitions written out user by user, for comparison."""
    out: dict[str, list[float]] = {name: [] for name in RANKING_METRICS}
    for items, relevant in zip(lists, truth, strict=True):
        if not relevant:
            for name in RANKING_METRICS:
                out[name].append(math.nan)
            continue
        top = items[:k]
        hit_ranks = [r for r, item in enumerate(top, start=1) if item in relevant]
        dcg = sum(1 / math.log2(r + 1) for r in hit_ranks)
        idcg = sum(1 / math.log2(r + 1) for r in range(1, min(len(relevant), k) + 1))
        ap = sum((n + 1) / r for n, r in enumerate(hit_ranks)) / min(len(relevant), k)
        out["ndcg"].append(dcg / idcg)
        out["precision"].append(len(hit_ranks) / k)
        out["recall"].append(len(hit_ranks) / len(relevant))
        out["map"].append(ap)
        out["mrr"].append(1 / hit_ranks[0] if hit_ranks else 0.0)
        out["hit_rate"].append(1.0 if hit_ranks else 0.0)
    return out


@pytest.mark.parametrize("k", [1, 3, 10, 15])
def test_matches_a_direct_reference(rng: np.random.Generator, k: int) -> None:
    n_users, n_items = 300, 40
    lists = [
        [int(i) for i in rng.permutation(n_items)[: int(rng.integers(0, 13))]]
        for _ in range(n_users)
    ]
    truth = [
        {int(i) for i in rng.choice(n_items, size=int(rng.integers(0, 15)), replace=False)}
        for _ in range(n_users)
    ]
    got = per_user_ranking(_table(lists, 12), _truth([sorted(t) for t in truth], n_items), k)
    want = _reference(lists, truth, k)
    for name in RANKING_METRICS:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, err_msg=name)


def test_many_users_at_once(rng: np.random.Generator) -> None:
    """A whole catalogue-sized evaluation in one vectorised call (speed is for bench/)."""
    n_users, n_items, k = 100_000, 5_000, 10
    table = np.argsort(rng.random((n_users, 30)), axis=1)[:, :k] + rng.integers(
        0, n_items - 30, size=(n_users, 1)
    )
    rows = np.repeat(np.arange(n_users), 20)  # about 20 relevant items per user
    cols = rng.integers(0, n_items, size=rows.size)
    truth = sparse.csr_array((np.ones(rows.size), (rows, cols)), shape=(n_users, n_items))
    per_user = per_user_ranking(table, truth, k)
    assert per_user["ndcg"].shape == (n_users,)
    first = per_user_ranking(table[:1_000], sparse.csr_array(truth[:1_000]), k)
    for name in RANKING_METRICS:
        np.testing.assert_array_equal(per_user[name][:1_000], first[name])
