"""Training time of every registered recommender, on ml-100k and on the demo store.

    .venv/bin/python bench/training_time.py [--datasets ../shared/datasets] [--demo bench/out/demo]

Each run goes through `Tactful.train`: it reads the consented signals from the store, fits,
and saves the model files, so the figure is what an operator waits for.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.progress import Progress

from tactful.candidates.registry import RECOMMENDERS
from tactful.cli.demo import build_demo
from tactful.cli.importing import import_movielens
from tactful.service import Tactful
from tactful.settings import Settings


def time_training(settings: Settings) -> dict[str, float]:
    service = Tactful(settings)
    out: dict[str, float] = {}
    try:
        for name in sorted(RECOMMENDERS):
            started = time.perf_counter()
            service.train([name])
            out[name] = round(time.perf_counter() - started, 2)
    finally:
        service.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--demo", type=Path, default=Path("bench/out/demo"))
    args = parser.parse_args()

    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        import_movielens(settings, args.datasets / "ml-100k", consent=True, progress=Progress())
        report["ml-100k_seconds"] = time_training(settings)
    demo = Settings(data_dir=args.demo)
    if not (args.demo / "demo-built").exists():
        build_demo(demo)
        (args.demo / "demo-built").write_text("built\n")
    report["demo_seconds"] = time_training(demo)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
