"""On real ml-100k data, each re-ranker moves the metric it is meant to move."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from tactful import metrics
from tactful.candidates.base import top_k
from tactful.candidates.registry import build
from tactful.evaluation.data import load_dataset
from tactful.evaluation.experiment import build_experiment
from tactful.evaluation.protocols import get_protocol
from tactful.evaluation.splits import stratified_split
from tactful.reranking.calibration import CalibrationConfig, calibrate
from tactful.reranking.exploration import ExplorationConfig, explore
from tactful.reranking.mmr import MMRConfig, mmr
from tests.conftest import DATASETS, need_service

K = 10


@pytest.mark.slow
def test_rerankers_on_ml100k() -> None:
    if not (DATASETS / "ml-100k" / "u.data").is_file():
        need_service(f"MovieLens ml-100k not found in {DATASETS}")
    protocol = get_protocol("msr-ml100k")
    dataset = load_dataset(protocol, DATASETS)
    ratings = dataset.ratings("u.data")
    split = stratified_split(ratings.users, ratings.items, 0.75, 42, by="item")
    experiment = build_experiment(ratings.take(split.train), ratings.take(split.test), dataset)
    model = build("ease").fit(experiment.train)
    rows = experiment.eval_rows[:150]
    histories = sparse.csr_array(experiment.train.matrix[rows])
    scores = model.score_batch(histories)
    seen = histories.toarray() != 0
    flags = experiment.genres.toarray()
    tables = {name: np.full((len(rows), K), -1, dtype=np.int64) for name in ("top", "mmr", "cal")}
    explored = np.full((len(rows), K), -1, dtype=np.int64)
    for n in range(len(rows)):
        history = np.flatnonzero(seen[n])
        tables["top"][n] = top_k(scores[n], K, seen[n])
        tables["mmr"][n] = mmr(scores[n], flags, K, MMRConfig(lambda_=0.5), seen[n])
        tables["cal"][n] = calibrate(
            scores[n], flags, K, CalibrationConfig(lambda_=0.5), history, seen[n]
        )
        explored[n] = explore(scores[n], K, ExplorationConfig(share=0.2, seed=n), seen[n]).items
        for table in (*tables.values(), explored):
            assert not seen[n][table[n]].any()
    genres = experiment.genres
    ild = {name: metrics.intra_list_diversity(t, genres) for name, t in tables.items()}
    cal = {name: metrics.miscalibration(t, histories, genres) for name, t in tables.items()}
    n_items = experiment.train.n_items
    assert ild["mmr"] > ild["top"] + 0.05
    assert cal["cal"] < 0.8 * cal["top"]
    assert metrics.catalog_coverage(explored, n_items) > 2 * metrics.catalog_coverage(
        tables["top"], n_items
    )
