"""Tuning searches the whole grid, on training data only, deterministically."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import sparse

from tactful import metrics
from tactful.candidates.base import Interactions
from tactful.candidates.registry import RECOMMENDERS
from tactful.errors import InvalidInput
from tactful.evaluation import tuning
from tactful.evaluation.splits import stratified_split


def _clustered(seed: int = 3) -> tuple[Interactions, sparse.csr_array]:
    """Train and test matrices (50 users x 40 items, two taste clusters), disjoint."""
    gen = np.random.default_rng(seed)
    rows, cols = [], []
    for user in range(50):
        own = np.arange(20) + 20 * (user % 2)
        for item in gen.choice(own, size=14, replace=False):
            rows.append(user)
            cols.append(int(item))
    split = stratified_split(rows, cols, 0.75, seed=42)
    r, c = np.asarray(rows), np.asarray(cols)

    def matrix(index: np.ndarray) -> sparse.csr_array:
        ones = np.ones(len(index), dtype=np.float32)
        return sparse.csr_array((ones, (r[index], c[index])), shape=(50, 40))

    train = Interactions(
        np.array([f"s{u:02d}" for u in range(50)]),
        np.array([f"i{i:02d}" for i in range(40)]),
        matrix(split.train),
    )
    return train, matrix(split.test)


def test_grid_is_every_combination_in_declared_order() -> None:
    points = tuning.grid({"a": (1, 2), "b": ("x", "y", "z")})
    assert points == [{"a": a, "b": b} for a in (1, 2) for b in ("x", "y", "z")]
    assert tuning.grid({}) == [{}]  # one point: the defaults


def test_tuning_tries_every_point_and_picks_the_best() -> None:
    train, _ = _clustered()
    result = tuning.tune("itemknn", train, seed=42)
    space = RECOMMENDERS["itemknn"].search_space
    assert len(result.trials) == len(tuning.grid(space))
    for trial, point in zip(result.trials, tuning.grid(space), strict=True):
        assert {key: trial.config[key] for key in point} == point
    scores = [t.score for t in result.trials]
    assert result.best_score == max(scores)
    assert result.best_config == result.trials[scores.index(max(scores))].config
    assert result.validation_seed == 43
    assert result.validation_users > 0
    as_dict = result.as_dict()
    assert len(as_dict["trials"]) == len(result.trials)


def test_tuning_is_deterministic() -> None:
    train, _ = _clustered()
    a = tuning.tune("ease", train, seed=42)
    b = tuning.tune("ease", train, seed=42)
    assert [t.score for t in a.trials] == [t.score for t in b.trials]
    assert a.best_config == b.best_config


def test_tuning_scores_only_rows_held_out_of_training(monkeypatch: pytest.MonkeyPatch) -> None:
    train, test = _clustered()
    seen: list[Any] = []
    real = metrics.per_user_ranking

    def spy(recommended: Any, relevant: sparse.csr_array, k: int) -> Any:
        seen.append(relevant)
        return real(recommended, relevant, k)

    monkeypatch.setattr(tuning.metrics, "per_user_ranking", spy)
    result = tuning.tune("ease", train, seed=42)
    assert len(seen) == len(result.trials)
    # Scored users are those with held-out rows; map their rows back to the full matrix.
    fit, held_out = tuning.validation_split(train.matrix, 0.25, tuning.validation_seed(42))
    users = np.flatnonzero((np.diff(held_out.indptr) > 0) & (np.diff(fit.indptr) > 0))
    for relevant in seen:
        full = sparse.csr_array(
            (relevant.tocoo().data, (users[relevant.tocoo().row], relevant.tocoo().col)),
            shape=train.matrix.shape,
        )
        assert full.multiply(train.matrix).nnz == full.nnz  # every scored row is training
        assert full.multiply(test).nnz == 0  # and none is a test row
    assert result.validation_rows == held_out[users].nnz


def test_an_empty_grid_gives_one_trial_of_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    train, _ = _clustered()
    monkeypatch.setattr(RECOMMENDERS["popularity"], "search_space", {})
    result = tuning.tune("popularity", train, seed=1)
    assert len(result.trials) == 1
    assert result.best_config == {"weighting": "count"}


def test_unknown_model_or_metric_is_invalid_input() -> None:
    train, _ = _clustered()
    with pytest.raises(InvalidInput):
        tuning.tune("nonesuch", train, seed=1)
    with pytest.raises(InvalidInput):
        tuning.tune("ease", train, seed=1, metric="auc")
