"""The exploration share: exact counts, a reproducible draw, and only from the tail."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tactful.candidates.base import top_k
from tactful.errors import InvalidInput
from tactful.reranking import make_config
from tactful.reranking.exploration import ExplorationConfig, explore, explored_count


def test_share_zero_is_top_k() -> None:
    scores = np.random.default_rng(3).random(500).astype(np.float32)
    got = explore(scores, 10, ExplorationConfig(share=0.0))
    assert got.items.tolist() == top_k(scores, 10).tolist()
    assert not got.explored.any()


@pytest.mark.parametrize(
    ("share", "k", "n"), [(0.1, 10, 1), (0.25, 10, 3), (0.5, 5, 3), (1.0, 10, 10), (0.04, 10, 0)]
)
def test_explored_count_is_exact(share: float, k: int, n: int) -> None:
    assert explored_count(share, k) == n
    scores = np.random.default_rng(4).random(500)
    got = explore(scores, k, ExplorationConfig(share=share, tail_from=50))
    assert int(got.explored.sum()) == n
    assert len(got.items) == k
    assert not got.explored[: k - n].any()  # the explored items follow the top ones


def test_a_seed_reproduces_the_list_and_another_seed_differs() -> None:
    scores = np.random.default_rng(5).random(1000)
    one = explore(scores, 10, ExplorationConfig(share=0.3, seed=7))
    again = explore(scores, 10, ExplorationConfig(share=0.3, seed=7))
    other = explore(scores, 10, ExplorationConfig(share=0.3, seed=8))
    assert one.items.tolist() == again.items.tolist()
    assert one.items.tolist() != other.items.tolist()


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    k=st.integers(0, 20),
    share=st.floats(0.0, 1.0),
    tail_from=st.integers(1, 100),
    seed=st.integers(0, 2**32),
)
def test_explored_items_come_from_the_tail_never_excluded(
    n: int, k: int, share: float, tail_from: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.random(n).astype(np.float32)
    exclude = rng.random(n) < 0.3
    got = explore(
        scores, k, ExplorationConfig(share=share, tail_from=tail_from, seed=seed), exclude
    )
    ranking = top_k(scores, n, exclude).tolist()
    items = got.items.tolist()
    assert len(items) == len(set(items)) == min(k, len(ranking))
    assert not exclude[got.items].any()
    for item, explored in zip(items, got.explored.tolist(), strict=True):
        if explored:
            assert ranking.index(item) >= max(tail_from, k)


def test_tail_shorter_than_the_share_is_topped_up_from_the_ranking() -> None:
    scores = np.arange(12, dtype=np.float64)
    got = explore(scores, 10, ExplorationConfig(share=0.5, tail_from=10))
    assert int(got.explored.sum()) == 2
    assert len(got.items) == 10


@pytest.mark.parametrize("values", [{"share": 1.01}, {"share": -0.5}, {"tail_from": 0}])
def test_bad_config_is_invalid_input(values: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="config"):
        make_config(ExplorationConfig, values)
