"""The price-of-privacy and fairness trade-off benches run on a sample of ml-100k users and
report figures that hold together (read in place from the shared datasets folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATASETS, need_service

ROOT = Path(__file__).resolve().parents[1]
USERS = 120


def _run(script: str, tmp_path: Path, *extra: str) -> tuple[str, dict[str, Any], Path]:
    if not (DATASETS / "ml-100k" / "u.data").is_file():
        need_service(f"ml-100k is not in {DATASETS}")
    out, plot = tmp_path / "report.json", tmp_path / "figure.svg"
    command = [
        sys.executable,
        str(ROOT / "bench" / script),
        "--datasets", str(DATASETS),
        "--users", str(USERS),
        "--json", str(out),
        "--plot", str(plot),
        *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert plot.read_text().lstrip().startswith("<?xml")
    assert "<svg" in plot.read_text()[:2000]
    return done.stdout, json.loads(out.read_text()), plot


@pytest.mark.slow
def test_price_of_privacy_levels_on_a_sample(tmp_path: Path) -> None:
    # One release per aggregate figure: the noise is random, the structure is not.
    stdout, report, _ = _run("price_of_privacy.py", tmp_path, "--releases", "1")
    assert report["users"] == USERS
    assert report["sampled"] is True
    for line in ("| off | none |", "| aggregate | 73,194 |", "| basic |", "| full |"):
        assert line in stdout, line
    levels = report["levels"]
    off, basic, full = levels["off"], levels["basic"], levels["full"]
    # off is one list for everyone: ten films in all, none of them from the long tail.
    assert off["coverage"] * 1682 == pytest.approx(10)
    assert off["long_tail"] == 0
    # full sees every training rating as a watched film; basic a seeded half of them.
    assert full["signals"] == report["train_ratings"] == 75_066
    assert basic["signals"] == pytest.approx(0.5 * full["signals"], rel=0.02)
    assert full["ndcg"] > basic["ndcg"] > off["ndcg"] > 0
    # When every watched film is rated, basic and full train on the same data.
    everything = report["variants"]["basic, rated share 1"]
    assert everything["signals"] == full["signals"]
    assert everything["ndcg"] == pytest.approx(full["ndcg"], abs=1e-12)
    assert everything["coverage"] == pytest.approx(full["coverage"], abs=1e-12)
    # Knowing what the person watched is worth something even to the popular list.
    assert report["variants"]["off, if watched films could be excluded"]["ndcg"] > off["ndcg"]
    # aggregate: every adult's training rating counted (minors never); with next to no noise
    # it is close to the popular list, with much noise far below it.
    aggregate = levels["aggregate"]
    assert aggregate["signals"] == 73_194
    assert (aggregate["epsilon"], aggregate["min_cohort"], aggregate["releases"]) == (1.0, 50, 1)
    assert 0 <= aggregate["users_without_signal"] <= USERS
    quiet = report["variants"]["aggregate, \u03b5 = 100 (near no noise, 50 candidates)"]
    loud = report["variants"]["aggregate, \u03b5 = 0.1 (k = 50, 50 candidates)"]
    assert quiet["ndcg"] > loud["ndcg"]
    assert quiet["ndcg"] > 0.5 * off["ndcg"]
    for level in (off, aggregate, basic, full):
        gender = level["by_group"]["gender"]
        assert set(gender["groups"]) == {"female", "male"}
        assert sum(g["users"] for g in gender["groups"].values()) == USERS
        assert "ndcg" in gender["gaps"]
    assert report["seconds"]["total"] > 0


@pytest.mark.slow
def test_fairness_tradeoffs_sweep_on_a_sample(tmp_path: Path) -> None:
    stdout, report, _ = _run("fairness_tradeoffs.py", tmp_path)
    results = report["results"]
    assert set(results) == {
        "fair",
        "debias-smooth",
        "debias-binary",
        "calibrate-own",
        "calibrate-catalog",
    }
    for heading in ("FA*IR", "Popularity de-biasing", "Group-aware calibration"):
        assert heading in stdout
    # At strength 0 every mitigation is the plain top k.
    plain = {name: rows[0] for name, rows in results.items()}
    assert {row["value"] for row in plain.values()} == {0.0}
    ndcg = plain["fair"]["ndcg"]
    for row in plain.values():
        assert row["ndcg"] == pytest.approx(ndcg, abs=1e-12)
        assert row["long_tail"] == pytest.approx(plain["fair"]["long_tail"], abs=1e-12)
    # Each mitigation moves the figure it targets, at some cost in accuracy.
    fair = results["fair"]
    assert fair[-1]["tail_exposure_share"] > fair[0]["tail_exposure_share"]
    assert fair[-1]["exposure_gini"] < fair[0]["exposure_gini"]
    assert fair[-1]["ndcg"] < fair[0]["ndcg"]
    shares = [row["tail_exposure_share"] for row in fair]
    assert shares == sorted(shares)  # a higher p never shows the long tail less
    for variant in ("debias-smooth", "debias-binary"):
        assert results[variant][-1]["long_tail"] > results[variant][0]["long_tail"]
    # Smooth xQuAD keeps drawing from the long tail where binary stops after one item.
    assert results["debias-smooth"][-1]["long_tail"] > results["debias-binary"][-1]["long_tail"]
    own = results["calibrate-own"]
    assert own[-1]["popularity_miscalibration"] < own[0]["popularity_miscalibration"]
    catalog = results["calibrate-catalog"]
    assert catalog[-1]["tail_exposure_ratio"] > catalog[0]["tail_exposure_ratio"]
    for rows in results.values():
        for row in rows:
            assert 0 < row["ndcg"] < 1
            assert 0 < row["age_band_ratio"] <= 1
            assert row["ms_per_user"] > 0
