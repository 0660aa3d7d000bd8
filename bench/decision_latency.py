"""Demo build time and in-process decision latency, on the demo store.

    .venv/bin/python bench/decision_latency.py [--data-dir bench/out/demo] [--rebuild] [-n 3000]

Prints the build timings (when it builds), then, for the same random demo subjects:

- `whole_decision`: one `Tactful.recommend` call: consent and level, the signals they
  allow read from the store, scoring, guardrails, top k, explanations, and the decision
  record written to the store;
- `bare_model_score`: the personal model's scoring call alone, on the same history;
- `bare_recommend`: what an engine with no consent layer would do for the same request:
  read the subject's recent history from the store, score it, drop seen items, take the top k;

and the ratios of the whole decision to each. Timings are wall-clock milliseconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tactful.candidates.base import History, top_k
from tactful.cli.demo import build_demo
from tactful.domain.events import EventType
from tactful.service import Tactful
from tactful.settings import Settings


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "p99": round(float(np.percentile(np.array(values), 99)), 3),
        "mean": round(statistics.fmean(values), 3),
    }


def timed(calls: list[Callable[[], object]]) -> list[float]:
    out: list[float] = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/demo"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("-n", type=int, default=3000, help="decisions to time")
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir)
    report: dict[str, Any] = {"machine": f"{platform.machine()}, {platform.python_version()}"}
    marker = args.data_dir / "demo-built"
    if args.rebuild and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    if not marker.exists():
        timings = build_demo(settings)
        marker.write_text("built\n")
        report["build_seconds"] = {k: round(v, 2) for k, v in timings.items()}

    service = Tactful(settings)
    store = service.store
    with store.reading() as conn:
        subjects = [r[0] for r in conn.exec_driver_sql("SELECT subject_id FROM subjects")]
        model = service._model(conn, settings.personal_model)
    subjects.sort()
    rng = np.random.default_rng(1)
    sample = [subjects[int(i)] for i in rng.integers(0, len(subjects), size=args.n)]

    def whole(subject: str) -> Callable[[], object]:
        return lambda: service.recommend(subject, k=args.k)

    every_type = list(EventType)

    def history_of(subject: str) -> History:
        with store.reading() as conn:
            events = store.recent_signals(conn, subject, every_type, settings.history_limit)
        cols = sorted({model.index[e.item_id] for e in events if e.item_id in model.index})
        return History(np.array(cols, dtype=np.int64), np.ones(len(cols), dtype=np.float32))

    def bare_recommend(subject: str) -> Callable[[], object]:
        def call() -> object:
            history = history_of(subject)
            seen = np.zeros(model.recommender.n_items, dtype=bool)
            seen[history.items] = True
            return top_k(model.recommender.score(history), args.k, seen)

        return call

    histories = [history_of(s) for s in sample]

    def bare_score(history: History) -> Callable[[], object]:
        return lambda: model.recommender.score(history)

    for subject in sample[:100]:  # warm caches, model loading and the OS page cache
        service.recommend(subject, k=args.k)
        bare_recommend(subject)()
    # Interleave the three so that background load on the machine hits each alike.
    results: dict[str, list[float]] = {"whole": [], "bare_recommend": [], "bare_score": []}
    gc.collect()
    for start in range(0, len(sample), 100):
        chunk = sample[start : start + 100]
        results["whole"] += timed([whole(s) for s in chunk])
        results["bare_recommend"] += timed([bare_recommend(s) for s in chunk])
        results["bare_score"] += timed([bare_score(h) for h in histories[start : start + 100]])
    service.close()

    report["decisions"] = args.n
    report["personal_model"] = model.name
    report["mean_history_items"] = round(statistics.fmean(len(h) for h in histories), 1)
    report["whole_decision_ms"] = summary(results["whole"])
    report["bare_model_score_ms"] = summary(results["bare_score"])
    report["bare_recommend_ms"] = summary(results["bare_recommend"])
    whole_median = statistics.median(results["whole"])
    report["ratio_whole_to_bare_score_median"] = round(
        whole_median / statistics.median(results["bare_score"]), 1
    )
    report["ratio_whole_to_bare_recommend_median"] = round(
        whole_median / statistics.median(results["bare_recommend"]), 2
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
