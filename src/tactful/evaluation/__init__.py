"""Offline evaluation: reproducible protocols on public datasets, tuned fairly.

* `splits`: the Microsoft Recommenders stratified split, replicated row for row, and the
  validation split tuning uses.
* `protocols`: named protocols as data (`msr-ml100k`, `ml100k-folds`, `ml-latest-small`).
* `tuning`: grid search over a recommender's `search_space` on training data only.
* `runner`: `evaluate(protocol, models, ...)` loads, splits, tunes, fits and measures.
* `report`: `results.json` and `results.md`.
"""

from tactful.evaluation.protocols import PROTOCOLS, Protocol, get_protocol
from tactful.evaluation.runner import EvaluationResult, evaluate
from tactful.evaluation.splits import RowSplit, stratified_split, validation_split
from tactful.evaluation.tuning import Trial, TuningResult, tune

__all__ = [
    "PROTOCOLS",
    "EvaluationResult",
    "Protocol",
    "RowSplit",
    "Trial",
    "TuningResult",
    "evaluate",
    "get_protocol",
    "stratified_split",
    "tune",
    "validation_split",
]
