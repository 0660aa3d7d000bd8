"""MMR against top-k and against a list worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tactful.candidates.base import top_k
from tactful.errors import InvalidInput
from tactful.reranking import make_config
from tactful.reranking.mmr import MMRConfig, jaccard, mmr

A, B = 0, 1


def test_lambda_one_is_top_k() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        scores = rng.random(60).astype(np.float32)
        cats = rng.integers(0, 4, 60)
        exclude = rng.random(60) < 0.2
        got = mmr(scores, cats, 10, MMRConfig(lambda_=1.0, pool=30), exclude)
        assert got.tolist() == top_k(scores, 10, exclude).tolist()


def test_half_lambda_swaps_in_an_item_of_another_category() -> None:
    # rel = [1, .9, .5, 0]. Step 1 takes item 0. Step 2: item 1 gains .45 - .5 (same
    # category as item 0), item 2 gains .25 - 0, item 3 gains 0 - .5: item 2 comes in.
    scores = np.array([1.0, 0.9, 0.5, 0.0], dtype=np.float32)
    cats = np.array([A, A, B, A])
    assert top_k(scores, 2).tolist() == [0, 1]
    assert mmr(scores, cats, 2, MMRConfig(lambda_=0.5, pool=4)).tolist() == [0, 2]


def test_category_sets_use_jaccard() -> None:
    flags = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 0]], dtype=np.float64)
    sim = jaccard(flags)
    assert sim[0, 1] == pytest.approx(1 / 3)
    assert sim[0, 2] == 0.0
    assert sim[2, 2] == 0.0
    scores = np.array([1.0, 0.9, 0.5, 0.0])
    as_sets = mmr(scores, [{0, 1}, {0, 1}, {2}, {0}], 2, MMRConfig(lambda_=0.5, pool=4))
    assert as_sets.tolist() == [0, 2]


def test_distinct_never_excluded_and_only_from_pool() -> None:
    rng = np.random.default_rng(2)
    scores = rng.random(200).astype(np.float32)
    cats = rng.integers(0, 3, 200)
    exclude = np.zeros(200, dtype=np.bool_)
    exclude[np.argsort(-scores)[:5]] = True  # the five best are masked by guardrails
    got = mmr(scores, cats, 20, MMRConfig(lambda_=0.3, pool=40), exclude)
    assert len(got) == 20
    assert len(set(got.tolist())) == 20
    assert not exclude[got].any()
    assert set(got.tolist()) <= set(top_k(scores, 40, exclude).tolist())


def test_short_catalogue_gives_a_short_list() -> None:
    got = mmr(np.array([0.2, np.nan, 0.1]), np.array([0, 0, 1]), 3, MMRConfig(pool=5))
    assert sorted(got.tolist()) == [0, 2]


@pytest.mark.parametrize(
    "values", [{"lambda_": 1.5}, {"lambda_": -0.1}, {"pool": 0}, {"lamda": 0.5}]
)
def test_bad_config_is_invalid_input(values: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="config"):
        make_config(MMRConfig, values)


def test_pool_smaller_than_k_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="pool"):
        mmr(np.zeros(10), np.zeros(10, dtype=np.int64), 5, MMRConfig(pool=3))
