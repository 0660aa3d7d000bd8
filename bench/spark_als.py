"""ALS trained on Apache Spark against Tactful's single-machine ALS, on ml-100k.

    .venv/bin/python bench/spark_als.py [--datasets ../shared/datasets] [--master local[2]]
        [--seed 42] [--json PATH]

Both engines fit the same training matrix of the msr-ml100k split (`bench/_ml100k.py`,
as section 1 of docs/benchmarks.md: every training rating, binarized) with the same
config, and both are scored by the same code: Tactful's `ALSRecommender`, folding each
user's training history in against the item factors (Spark's are collected and handed to
it, as `tactful train --engine spark` does). So the figures differ only by who learned the
item factors. Lists leave out the training films; relevance is every test rating.

Two configs: Tactful's default, and the one tuned on msr-ml100k's validation split (§1).
For each, a third row trains Spark with regParam = λ as given, without the rescaling
by the mean number of positives per user that Tactful applies (Spark multiplies regParam
by each row's count: see `tactful.training.spark_als`), to show what the mapping is for.

Wall time: the fit alone for Tactful (implicit, one BLAS thread, as `Tactful.train`); for
Spark, handing the matrix to Spark through Arrow, the fit and collecting the item factors,
on a session already started (its start is reported apart). Each engine fits once,
untimed, before its timed fits; the single-machine fits run before Spark starts.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import _ml100k as ml

from tactful.candidates.als import ALSConfig, ALSRecommender
from tactful.candidates.base import Recommender
from tactful.training.spark_als import fit_on_spark, frame_from_interactions, start_spark

CONFIGS = {
    "default (64 factors, λ = 20, alpha = 1, 15 iterations)": {},
    "tuned on msr-ml100k (64 factors, λ = 30, alpha = 2, 15 iterations)": {
        "regularization": 30.0,
        "alpha": 2.0,
    },
}


def measure(bench: ml.Bench, model: Recommender[Any]) -> dict[str, float]:
    """nDCG, precision and recall at 10 (means over users) and catalog coverage."""
    history = bench.history
    scores = model.score_batch(history)
    table = ml.rank(scores, history.toarray() != 0)
    per_user = ml.accuracy(bench, table)
    return {
        "ndcg": ml.mean(per_user["ndcg"]),
        "precision": ml.mean(per_user["precision"]),
        "recall": ml.mean(per_user["recall"]),
        "coverage": ml.beyond(bench, table)["coverage"],
    }


def run(bench: ml.Bench, master: str) -> dict[str, Any]:
    train = bench.experiment.train
    configs = {label: ALSConfig(seed=bench.seed, **o) for label, o in CONFIGS.items()}
    rows: list[dict[str, Any]] = []
    # The single-machine fits first, before the JVM starts, so neither engine's times
    # include the other's background work. Each engine fits once untimed first (one
    # iteration), so one-time costs (the JVM's compilation, implicit's first call) are out.
    ALSRecommender(ALSConfig(iterations=1, seed=bench.seed)).fit(train)
    for label, config in configs.items():
        began = time.perf_counter()
        local = ALSRecommender(config).fit(train)
        seconds = time.perf_counter() - began
        rows.append(
            {"config": label, "engine": "Tactful (implicit, 1 machine)"}
            | measure(bench, local)
            | {"seconds": seconds}
        )
    started = time.perf_counter()
    spark = start_spark(master)
    start_seconds = time.perf_counter() - started
    try:
        warm = ALSConfig(iterations=1, seed=bench.seed)
        fit_on_spark(spark, frame_from_interactions(spark, train), train.item_ids, warm)
        for label, config in configs.items():
            for literal in (False, True):
                began = time.perf_counter()
                fit = fit_on_spark(
                    spark,
                    frame_from_interactions(spark, train),
                    train.item_ids,
                    config,
                    reg_param=config.regularization if literal else None,
                )
                seconds = time.perf_counter() - began
                reg = fit.trained_on["reg_param"]
                engine = (
                    f"Spark, regParam = λ = {reg:g} (not rescaled)"
                    if literal
                    else f"Spark, regParam = λ / {fit.trained_on['mean_positives_per_subject']:g}"
                    f" = {reg:.3f}"
                )
                rows.append(
                    {"config": label, "engine": engine}
                    | measure(bench, fit.recommender)
                    | {"seconds": seconds}
                )
        version = spark.version
        spark_master = spark.sparkContext.master
        partitions = spark.sparkContext.defaultParallelism
    finally:
        spark.stop()
    order = list(CONFIGS)
    rows.sort(key=lambda row: order.index(row["config"]))  # stable: engines stay in order
    return {
        "protocol": ml.PROTOCOL,
        "users": len(bench.users),
        "items": bench.n_items,
        "training_cells": int(train.matrix.nnz),
        "spark": {
            "version": version,
            "master": spark_master,
            "partitions": partitions,
            "start_seconds": start_seconds,
        },
        "rows": rows,
    }


def table(report: dict[str, Any]) -> str:
    lines = [
        "| config | engine | nDCG@10 | P@10 | R@10 | coverage | wall time |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['config']} | {row['engine']} | {row['ndcg']:.4f} | {row['precision']:.4f} "
            f"| {row['recall']:.4f} | {row['coverage']:.4f} | {row['seconds']:.1f} s |"
        )
    spark = report["spark"]
    lines.append(
        f"\nSpark {spark['version']} on {spark['master']} ({spark['partitions']} partitions); "
        f"session start {spark['start_seconds']:.1f} s. {report['users']} users, "
        f"{report['items']} items, {report['training_cells']} training cells."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    report = run(ml.load_bench(args.datasets, seed=args.seed), args.master)
    print(table(report))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(ml.clean(report), indent=2, allow_nan=False))


if __name__ == "__main__":
    main()
