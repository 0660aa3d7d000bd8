"""One train/test pair turned into what models and metrics take, and one model run on it.

Columns are the items seen in training (the catalog a model can rank), in ascending movie
id; items that occur only in the test part are appended after them in the relevance
matrix, so they count as relevant (as in the Recommenders benchmark) though no model can
recommend them. Rows are the users with training ratings; only those with test ratings
are evaluated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from tactful import metrics
from tactful.candidates.base import IndexArray, Interactions
from tactful.candidates.registry import RECOMMENDERS, build
from tactful.evaluation.data import Dataset, Ratings, item_id, subject_id
from tactful.evaluation.protocols import Protocol
from tactful.evaluation.ranking import recommend_top_k
from tactful.evaluation.tuning import TuningResult, tune


@dataclass(frozen=True)
class Experiment:
    train: Interactions
    eval_rows: IndexArray  # rows of train.matrix that are evaluated
    relevant: sparse.csr_array  # (len(eval_rows), train items + test-only items)
    genres: sparse.csr_array  # (train items, genres), 1 where the item has the genre
    labels: dict[str, list[str | None]]  # attribute -> label per evaluated user
    counts: dict[str, int]


@dataclass(frozen=True)
class ModelRun:
    model: str
    config: dict[str, Any]
    tuning: TuningResult | None
    fit_seconds: float
    recommend_seconds: float
    metrics: dict[str, float]
    groups: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "config": self.config,
            "tuning": self.tuning.as_dict() if self.tuning is not None else None,
            "fit_seconds": self.fit_seconds,
            "recommend_seconds": self.recommend_seconds,
            "metrics": self.metrics,
            "groups": self.groups,
        }


def build_experiment(
    train: Ratings, test: Ratings, dataset: Dataset, attributes: tuple[str, ...] = ()
) -> Experiment:
    users = np.unique(train.users)
    items = np.unique(train.items)
    rows = np.searchsorted(users, train.users)
    cols = np.searchsorted(items, train.items)
    matrix = sparse.csr_array(
        (np.ones(len(train), dtype=np.float32), (rows, cols)), shape=(len(users), len(items))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0  # a pair rated twice is still one interaction
    interactions = Interactions(
        np.array([subject_id(int(u)) for u in users], dtype=np.str_),
        np.array([item_id(int(i)) for i in items], dtype=np.str_),
        matrix,
    )
    # Evaluated users: test ratings and training ratings.
    known_user = np.isin(test.users, users)
    test = test.take(np.flatnonzero(known_user))
    eval_users = np.unique(test.users)
    eval_rows = np.searchsorted(users, eval_users)
    unknown_items = np.setdiff1d(test.items, items)
    catalog = np.concatenate([items, unknown_items])
    order = np.argsort(catalog, kind="stable")
    t_cols = order[np.searchsorted(catalog[order], test.items)]
    t_rows = np.searchsorted(eval_users, test.users)
    relevant = sparse.csr_array(
        (np.ones(len(test), dtype=np.float32), (t_rows, t_cols)),
        shape=(len(eval_users), len(catalog)),
    )
    relevant.sum_duplicates()
    labels = {
        attribute: [dataset.attributes.get(int(u), {}).get(attribute) for u in eval_users]
        for attribute in attributes
    }
    counts = {
        "train_ratings": len(train),
        "test_ratings": len(test),
        "train_users": len(users),
        "train_items": len(items),
        "evaluated_users": len(eval_users),
        "test_only_items": len(unknown_items),
    }
    return Experiment(interactions, eval_rows, relevant, _genres(items, dataset), labels, counts)


def _genres(items: IndexArray, dataset: Dataset) -> sparse.csr_array:
    vocabulary = sorted({g for i in items for g in dataset.genres.get(int(i), ())})
    index = {g: n for n, g in enumerate(vocabulary)}
    rows, cols = [], []
    for row, movie in enumerate(items):
        for genre in dataset.genres.get(int(movie), ()):
            rows.append(row)
            cols.append(index[genre])
    return sparse.csr_array(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)),
        shape=(len(items), max(1, len(vocabulary))),
    )


def seeded_config(name: str, seed: int) -> dict[str, Any]:
    """A model whose config has a `seed` field gets the run's seed, so one seed governs all."""
    return {"seed": seed} if "seed" in RECOMMENDERS[name].config_type.model_fields else {}


def run_model(
    name: str, experiment: Experiment, protocol: Protocol, *, tuned: bool, seed: int
) -> ModelRun:
    """Tune (on training data only), refit on the whole training part, rank, measure."""
    k = protocol.k
    tuning = None
    base = seeded_config(name, seed)
    if tuned and RECOMMENDERS[name].search_space:
        tuning = tune(name, experiment.train, seed=seed, k=k, base_config=base)
        model = build(name, tuning.best_config)
    else:
        model = build(name, base)
    started = time.perf_counter()
    model.fit(experiment.train)
    fitted = time.perf_counter()
    histories = sparse.csr_array(experiment.train.matrix[experiment.eval_rows])
    recommended = recommend_top_k(model, histories, k)
    ranked = time.perf_counter()
    per_user = metrics.per_user_ranking(recommended, experiment.relevant, k)
    values: dict[str, float] = dict(metrics.mean_ranking(per_user))
    popularity = metrics.item_popularity(experiment.train.matrix)
    n_items = experiment.train.n_items
    values["coverage"] = metrics.catalog_coverage(recommended, n_items)
    values["arp"] = metrics.average_popularity(recommended, popularity)
    values["long_tail"] = metrics.long_tail_share(recommended, metrics.long_tail_mask(popularity))
    values["ild"] = metrics.intra_list_diversity(recommended, experiment.genres)
    values["novelty"] = metrics.novelty(recommended, popularity, experiment.train.matrix.shape[0])
    values["miscalibration"] = metrics.miscalibration(recommended, histories, experiment.genres)
    groups = {
        attribute: metrics.by_group(
            per_user, labels, attribute, min_users=protocol.group_min_users
        ).as_dict()
        for attribute, labels in experiment.labels.items()
    }
    return ModelRun(
        model=name,
        config=model.config.model_dump(mode="json"),
        tuning=tuning,
        fit_seconds=fitted - started,
        recommend_seconds=ranked - fitted,
        metrics={key: float(value) for key, value in values.items()},
        groups=groups,
    )
