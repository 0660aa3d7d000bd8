"""Write an evaluation to `<out>/results.json` (everything) and `<out>/results.md` (tables).

JSON has no NaN: undefined values (a metric no user has a value for) are written as null.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tactful.evaluation.runner import EvaluationResult

# (key in the metrics, column title); the ranking ones are at k (10 in every protocol).
COLUMNS = (
    ("ndcg", "nDCG@{k}"),
    ("precision", "P@{k}"),
    ("recall", "R@{k}"),
    ("map", "MAP@{k}"),
    ("mrr", "MRR@{k}"),
    ("hit_rate", "HR@{k}"),
    ("coverage", "coverage"),
    ("arp", "ARP"),
    ("long_tail", "long-tail"),
    ("ild", "ILD"),
    ("novelty", "novelty"),
    ("miscalibration", "miscalibration"),
)


def write(result: EvaluationResult, out: Path) -> tuple[Path, Path]:
    """Create `out` and write both files; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "results.json", out / "results.md"
    json_path.write_text(json.dumps(_finite(result.as_dict()), indent=2, allow_nan=False) + "\n")
    md_path.write_text(markdown(result))
    return json_path, md_path


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}" if abs(value) < 100 else f"{value:.1f}"


def _config(config: dict[str, Any]) -> str:
    return ", ".join(f"{key}={json.dumps(value)}" for key, value in config.items()) or "n/a"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def results_table(result: EvaluationResult) -> str:
    """The main table: one row per model, mean ± sd over folds where there are folds."""
    k = result.protocol.k
    summary, spread = result.summary(), result.spread()
    rows = []
    for model in result.models:
        configs = []
        for part in result.parts:
            for run in part.runs:
                text = _config(run.config)
                if run.model == model and text not in configs:
                    configs.append(text)
        cells = [model, " / ".join(configs)]
        for key, _ in COLUMNS:
            cell = _number(summary[model].get(key))
            if spread:
                cell += f" ± {_number(spread[model].get(key))}"
            cells.append(cell)
        rows.append(cells)
    header = ["model", "config", *(title.format(k=k) for _, title in COLUMNS)]
    return "\n".join(_table(header, rows)) + "\n"


def markdown(result: EvaluationResult) -> str:
    protocol = result.protocol
    tuned = "tuned on a validation split of the training data" if result.tuned else "not tuned"
    lines = [
        f"# Evaluation: {protocol.name}",
        "",
        f"{protocol.description}. Models {tuned}; seed {result.seed}; started "
        f"{result.started_at}; wall time {result.seconds:.1f} s.",
        "",
        results_table(result),
    ]
    lines += _folds(result) + _published(result) + _tuning(result) + _gaps(result)
    lines += ["## Data and environment", ""]
    lines += [f"- `{name}` sha256 `{digest}`" for name, digest in result.dataset["sha256"].items()]
    lines += [f"- {name} {version}" for name, version in result.environment.items()]
    lines += ["", "## Protocol", "", "```json", json.dumps(protocol.as_dict(), indent=2), "```"]
    return "\n".join(lines) + "\n"


def _folds(result: EvaluationResult) -> list[str]:
    if len(result.parts) < 2:
        return []
    rows = []
    for model in result.models:
        values = [
            run.metrics["ndcg"] for part in result.parts for run in part.runs if run.model == model
        ]
        rows.append(
            [
                model,
                *(_number(v) for v in values),
                _number(result.summary()[model]["ndcg"]),
                _number(result.spread()[model]["ndcg"]),
            ]
        )
    header = ["model", *(part.name for part in result.parts), "mean", "sd"]
    return [f"## nDCG@{result.protocol.k} per fold", "", *_table(header, rows), ""]


def _published(result: EvaluationResult) -> list[str]:
    protocol = result.protocol
    if not protocol.published:
        return []
    summary = result.summary()
    best = max(
        result.models,
        key=lambda m: summary[m]["ndcg"] if math.isfinite(summary[m]["ndcg"]) else -1.0,
    )
    entries = [(f.model, f.ndcg_at_10, "published") for f in protocol.published]
    entries.append((f"Tactful {best}", summary[best]["ndcg"], "this run"))
    entries.sort(key=lambda e: -e[1] if math.isfinite(e[1]) else math.inf)
    rows = [
        [str(n), name, _number(value), source]
        for n, (name, value, source) in enumerate(entries, start=1)
    ]
    return [
        f"## Against the published figures (nDCG@{protocol.k})",
        "",
        *_table(["#", "model", f"nDCG@{protocol.k}", "source"], rows),
        "",
        f"Source: {protocol.published_source}",
        "",
    ]


def _tuning(result: EvaluationResult) -> list[str]:
    rows = []
    for part in result.parts:
        for run in part.runs:
            t = run.tuning
            if t is None:
                continue
            scores = ", ".join(_number(trial.score) for trial in t.trials)
            rows.append(
                [
                    part.name,
                    run.model,
                    f"{t.metric}@{t.k}",
                    str(len(t.trials)),
                    _config(t.best_config),
                    _number(t.best_score),
                    scores,
                    f"{t.seconds:.1f}",
                    f"{run.fit_seconds:.2f}",
                ]
            )
    if not rows:
        return []
    header = [
        "part",
        "model",
        "metric",
        "trials",
        "chosen",
        "validation",
        "all trials",
        "tuning s",
        "fit s",
    ]
    return ["## Tuning (validation split of the training data)", "", *_table(header, rows), ""]


def _gaps(result: EvaluationResult) -> list[str]:
    rows = []
    for part in result.parts:
        for run in part.runs:
            for attribute, breakdown in run.groups.items():
                gap = breakdown["gaps"].get("ndcg")
                if gap is None:
                    continue
                rows.append(
                    [
                        part.name,
                        run.model,
                        attribute,
                        f"{gap['best_group']} {_number(gap['best'])}",
                        f"{gap['worst_group']} {_number(gap['worst'])}",
                        _number(gap["difference"]),
                        _number(gap["ratio"]),
                    ]
                )
    if not rows:
        return []
    k = result.protocol.k
    header = ["part", "model", "attribute", "best served", "worst served", "difference", "ratio"]
    return [
        f"## Gaps between user groups (nDCG@{k}; groups of at least "
        f"{result.protocol.group_min_users} users)",
        "",
        *_table(header, rows),
        "",
    ]
