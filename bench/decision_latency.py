"""Demo build time and in-process decision latency, on the demo store.

    .venv/bin/python bench/decision_latency.py [--data-dir bench/out/demo] [--rebuild] [-n 2000]

Prints the build timings (when it builds), then the median and p99 of one whole decision
(consent, signals, candidates, guardrails, explanations, stored record) through the Python
API, and of the bare model scoring call on the same histories.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from tactful.candidates.base import History
from tactful.cli.demo import build_demo
from tactful.service import Tactful
from tactful.settings import Settings


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/demo"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("-n", type=int, default=2000, help="decisions to time")
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir)
    report: dict[str, object] = {}
    marker = args.data_dir / "demo-built"
    if args.rebuild and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    if not marker.exists():
        timings = build_demo(settings)
        marker.write_text("built\n")
        report["build_seconds"] = {k: round(v, 2) for k, v in timings.items()}

    service = Tactful(settings)
    rng = np.random.default_rng(1)
    with service.store.reading() as conn:
        subjects = [
            row[0]
            for row in conn.exec_driver_sql("SELECT subject_id FROM subjects ORDER BY subject_id")
        ]
    sample = [subjects[int(i)] for i in rng.integers(0, len(subjects), size=args.n)]
    for subject in sample[:50]:  # warm caches and model loading
        service.recommend(subject, k=10)

    whole: list[float] = []
    personalized = 0
    histories: list[History] = []
    for subject in sample:
        started = time.perf_counter()
        record = service.recommend(subject, k=10)
        whole.append((time.perf_counter() - started) * 1000)
        personalized += bool(record["personalized"])

    with service.store.reading() as conn:
        model = service._model(conn, service.settings.personal_model)
    for subject in sample:
        with service.store.reading() as conn:
            events = service.store.events_for(conn, subject)
        cols = [model.index[e.item_id] for e in events if e.item_id in model.index]
        histories.append(
            History(np.array(cols, dtype=np.int64), np.ones(len(cols), dtype=np.float32))
        )
    bare: list[float] = []
    for history in histories:
        started = time.perf_counter()
        model.recommender.score(history)
        bare.append((time.perf_counter() - started) * 1000)
    service.close()

    report["decisions"] = args.n
    report["personalized_share"] = round(personalized / args.n, 3)
    report["whole_decision_ms"] = {
        "median": round(statistics.median(whole), 3),
        "p99": round(percentile(whole, 99), 3),
    }
    report["bare_model_score_ms"] = {
        "median": round(statistics.median(bare), 3),
        "p99": round(percentile(bare, 99), 3),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
