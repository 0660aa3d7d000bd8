"""xQuAD popularity de-biasing, both variants of Abdollahpouri et al. 2019: lists worked out
by hand, top-k at lambda = 0, more of the long tail as lambda grows, and the smooth
variant's list following the person's tolerance for the tail."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tactful.candidates.base import top_k
from tactful.errors import InvalidInput
from tactful.metrics import long_tail_mask
from tactful.reranking import make_config
from tactful.reranking.popularity import (
    NO_HISTORY_TOLERANCE,
    PopularityDebiasConfig,
    debias_popularity,
    tail_tolerance,
    uncovered,
)

# Columns 0-4 are the candidates, scored 1, .9, .8, .3, 0 (rel is the same over the pool);
# 3 and 4 are long tail. Columns 5-9 (head) and 10-11 (tail) are history items.
SCORES = np.array([1.0, 0.9, 0.8, 0.3, 0.0] + [0.0] * 7)
TAIL = np.array([False, False, False, True, True] + [False] * 5 + [True, True])
SEEN = np.zeros(12, dtype=np.bool_)
SEEN[5:] = True

# For the smooth variant: candidates 0-6 scored 1, .9, .8, .7, .5, .4, 0 (again rel = score),
# 4 and 5 long tail; columns 7-11 (head) and 12-13 (tail) are history items.
SMOOTH_SCORES = np.array([1.0, 0.9, 0.8, 0.7, 0.5, 0.4, 0.0] + [0.0] * 7)
SMOOTH_TAIL = np.array([False] * 4 + [True, True] + [False] * 6 + [True, True])
SMOOTH_SEEN = np.zeros(14, dtype=np.bool_)
SMOOTH_SEEN[7:] = True


def binary(lambda_: float, pool: int) -> PopularityDebiasConfig:
    return PopularityDebiasConfig(lambda_=lambda_, pool=pool, variant="binary")


def test_tolerance_is_the_historys_tail_share() -> None:
    assert tail_tolerance(TAIL, [5, 10]) == 0.5
    assert tail_tolerance(TAIL, [5, 6, 7, 8, 10, 10]) == 0.2  # each item counted once
    assert tail_tolerance(TAIL, []) == NO_HISTORY_TOLERANCE == 0.5


def test_smooth_is_the_default() -> None:
    assert PopularityDebiasConfig().variant == "smooth"


def test_uncovered_is_the_papers_product_term() -> None:
    # Binary: 1 until the list holds one item of the group. Smooth: 1 - the group's share.
    assert [uncovered(n, 4, "binary") for n in range(5)] == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert [uncovered(n, 4, "smooth") for n in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert uncovered(0, 0, "binary") == uncovered(0, 0, "smooth") == 1.0


def test_a_binary_list_worked_out_by_hand() -> None:
    config = binary(0.6, 5)
    # P(tail|u) = .5. Step 1: item 0 gains .4 * 1 + .6 * .5 = .70; item 3 .4 * .3 + .6 * .5
    # = .42: item 0 (head). Step 2, the head covered: item 1 gains .36, item 2 .32, item 3
    # .12 + .30 = .42: the tail item 3 comes in. Step 3, both covered: item 1 (.36).
    assert debias_popularity(SCORES, TAIL, 3, config, [5, 10], SEEN).tolist() == [0, 3, 1]
    # P(tail|u) = .2: at step 2 item 3 gains only .12 + .6 * .2 = .24 < .36: top-k stays.
    history = [5, 6, 7, 8, 10]
    assert debias_popularity(SCORES, TAIL, 3, config, history, SEEN).tolist() == [0, 1, 2]
    assert top_k(SCORES, 3, SEEN).tolist() == [0, 1, 2]
    # With no history the two groups weigh the same (.5), as for the first person.
    assert debias_popularity(SCORES, TAIL, 3, config, [], SEEN).tolist() == [0, 3, 1]


def test_a_binary_tail_lover_gets_the_tail_first() -> None:
    # P(tail|u) = 1: step 1, item 3 gains .4 * .3 + .6 = .72 > item 0's .4 (head worth 0).
    config = binary(0.6, 5)
    assert debias_popularity(SCORES, TAIL, 3, config, [10, 11], SEEN).tolist() == [3, 0, 1]


def test_a_smooth_list_worked_out_by_hand() -> None:
    # lambda .6, P(tail|u) = .5: gain = .4 rel + .3 * uncovered(group of the item).
    # 1. S empty, both uncovered 1: item 0 .40 + .30 = .70 beats item 4's .20 + .30 = .50.
    # 2. S = {0}: head share 1 (uncovered 0), tail 0 (uncovered 1): item 1 .36, item 4 .50.
    # 3. S = {0, 4}: both uncovered .5: item 1 .36 + .15 = .51 beats item 5's .16 + .15.
    # 4. S = {0, 4, 1}: head uncovered 1/3, tail 2/3: item 2 .32 + .10 = .42, item 5 .16
    #    + .20 = .36: item 2.
    # 5. S = {0, 4, 1, 2}: head uncovered 1/4, tail 3/4: item 3 .28 + .075 = .355, item 5
    #    .16 + .225 = .385: the second tail item comes in, where binary takes item 3.
    config = PopularityDebiasConfig(lambda_=0.6, pool=7, variant="smooth")
    history = [7, 12]
    got = debias_popularity(SMOOTH_SCORES, SMOOTH_TAIL, 5, config, history, SMOOTH_SEEN)
    assert got.tolist() == [0, 4, 1, 2, 5]
    plain = debias_popularity(SMOOTH_SCORES, SMOOTH_TAIL, 5, binary(0.6, 7), history, SMOOTH_SEEN)
    assert plain.tolist() == [0, 4, 1, 2, 3]
    assert top_k(SMOOTH_SCORES, 5, SMOOTH_SEEN).tolist() == [0, 1, 2, 3, 4]
    # P(tail|u) = 1 (head worth 0): 1. item 4 .20 + .60 beats item 0's .40; 2. tail share 1:
    # item 0 .40 beats item 5's .16; 3. tail uncovered .5: item 5 .16 + .30 = .46 beats
    # item 1's .36; then no tail candidate is left and relevance decides.
    lover = debias_popularity(SMOOTH_SCORES, SMOOTH_TAIL, 5, config, [12, 13], SMOOTH_SEEN)
    assert lover.tolist() == [4, 0, 5, 1, 2]


@pytest.mark.parametrize("variant", ["binary", "smooth"])
def test_lambda_zero_is_top_k(variant: str) -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        scores = rng.random(80).astype(np.float32)
        tail = rng.random(80) < 0.7
        exclude = rng.random(80) < 0.2
        history = rng.choice(80, 10, replace=False)
        config = make_config(
            PopularityDebiasConfig, {"lambda_": 0.0, "pool": 40, "variant": variant}
        )
        got = debias_popularity(scores, tail, 10, config, history, exclude)
        assert got.tolist() == top_k(scores, 10, exclude).tolist()


def _tail_shares(variant: str) -> list[float]:
    """The lists' long-tail share per lambda (0, .1, ..., 1) for 80 seeded users whose
    scores favour popular items."""
    rng = np.random.default_rng(3)
    n_items, n_users, k = 300, 80, 10
    popularity = rng.lognormal(0.0, 1.0, n_items)
    tail = long_tail_mask(popularity, 0.5)  # the head takes half of the interactions
    head_bias = popularity / popularity.max()
    shares = []
    for lambda_ in np.linspace(0.0, 1.0, 11):
        config = make_config(
            PopularityDebiasConfig, {"lambda_": float(lambda_), "pool": 100, "variant": variant}
        )
        in_tail = 0
        user_rng = np.random.default_rng(4)  # the same users at every lambda
        for _ in range(n_users):
            history = user_rng.choice(n_items, 12, replace=False)
            scores = user_rng.random(n_items) + 1.5 * head_bias  # popular items score higher
            seen = np.zeros(n_items, dtype=np.bool_)
            seen[history] = True
            got = debias_popularity(scores, tail, k, config, history, seen)
            in_tail += int(tail[got].sum())
        shares.append(in_tail / (n_users * k))
    return shares


def test_lambda_raises_the_long_tail_share() -> None:
    binary_shares = _tail_shares("binary")
    smooth_shares = _tail_shares("smooth")
    for shares in (binary_shares, smooth_shares):
        assert all(b >= a for a, b in itertools.pairwise(shares)), shares
    assert binary_shares[0] == smooth_shares[0]  # lambda 0: the same top-k
    # Binary: about .10 at lambda = 0, .15 from lambda = .2 on: it promotes at most one tail
    # item per list, so the share levels off.
    assert binary_shares[-1] > binary_shares[0] + 0.03
    assert binary_shares[-1] == binary_shares[3]
    # Smooth keeps drawing the tail: .27 at lambda .1, .64 at .5, .81 at 1 (the histories
    # are about 85 % long tail).
    assert smooth_shares[1] > binary_shares[-1]
    assert smooth_shares[-1] > 0.75


@settings(max_examples=80, deadline=None)
@given(
    scores=hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-5, 5)),
    data=st.data(),
    lambda_=st.floats(0.0, 1.0),
)
def test_property_valid_binary_lists(
    scores: np.ndarray, data: st.DataObject, lambda_: float
) -> None:
    n = len(scores)
    tail = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    exclude = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    history = data.draw(st.lists(st.integers(0, n - 1), max_size=8))
    k = data.draw(st.integers(0, n))
    got = debias_popularity(scores, tail, k, binary(lambda_, n), history, exclude)
    items = got.tolist()
    assert len(items) == len(set(items)) == min(k, int((~exclude).sum()))
    assert not exclude[got].any()
    # Only the first item of each group can be promoted: without those, the list is the
    # plain ranking of what is left.
    first: dict[bool, int] = {}
    for col in items:
        first.setdefault(bool(tail[col]), col)
    rest = [col for col in items if col not in first.values()]
    held = exclude.copy()
    held[list(first.values())] = True
    assert rest == top_k(scores, len(rest), held).tolist()


@settings(max_examples=80, deadline=None)
@given(
    scores=hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-5, 5)),
    data=st.data(),
    lambda_=st.floats(0.0, 1.0),
)
def test_property_valid_smooth_lists(
    scores: np.ndarray, data: st.DataObject, lambda_: float
) -> None:
    n = len(scores)
    tail = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    exclude = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    history = data.draw(st.lists(st.integers(0, n - 1), max_size=8))
    k = data.draw(st.integers(0, n))
    config = PopularityDebiasConfig(lambda_=lambda_, pool=n, variant="smooth")
    got = debias_popularity(scores, tail, k, config, history, exclude)
    items = got.tolist()
    assert len(items) == len(set(items)) == min(k, int((~exclude).sum()))
    assert not exclude[got].any()
    # Within each group the list keeps the ranking's order: xQuAD only decides which
    # group's best remaining item comes next.
    for group in (False, True):
        members = [col for col in items if bool(tail[col]) == group]
        held = exclude | (tail != group)
        assert members == top_k(scores, len(members), held).tolist()


@settings(max_examples=80, deadline=None)
@given(
    n_tail_history=st.integers(0, 10),
    n_head_history=st.integers(0, 10),
    k=st.integers(1, 20),
    seed=st.integers(0, 2**16),
)
def test_property_smooth_at_lambda_one_follows_the_tolerance(
    n_tail_history: int, n_head_history: int, k: int, seed: int
) -> None:
    # 40 candidates, 20 in each group, so neither runs out: at lambda = 1 the tail is
    # chosen while its share of the list is below P(tail|u), and the list's tail count
    # ends within one item of k * P(tail|u).
    rng = np.random.default_rng(seed)
    tail = np.array([True, False] * 20 + [True] * 10 + [False] * 10)
    scores = np.concatenate([rng.random(40), np.zeros(20)])
    history = list(range(40, 40 + n_tail_history)) + list(range(50, 50 + n_head_history))
    seen = np.zeros(60, dtype=np.bool_)
    seen[40:] = True
    config = PopularityDebiasConfig(lambda_=1.0, pool=40, variant="smooth")
    got = debias_popularity(scores, tail, k, config, history, seen)
    p_tail = tail_tolerance(tail, history)
    assert abs(int(tail[got].sum()) - k * p_tail) <= 1.0 + 1e-9


@pytest.mark.parametrize(
    "values", [{"lambda_": 1.5}, {"pool": 0}, {"variant": "ternary"}, {"smooth": True}]
)
def test_bad_config_is_invalid_input(values: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="config"):
        make_config(PopularityDebiasConfig, values)


def test_bad_arguments_are_invalid_input() -> None:
    config = PopularityDebiasConfig(pool=5)
    with pytest.raises(InvalidInput, match="long_tail"):
        debias_popularity(np.zeros(5), np.zeros(5), 2, config, [])
    with pytest.raises(InvalidInput, match="history"):
        debias_popularity(np.zeros(5), np.zeros(5, dtype=np.bool_), 2, config, [5])
    with pytest.raises(InvalidInput, match="pool"):
        debias_popularity(np.zeros(9), np.zeros(9, dtype=np.bool_), 6, config, [])
