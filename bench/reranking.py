"""Accuracy cost and diversity gain of each re-ranker on ml-100k.

    .venv/bin/python bench/reranking.py [--datasets ../shared/datasets] [--model ease]
        [--users 0] [--seed 42]

The data are split as the msr-ml100k protocol of `tactful evaluate` splits them (75/25
stratified by item, seed 42; `tactful.evaluation`, through `bench/_ml100k.py`), the base
model is fitted on the training part with its default config (no tuning), and each
evaluated user's scores over the items they have not rated are re-ranked to a top-10.
Genres are the categories. Per re-ranker setting: nDCG@10, intra-list diversity,
miscalibration (Steck) and catalog coverage, with the metrics of `tactful.metrics`.
`--users N` evaluates a seeded sample of N users instead of all of them. The MovieLens
files are read in place, never copied.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _ml100k as ml
import numpy as np
import numpy.typing as npt

from tactful import metrics
from tactful.candidates.base import IndexArray, top_k
from tactful.reranking.calibration import CalibrationConfig, calibrate
from tactful.reranking.exploration import ExplorationConfig, explore
from tactful.reranking.mmr import MMRConfig, mmr

K = ml.K
Scores = npt.NDArray[np.float32]
Flags = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
# ranker(scores, genre flags, history columns, exclude, user) -> the list, best first
Ranker = Callable[[Scores, Flags, IndexArray, Mask, int], IndexArray]


def _mmr(config: MMRConfig) -> Ranker:
    def run(s: Scores, f: Flags, h: IndexArray, x: Mask, r: int) -> IndexArray:
        return mmr(s, f, K, config, x)

    return run


def _calibrate(config: CalibrationConfig) -> Ranker:
    def run(s: Scores, f: Flags, h: IndexArray, x: Mask, r: int) -> IndexArray:
        return calibrate(s, f, K, config, h, x)

    return run


def _explore(share: float, seed: int) -> Ranker:
    def run(s: Scores, f: Flags, h: IndexArray, x: Mask, r: int) -> IndexArray:
        # One seed per user, derived from the run's seed, so users do not all get the same
        # tail positions and the run is still reproducible.
        config = ExplorationConfig(share=share, seed=seed + r, tail_from=100)
        return explore(s, K, config, x).items

    return run


def _top_k(s: Scores, f: Flags, h: IndexArray, x: Mask, r: int) -> IndexArray:
    return top_k(s, K, x)


def rankers(seed: int) -> list[tuple[str, Ranker]]:
    out: list[tuple[str, Ranker]] = [("top-k", _top_k)]
    out += [(f"mmr lambda={v}", _mmr(MMRConfig(lambda_=v, pool=100))) for v in (0.9, 0.7, 0.5)]
    out += [
        (f"calibration lambda={v}", _calibrate(CalibrationConfig(lambda_=v, pool=100)))
        for v in (0.2, 0.5, 0.9)
    ]
    out += [(f"exploration share={v}", _explore(v, seed)) for v in (0.1, 0.2, 0.3)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--model", default="ease")
    parser.add_argument("--users", type=int, default=0, help="seeded sample size (0: all)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    bench = ml.load_bench(args.datasets, args.seed, args.users)
    experiment = bench.experiment
    model = ml.fit(args.model, experiment.train, args.seed)
    users = bench.users
    histories = bench.history
    scores = model.score_batch(histories)
    seen = histories.toarray() != 0
    flags = experiment.genres.toarray().astype(np.float64)

    results: dict[str, dict[str, float]] = {}
    for label, rank in rankers(args.seed):
        # One user's ranker as the shared loop calls it: (scores, exclude, history, n).
        def run(s: Scores, x: Mask, h: IndexArray, n: int, rank: Ranker = rank) -> IndexArray:
            return rank(s, flags, h, x, int(users[n]))

        table, ms = ml.rerank(scores, seen, histories, run)
        ranking = metrics.mean_ranking(ml.accuracy(bench, table))
        results[label] = {
            "ndcg@10": ranking["ndcg"],
            "ild": metrics.intra_list_diversity(table, experiment.genres),
            "miscalibration": metrics.miscalibration(table, histories, experiment.genres),
            "coverage": metrics.catalog_coverage(table, bench.n_items),
            "long_tail": metrics.long_tail_share(table, bench.long_tail),
            "ms_per_user": ms,
        }
    report: dict[str, Any] = {
        "protocol": bench.protocol.name,
        "model": args.model,
        "model_config": model.config.model_dump(mode="json"),
        "seed": args.seed,
        "users": len(users),
        "sampled": bench.sampled,
        "k": K,
        "results": results,
    }
    print(json.dumps(report, indent=2))
    print()
    print("| re-ranker | nDCG@10 | ILD | miscalibration | coverage | long tail | ms/user |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, row in results.items():
        print(
            f"| {label} | {row['ndcg@10']:.4f} | {row['ild']:.4f} | {row['miscalibration']:.4f}"
            f" | {row['coverage']:.4f} | {row['long_tail']:.4f} | {row['ms_per_user']:.2f} |"
        )


if __name__ == "__main__":
    main()
