"""How long the fairness audit report takes to render, per chart kind and in total.

    .venv/bin/python bench/report_render.py [--data-dir bench/out/report-demo] [--small]
        [--rebuild] [--datasets /work/shared/datasets] [--repeat 3] [--out DIR]

Two inputs, the ones `tactful audit run` and `GET /v1/fairness-audits/{id}/report` meet:

- `demo`: the latest store audit of the demo store (built into `--data-dir` when absent,
  `--small` for the small one), after three more audits of earlier windows so the report
  has a trend to draw;
- `ml-100k`: an offline audit of EASE's top 10 on the msr-ml100k split (`--datasets`; the
  files are read in place), with no history.

For each input it renders `render_audit(result, history)` `--repeat` times (after one
warm-up render that pays matplotlib's font cache and imports) and prints the median
seconds per chart kind (drawing and SVG serialisation) and in total, the number of charts
of each kind, and the page's size. `--out` also writes each page as HTML and each chart as
PNG, to look at. Timings are wall-clock on whatever else the machine is doing: compare runs
made close together.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tactful.reports import audit, plots

KINDS = ("quality", "exposure", "top_items", "lorenz", "targeting", "trend")
Input = tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]


def demo_input(data_dir: Path, *, small: bool, rebuild: bool) -> Input:
    from tactful.cli.demo import build_demo
    from tactful.service import Tactful
    from tactful.settings import Settings

    settings = Settings(data_dir=data_dir)
    marker = data_dir / "demo-built"
    if rebuild and data_dir.exists():
        shutil.rmtree(data_dir)
    if not marker.exists():
        build_demo(settings, small=small)
        marker.write_text("built\n")
    service = Tactful(settings)
    try:
        first = service.fairness.latest("store")
        assert first is not None, "the demo build runs one audit"
        if len(service.fairness.history("store", first.label, 5)) < 4:
            end = first.window_end or service.clock()
            for days in (3, 2, 1):
                service.fairness.run(actor="bench", end=end - timedelta(days=days))
        run = service.fairness.latest("store")
        assert run is not None
        earlier = service.fairness.history(run.source, run.label, 20, before=run.started_at)
        return run.result, [r.result for r in earlier]
    finally:
        service.close()


def ml100k_input(datasets: Path) -> Input:
    from tactful.fairness.audit import run_audit
    from tactful.fairness.offline import offline_audit_data
    from tactful.fairness.policy import DEFAULT_AUDIT_POLICY

    data = offline_audit_data(datasets_dir=datasets)
    started = datetime(2025, 1, 1, tzinfo=UTC)
    result = run_audit(data, DEFAULT_AUDIT_POLICY, audit_id="ml-100k", started_at=started)
    return result.as_dict(), []


class Timer:
    """Wraps each `plots.<kind>_chart` so a render reports seconds and charts per kind."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.charts: dict[str, int] = defaultdict(int)
        self.originals: dict[str, Callable[..., Any]] = {}

    def __enter__(self) -> Timer:
        for kind in KINDS:
            name = f"{kind}_chart"
            original = getattr(plots, name)
            self.originals[name] = original
            setattr(plots, name, self._wrap(kind, original))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self.originals.items():
            setattr(plots, name, original)

    def _wrap(self, kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            cpu = time.process_time()
            chart = original(*args, **kwargs)
            self.seconds[kind] += time.perf_counter() - started
            self.cpu[kind] += time.process_time() - cpu
            self.charts[kind] += chart is not None
            return chart

        return timed


def measure(name: str, data: Input, repeat: int, out: Path | None) -> None:
    result, history = data
    audit.render_audit(result, history)  # warm-up: fonts, imports, templates
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    charts: dict[str, int] = {}
    page = ""
    for _ in range(repeat):
        with Timer() as timer:
            started, cpu_started = time.perf_counter(), time.process_time()
            page = audit.render_audit(result, history)
            wall["total"].append(time.perf_counter() - started)
            cpu["total"].append(time.process_time() - cpu_started)
        for kind in KINDS:
            wall[kind].append(timer.seconds.get(kind, 0.0))
            cpu[kind].append(timer.cpu.get(kind, 0.0))
        wall["the rest"].append(wall["total"][-1] - sum(wall[k][-1] for k in KINDS))
        cpu["the rest"].append(cpu["total"][-1] - sum(cpu[k][-1] for k in KINDS))
        charts = dict(timer.charts)
    print(f"{name}: {len(history)} earlier runs, page {len(page) / 1000:.0f} kB")
    print(f"  {'':<10} {'charts':>6} {'wall s':>8} {'cpu s':>8}   (medians of {repeat} renders)")
    for kind in (*KINDS, "the rest", "total"):
        count = charts.get(kind, 0)
        if kind in KINDS and not count:
            continue
        shown = str(count) if kind in KINDS else ""
        row = f"  {kind:<10} {shown:>6} {statistics.median(wall[kind]):8.2f}"
        print(f"{row} {statistics.median(cpu[kind]):8.2f}")
    if out is not None:
        write(name, result, history, page, out)


def write(
    name: str,
    result: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    page: str,
    out: Path,
) -> None:
    """The page as HTML and every chart's figure as PNG, drawn as the report draws them."""
    from tactful.reports.page import plotting

    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.html").write_text(page, encoding="utf-8")
    drawn: list[tuple[str, Any]] = []

    def keep(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def draw(*args: Any, **kwargs: Any) -> Any:
            fig = original(*args, **kwargs)
            drawn.append((kind, fig))
            return fig

        return draw

    names = {k: f"draw_{k}" for k in KINDS}
    saved = {k: getattr(plots, n) for k, n in names.items()}
    try:
        for kind, function in names.items():
            setattr(plots, function, keep(kind, saved[kind]))
        audit.render_audit(result, history)
    finally:
        for kind, function in names.items():
            setattr(plots, function, saved[kind])
    counter: dict[str, int] = defaultdict(int)
    with plotting():
        for kind, fig in drawn:
            counter[kind] += 1
            fig.savefig(out / f"{name}-{kind}-{counter[kind]}.png", dpi=90)
    print(f"  wrote {out / name}.html and {len(drawn)} PNGs")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/report-demo"))
    parser.add_argument("--small", action="store_true", help="build the small demo store")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--datasets", type=Path, default=Path("/work/shared/datasets"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write pages and PNGs here")
    parser.add_argument("--only", choices=("demo", "ml-100k"), default=None)
    args = parser.parse_args()
    if args.only in (None, "demo"):
        data = demo_input(args.data_dir, small=args.small, rebuild=args.rebuild)
        measure("demo", data, args.repeat, args.out)
    if args.only in (None, "ml-100k"):
        measure("ml-100k", ml100k_input(args.datasets), args.repeat, args.out)


if __name__ == "__main__":
    main()
