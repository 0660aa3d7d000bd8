"""Precision, recall and F1 of the manipulative copy check on the labelled set.

A message counts as flagged when the check finds at least one dark pattern. Every fifth
message in id order is the held-out split: the rules were written without looking at it.

    .venv/bin/python bench/copy_checker.py [--data bench/data/copy_messages.jsonl]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from tactful.guardrails.copy import CopyFacts, check_copy

DATA = Path(__file__).parent / "data" / "copy_messages.jsonl"


def load(path: Path = DATA) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return sorted(rows, key=lambda r: str(r["id"]))


def facts_of(row: dict[str, Any]) -> CopyFacts | None:
    raw = row.get("facts")
    if not raw:
        return None
    deadline = raw.get("deadline")
    return CopyFacts(
        stock=raw.get("stock"),
        deadline=date.fromisoformat(deadline) if deadline else None,
    )


def held_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every fifth message in id order (the 5th, 10th, ...)."""
    return [r for i, r in enumerate(rows) if i % 5 == 4]


def evaluate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    found: Counter[str] = Counter()
    labelled: Counter[str] = Counter()
    false_positives: list[str] = []
    false_negatives: list[str] = []
    for row in rows:
        findings = check_copy(row["text"], facts=facts_of(row))
        flagged = bool(findings)
        found.update({f.pattern.value for f in findings})
        labelled.update(row.get("patterns", []))
        if row["manipulative"]:
            tp, fn = (tp + 1, fn) if flagged else (tp, fn + 1)
            if not flagged:
                false_negatives.append(row["id"])
        else:
            fp, tn = (fp + 1, tn) if flagged else (fp, tn + 1)
            if flagged:
                false_positives.append(row["id"])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "messages": len(rows),
        "manipulative": tp + fn,
        "fair": fp + tn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "patterns_found": dict(sorted(found.items())),
        "patterns_labelled": dict(sorted(labelled.items())),
        "false_positives": false_positives,
        "false_negatives": false_negatives,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    rows = load(args.data)
    report = {"all": evaluate(rows), "held_out_fifth": evaluate(held_out(rows))}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
