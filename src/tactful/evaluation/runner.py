"""Run a protocol: load the data, split it, and tune, fit and measure every model.

Everything a figure depends on is recorded next to it: the protocol, the seeds, the chosen
hyperparameters and every tuning trial, the sha256 of each data file, and the versions of
Tactful and of the numeric libraries.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from tactful import __version__
from tactful.candidates.registry import RECOMMENDERS
from tactful.errors import FieldError, InvalidInput
from tactful.evaluation.data import Dataset, dataset_folder, load_dataset
from tactful.evaluation.experiment import ModelRun, build_experiment, run_model
from tactful.evaluation.protocols import Protocol
from tactful.evaluation.splits import stratified_split
from tactful.evaluation.tuning import validation_seed


@dataclass(frozen=True)
class PartResult:
    """One train/test pair (the single split, or one fold) and every model's run on it."""

    name: str
    counts: dict[str, int]
    runs: tuple[ModelRun, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "counts": self.counts,
            "models": [run.as_dict() for run in self.runs],
        }


@dataclass(frozen=True)
class EvaluationResult:
    protocol: Protocol
    models: tuple[str, ...]
    tuned: bool
    seed: int
    parts: tuple[PartResult, ...]
    dataset: dict[str, Any]
    environment: dict[str, str]
    started_at: str
    seconds: float

    def summary(self) -> dict[str, dict[str, float]]:
        """Per model, each metric's mean over the parts (the value itself for one split)."""
        return {m: {k: float(np.mean(v)) for k, v in self._values(m).items()} for m in self.models}

    def spread(self) -> dict[str, dict[str, float]]:
        """Per model, each metric's sample standard deviation over the parts (folds only)."""
        if len(self.parts) < 2:
            return {}
        return {
            m: {k: float(np.std(v, ddof=1)) for k, v in self._values(m).items()}
            for m in self.models
        }

    def _values(self, model: str) -> dict[str, list[float]]:
        values: dict[str, list[float]] = {}
        for part in self.parts:
            for run in part.runs:
                if run.model == model:
                    for key, value in run.metrics.items():
                        values.setdefault(key, []).append(value)
        return values

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol.as_dict(),
            "models": list(self.models),
            "tuned": self.tuned,
            "seeds": {"split": self.seed, "validation": validation_seed(self.seed)},
            "started_at": self.started_at,
            "seconds": self.seconds,
            "dataset": self.dataset,
            "environment": self.environment,
            "summary": self.summary(),
            "spread": self.spread(),
            "parts": [part.as_dict() for part in self.parts],
        }


def check_models(models: Sequence[str]) -> tuple[str, ...]:
    """The model names, checked against the registry (`InvalidInput` names the unknown)."""
    names = tuple(models) if models else tuple(RECOMMENDERS)
    unknown = [name for name in names if name not in RECOMMENDERS]
    if unknown:
        raise InvalidInput(
            f"Unknown model(s): {', '.join(unknown)}.",
            [FieldError("models", f"Must be among: {', '.join(RECOMMENDERS)}.")],
        )
    if len(set(names)) != len(names):
        raise InvalidInput("A model is named twice.", [FieldError("models", ",".join(names))])
    return names


def check_dataset(protocol: Protocol, datasets_dir: Path) -> Path:
    """Fail early, before any work, when the protocol's files are missing."""
    return dataset_folder(protocol, datasets_dir)


def evaluate(
    protocol: Protocol,
    models: Sequence[str],
    *,
    datasets_dir: Path,
    tune: bool = True,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> EvaluationResult:
    """Run `protocol` for `models` (all registered ones when empty).

    `progress`, when given, is told what is being done (for a status line).
    """
    names = check_models(models)
    say = progress or (lambda _message: None)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    dataset = load_dataset(protocol, datasets_dir)
    parts: list[PartResult] = []
    for part_name, train, test in protocol_parts(protocol, dataset, seed):
        experiment = build_experiment(train, test, dataset, protocol.group_attributes)
        runs = []
        for name in names:
            say(f"{protocol.name} {part_name}: {'tuning and ' if tune else ''}fitting {name}")
            runs.append(run_model(name, experiment, protocol, tuned=tune, seed=seed))
        parts.append(PartResult(part_name, experiment.counts, tuple(runs)))
    return EvaluationResult(
        protocol=protocol,
        models=names,
        tuned=tune,
        seed=seed,
        parts=tuple(parts),
        dataset={
            "name": dataset.name,
            "folder": str(dataset.folder),
            "sha256": dict(sorted(dataset.checksums.items())),
        },
        environment=environment(),
        started_at=started_at,
        seconds=time.perf_counter() - started,
    )


def protocol_parts(protocol: Protocol, dataset: Dataset, seed: int) -> list[tuple[str, Any, Any]]:
    """The protocol's (name, train, test) parts: its folds, or its one seeded split."""
    if protocol.split == "folds":
        return [
            (stem, dataset.ratings(f"{stem}.base"), dataset.ratings(f"{stem}.test"))
            for stem in protocol.folds
        ]
    ratings = dataset.ratings("u.data" if protocol.dataset == "ml-100k" else "ratings.csv")
    split = stratified_split(
        ratings.users, ratings.items, protocol.ratio, seed, by=protocol.stratify_by
    )
    return [("test", ratings.take(split.train), ratings.take(split.test))]


def environment() -> dict[str, str]:
    """Versions of everything that can change a figure."""
    versions = {"tactful": __version__, "python": platform.python_version()}
    for package in ("numpy", "scipy", "implicit", "threadpoolctl"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["platform"] = platform.platform()
    return versions
