"""`tactful evaluate` as a user runs it: a subprocess, files written or nothing at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _tactful(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tactful", "evaluate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_writes_both_files_and_prints_the_table(fake_datasets: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _tactful(
        tmp_path, "msr-ml100k", "--models", "popularity,ease", "--no-tune",
        "--datasets", str(fake_datasets), "--out", str(out), "--seed", "7",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "| model | config | nDCG@10 |" in result.stdout
    assert "\n| ease | " in result.stdout
    data = json.loads((out / "results.json").read_text())
    assert data["models"] == ["popularity", "ease"]
    assert data["tuned"] is False
    assert data["seeds"]["split"] == 7
    assert (out / "results.md").read_text().startswith("# Evaluation: msr-ml100k")


def test_default_output_folder(fake_datasets: Path, tmp_path: Path) -> None:
    result = _tactful(
        tmp_path, "ml100k-folds", "--models", "popularity", "--no-tune",
        "--datasets", str(fake_datasets),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "var" / "evaluations").iterdir()
    assert folder.name.startswith("ml100k-folds-")
    assert {p.name for p in folder.iterdir()} == {"results.json", "results.md"}


@pytest.mark.slow  # five subprocesses, each importing the package
def test_errors_exit_2_and_write_nothing(fake_datasets: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    cases = {
        "unknown protocol": ("msr-ml1m", "--datasets", str(fake_datasets)),
        "unknown model": ("msr-ml100k", "--models", "ease,nonesuch", "--datasets",
                          str(fake_datasets)),
        "missing dataset": ("ml-latest-small", "--datasets", str(fake_datasets)),
        "empty datasets folder": ("msr-ml100k", "--datasets", str(empty)),
    }  # fmt: skip
    for case, args in cases.items():
        result = _tactful(tmp_path, *args, "--out", str(tmp_path / "out"))
        assert result.returncode == 2, (case, result.stderr)
        assert "error:" in result.stderr, case
        assert "Traceback" not in result.stderr, case
        assert not (tmp_path / "out").exists(), case
    assert "nonesuch" in _tactful(tmp_path, *cases["unknown model"]).stderr
    assert not (tmp_path / "var").exists()
