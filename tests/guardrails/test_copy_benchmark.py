"""The labelled set: its size and balance, and the check's precision and recall on it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from tactful.guardrails.copy import CopyPattern

BENCH = Path(__file__).resolve().parents[2] / "bench" / "copy_checker.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("copy_checker", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_labelled_set_is_large_balanced_and_well_formed() -> None:
    bench = _bench()
    rows = bench.load()
    assert len(rows) >= 200
    manipulative = sum(1 for r in rows if r["manipulative"])
    assert abs(manipulative - (len(rows) - manipulative)) <= 10
    assert len({r["id"] for r in rows}) == len(rows)
    known = {p.value for p in CopyPattern}
    for r in rows:
        assert r["text"].strip()
        assert set(r["patterns"]) <= known, r["id"]
        assert bool(r["patterns"]) == r["manipulative"], r["id"]
    assert {p for r in rows for p in r["patterns"]} == known
    raw = (BENCH.parent / "data" / "copy_messages.jsonl").read_text("utf-8")
    assert "@" not in raw or all(a.endswith("example.com") for a in raw.split() if "@" in a), (
        "only example.com addresses"
    )
    assert all(json.loads(line) for line in raw.splitlines())


def test_precision_and_recall_on_the_whole_set_are_at_least_0_9() -> None:
    bench = _bench()
    report = bench.evaluate(bench.load())
    assert report["precision"] >= 0.9, report["false_positives"]
    assert report["recall"] >= 0.9, report["false_negatives"]


def test_the_held_out_split_is_every_fifth_message() -> None:
    bench = _bench()
    rows = bench.load()
    held = bench.held_out(rows)
    assert [r["id"] for r in held] == [r["id"] for r in rows[4::5]]
    assert len(held) == len(rows) // 5
