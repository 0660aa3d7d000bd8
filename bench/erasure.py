"""Erasure timings on the demo store: request to rows gone, and request to models retrained.

    .venv/bin/python bench/erasure.py [--demo-dir bench/out/demo] [-n 5] [--batch 20]

Works on a copy of the demo store (built first if absent, as `bench/decision_latency.py`
does), so the demo itself is left whole. Measures, for `n` subjects taken at random among
those with the most events:

- `rows_gone_s`: from the request to the moment every row about the person is deleted,
  their data key destroyed and the tombstone written (what the HTTP request waits for);
- `retrained_s`: from the request to the served models retrained without them (the
  erasure worker's run, here called inline), one request at a time;

then erases `batch` more subjects at once and times the one training run they share.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from tactful.cli.demo import build_demo
from tactful.service import Tactful
from tactful.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--demo-dir", type=Path, default=Path("bench/out/demo"))
    parser.add_argument("--work-dir", type=Path, default=Path("bench/out/erasure"))
    parser.add_argument("-n", type=int, default=5, help="subjects erased one at a time")
    parser.add_argument("--batch", type=int, default=20, help="subjects erased together")
    args = parser.parse_args()

    if not (args.demo_dir / "demo-built").exists():
        build_demo(Settings(data_dir=args.demo_dir))
        (args.demo_dir / "demo-built").write_text("built\n")
    if args.work_dir.exists():
        shutil.rmtree(args.work_dir)
    shutil.copytree(args.demo_dir, args.work_dir)
    service = Tactful(Settings(data_dir=args.work_dir))
    with service.store.reading() as conn:
        counts = conn.exec_driver_sql(
            "SELECT subject_id, count(*) FROM events GROUP BY subject_id ORDER BY 2 DESC"
        ).all()
        totals = {
            name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
            for name in ("subjects", "events", "decisions")
        }
    rng = np.random.default_rng(7)
    heavy = [str(s) for s, _ in counts[: max(50, args.n + args.batch)]]
    chosen = [heavy[int(i)] for i in rng.permutation(len(heavy))[: args.n + args.batch]]
    events_of = {str(s): int(n) for s, n in counts}

    rows_gone: list[float] = []
    retrained: list[float] = []
    for subject in chosen[: args.n]:
        started = time.perf_counter()
        service.request_erasure(subject, via="operator")
        rows_gone.append(time.perf_counter() - started)
        service.process_erasures()
        retrained.append(time.perf_counter() - started)

    together = chosen[args.n :]
    started = time.perf_counter()
    for subject in together:
        service.request_erasure(subject, via="operator")
    batch_rows = time.perf_counter() - started
    completed = service.process_erasures()
    batch_total = time.perf_counter() - started
    service.close()

    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "store": totals,
        "events_per_erased_subject": {
            "median": statistics.median(events_of[s] for s in chosen),
            "max": max(events_of[s] for s in chosen),
        },
        "one_at_a_time": {
            "subjects": args.n,
            "rows_gone_s": {
                "median": round(statistics.median(rows_gone), 3),
                "max": round(max(rows_gone), 3),
            },
            "retrained_s": {
                "median": round(statistics.median(retrained), 2),
                "max": round(max(retrained), 2),
            },
        },
        "together": {
            "subjects": len(together),
            "completed": completed,
            "all_rows_gone_s": round(batch_rows, 3),
            "all_retrained_s": round(batch_total, 2),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
