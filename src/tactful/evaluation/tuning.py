"""Hyperparameter tuning by grid search on a validation split carved from training data.

The test part of an evaluation is never seen here: `tune` receives training interactions
only and splits them again (`validation_split`, a seed different from the test split's).
Every combination of the recommender's declared `search_space` is fitted on the fit part
and scored on the validation part; the best mean validation metric wins, the first in grid
order on ties. Independent of any dataset, so `tactful train --tune` can use it on a store.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from tactful import metrics
from tactful.candidates.base import Interactions
from tactful.candidates.registry import RECOMMENDERS, build
from tactful.errors import FieldError, InvalidInput
from tactful.evaluation.ranking import recommend_top_k
from tactful.evaluation.splits import validation_split


@dataclass(frozen=True, slots=True)
class Trial:
    """One grid point: the config tried and its mean validation metric (NaN if no user)."""

    config: dict[str, Any]
    score: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"config": self.config, "score": self.score, "seconds": self.seconds}


@dataclass(frozen=True, slots=True)
class TuningResult:
    model: str
    metric: str
    k: int
    validation_share: float
    validation_seed: int
    validation_users: int
    validation_rows: int
    best_config: dict[str, Any]
    best_score: float
    trials: tuple[Trial, ...]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "metric": self.metric,
            "k": self.k,
            "validation_share": self.validation_share,
            "validation_seed": self.validation_seed,
            "validation_users": self.validation_users,
            "validation_rows": self.validation_rows,
            "best_config": self.best_config,
            "best_score": self.best_score,
            "trials": [t.as_dict() for t in self.trials],
            "seconds": self.seconds,
        }


def grid(search_space: Mapping[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Every combination, fields in declared order, the last varying fastest; {} has one."""
    fields = list(search_space)
    return [
        dict(zip(fields, values, strict=True))
        for values in itertools.product(*(search_space[f] for f in fields))
    ]


def validation_seed(seed: int) -> int:
    """The seed of the validation split: never the test split's own seed."""
    return seed + 1


def tune(
    name: str,
    train: Interactions,
    *,
    seed: int,
    validation_share: float = 0.25,
    metric: str = "ndcg",
    k: int = 10,
    base_config: Mapping[str, Any] | None = None,
) -> TuningResult:
    """Grid-search `name`'s `search_space` on a validation split of `train` only.

    `base_config` fixes fields the grid does not cover. An empty grid gives one trial, of
    the base config. Raises `InvalidInput` for an unknown model or metric.
    """
    if name not in RECOMMENDERS:
        build(name)  # raises the registry's own error, listing the known names
    if metric not in metrics.RANKING_METRICS:
        raise InvalidInput(
            f"Unknown tuning metric {metric!r}.",
            [FieldError("metric", f"Must be one of: {', '.join(metrics.RANKING_METRICS)}.")],
        )
    if k < 1:
        raise InvalidInput("k must be at least 1.", [FieldError("k", str(k))])
    started = time.perf_counter()
    v_seed = validation_seed(seed)
    fit_matrix, held_out = validation_split(train.matrix, validation_share, v_seed)
    fit_part = Interactions(train.subject_ids, train.item_ids, fit_matrix)
    # Only users with both something to learn from and something to find are scored.
    users = np.flatnonzero((np.diff(held_out.indptr) > 0) & (np.diff(fit_matrix.indptr) > 0))
    histories = sparse.csr_array(fit_matrix[users])
    relevant = sparse.csr_array(held_out[users])
    trials: list[Trial] = []
    for point in grid(RECOMMENDERS[name].search_space):
        config = {**(base_config or {}), **point}
        trial_started = time.perf_counter()
        model = build(name, config).fit(fit_part)
        recommended = recommend_top_k(model, histories, k)
        per_user = metrics.per_user_ranking(recommended, relevant, k)
        score = metrics.mean_ranking(per_user)[metric] if len(users) else float("nan")
        trials.append(
            Trial(
                config=model.config.model_dump(mode="json"),
                score=float(score),
                seconds=time.perf_counter() - trial_started,
            )
        )
    best = _best(trials)
    return TuningResult(
        model=name,
        metric=metric,
        k=k,
        validation_share=validation_share,
        validation_seed=v_seed,
        validation_users=len(users),
        validation_rows=int(relevant.nnz),
        best_config=best.config,
        best_score=best.score,
        trials=tuple(trials),
        seconds=time.perf_counter() - started,
    )


def _best(trials: list[Trial]) -> Trial:
    """Highest score, first on ties; NaN scores only win when every score is NaN."""
    best = trials[0]
    for trial in trials[1:]:
        if (np.isnan(best.score) and not np.isnan(trial.score)) or trial.score > best.score:
            best = trial
    return best
