"""Binary xQuAD popularity de-biasing: a list worked out by hand, top-k at lambda = 0, and
more of the long tail as lambda grows."""

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
)

# Columns 0-4 are the candidates, scored 1, .9, .8, .3, 0 (rel is the same over the pool);
# 3 and 4 are long tail. Columns 5-9 (head) and 10-11 (tail) are history items.
SCORES = np.array([1.0, 0.9, 0.8, 0.3, 0.0] + [0.0] * 7)
TAIL = np.array([False, False, False, True, True] + [False] * 5 + [True, True])
SEEN = np.zeros(12, dtype=np.bool_)
SEEN[5:] = True


def test_tolerance_is_the_historys_tail_share() -> None:
    assert tail_tolerance(TAIL, [5, 10]) == 0.5
    assert tail_tolerance(TAIL, [5, 6, 7, 8, 10, 10]) == 0.2  # each item counted once
    assert tail_tolerance(TAIL, []) == NO_HISTORY_TOLERANCE == 0.5


def test_a_list_worked_out_by_hand() -> None:
    config = PopularityDebiasConfig(lambda_=0.6, pool=5)
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


def test_a_tail_lover_gets_the_tail_first() -> None:
    # P(tail|u) = 1: step 1, item 3 gains .4 * .3 + .6 = .72 > item 0's .4 (head worth 0).
    config = PopularityDebiasConfig(lambda_=0.6, pool=5)
    assert debias_popularity(SCORES, TAIL, 3, config, [10, 11], SEEN).tolist() == [3, 0, 1]


def test_lambda_zero_is_top_k() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        scores = rng.random(80).astype(np.float32)
        tail = rng.random(80) < 0.7
        exclude = rng.random(80) < 0.2
        history = rng.choice(80, 10, replace=False)
        config = PopularityDebiasConfig(lambda_=0.0, pool=40)
        got = debias_popularity(scores, tail, 10, config, history, exclude)
        assert got.tolist() == top_k(scores, 10, exclude).tolist()


def test_lambda_raises_the_long_tail_share() -> None:
    rng = np.random.default_rng(3)
    n_items, n_users, k = 300, 80, 10
    popularity = rng.lognormal(0.0, 1.0, n_items)
    tail = long_tail_mask(popularity, 0.5)  # the head takes half of the interactions
    head_bias = popularity / popularity.max()
    shares = []
    for lambda_ in np.linspace(0.0, 1.0, 11):
        config = PopularityDebiasConfig(lambda_=float(lambda_), pool=100)
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
    assert all(b >= a for a, b in itertools.pairwise(shares)), shares
    # About .10 at lambda = 0, .15 from lambda = .2 on: the binary variant promotes at most
    # one tail item per list, so the share levels off.
    assert shares[-1] > shares[0] + 0.03


@settings(max_examples=80, deadline=None)
@given(
    scores=hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-5, 5)),
    data=st.data(),
    lambda_=st.floats(0.0, 1.0),
)
def test_property_valid_lists(scores: np.ndarray, data: st.DataObject, lambda_: float) -> None:
    n = len(scores)
    tail = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    exclude = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    history = data.draw(st.lists(st.integers(0, n - 1), max_size=8))
    k = data.draw(st.integers(0, n))
    config = PopularityDebiasConfig(lambda_=lambda_, pool=n)
    got = debias_popularity(scores, tail, k, config, history, exclude)
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


@pytest.mark.parametrize("values", [{"lambda_": 1.5}, {"pool": 0}, {"variant": "smooth"}])
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
