"""The scale benchmark runs end to end at a tiny scale and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_scale_bench_prints_and_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "scale.py"),
        "--subjects", "400",
        "--items", "80",
        "--events", "4000",
        "--batch", "500",
        "--sample", "500",
        "--decisions", "30",
        "--model", "itemknn",
        "--data-dir", str(tmp_path / "store"),
        "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    for figure in (
        "ingestion rate:",
        "through Tactful.",
        "ingest_events",
        "add_events",
        "training time:",
        "peak memory (RSS high-water):",
        "children",
        "decision latency: median",
        "p99",
    ):
        assert figure in done.stdout, figure

    report = json.loads(out.read_text())
    ingestion = report["ingestion"]
    assert ingestion["events_offered"] == 4000
    assert 0 < ingestion["events_stored"] < 4000  # minimisation dropped some
    assert ingestion["events_stored"] + ingestion["events_dropped_by_minimisation"] == 4000
    assert ingestion["events_per_second"] > 0
    assert set(ingestion["sample_events_per_second"]) == {"ingest_events", "add_events"}
    assert all(n >= 500 for n in ingestion["sample_events"].values())
    assert report["consent_records"] > 0
    assert ingestion["withdrawals_after_events"] > 0
    training = report["training"]
    assert training["seconds"] > 0
    assert set(training["models"]) == {"popularity", "itemknn", "cohorts"}
    personal = training["models"]["itemknn"]
    assert 0 < personal["subjects"] < 400
    assert personal["items"] == 80
    assert personal["interactions"] > 0
    assert training["models"]["popularity"]["interactions"] >= personal["interactions"]
    decisions = report["decisions"]
    assert decisions["count"] == 30
    assert 0 < decisions["median_ms"] <= decisions["p99_ms"]
    assert 0 < decisions["personalized_share"] < 1
    peak = report["peak_rss_mb"]
    assert peak["process"] >= max(peak["ingestion"], peak["training"], peak["decisions"]) > 0
    assert peak["children"] >= 0

    # --reuse keeps the store and its ingestion figures, and trains again.
    again = subprocess.run(
        [*command[:-2], "--reuse"], capture_output=True, text=True, timeout=300, check=False
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "generating" not in again.stderr
    assert f"{ingestion['events_per_second']:,} events/s" in again.stdout
