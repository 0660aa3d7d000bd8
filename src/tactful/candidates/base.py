"""The contract every recommender meets.

A recommender is a component with a typed config (pydantic, extra fields forbidden) that
round-trips through JSON. `fit` learns from an interaction matrix; scoring is separate and
reads only the history it is handed, so a decision can never use more than the signals the
pipeline selected for it. Models are saved as `config.json` plus `arrays.npz` (no pickle).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Self, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy import sparse

from tactful.errors import InvalidInput, ModelNotTrained

FloatArray = npt.NDArray[np.float32]
IndexArray = npt.NDArray[np.int64]


class ComponentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ConfigT = TypeVar("ConfigT", bound=ComponentConfig)


@dataclass(frozen=True, slots=True)
class Interactions:
    """A subject-by-item matrix of interaction weights, with the ids of its rows and columns."""

    subject_ids: npt.NDArray[np.str_]
    item_ids: npt.NDArray[np.str_]
    matrix: sparse.csr_array  # shape (len(subject_ids), len(item_ids)), float32

    @classmethod
    def from_triples(
        cls,
        triples: list[tuple[str, str, float]],
        item_ids: list[str] | None = None,
    ) -> Interactions:
        """Build from (subject, item, weight); repeated pairs keep their largest weight.

        `item_ids` fixes the column set (the whole catalog), so items nobody touched can
        still be recommended by models that know of them.
        """
        subjects = sorted({s for s, _, _ in triples})
        items = sorted(set(item_ids) if item_ids is not None else {i for _, i, _ in triples})
        s_index = {s: n for n, s in enumerate(subjects)}
        i_index = {i: n for n, i in enumerate(items)}
        best: dict[tuple[int, int], float] = {}
        for s, i, w in triples:
            if i not in i_index:
                continue
            key = (s_index[s], i_index[i])
            if w > best.get(key, -np.inf):
                best[key] = w
        rows = np.fromiter((k[0] for k in best), dtype=np.int64, count=len(best))
        cols = np.fromiter((k[1] for k in best), dtype=np.int64, count=len(best))
        vals = np.fromiter(best.values(), dtype=np.float32, count=len(best))
        matrix = sparse.csr_array((vals, (rows, cols)), shape=(len(subjects), len(items)))
        return cls(np.array(subjects, dtype=np.str_), np.array(items, dtype=np.str_), matrix)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


@dataclass(frozen=True, slots=True)
class History:
    """One subject's usable signals, as item column indices and weights."""

    items: IndexArray
    weights: FloatArray

    @classmethod
    def empty(cls) -> History:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.items)


class Recommender(ABC, Generic[ConfigT]):
    """Base of every recommender; subclasses set `name` and `config_type`."""

    name: ClassVar[str]
    config_type: ClassVar[type[ComponentConfig]]
    # Whether scores depend on the subject's history (False: the same list for everyone).
    personal: ClassVar[bool] = True
    # The grid tuning searches: config field -> candidate values, tried in every combination
    # on a validation split carved from the training data. Empty: nothing to tune.
    search_space: ClassVar[Mapping[str, tuple[Any, ...]]] = MappingProxyType({})
    # How the model picks items, in one or two sentences a consumer can follow; published
    # as one of the recommender's main parameters (EU Digital Services Act Art. 27).
    summary: ClassVar[str]

    def __init__(self, config: ConfigT) -> None:
        self.config = config
        self.item_ids: npt.NDArray[np.str_] | None = None

    # -- plain-language description ---------------------------------------------------
    def parameters(self) -> list[tuple[str, str]]:
        """The live config as (label, value) pairs a person can read.

        By default each config field with its description; recommenders override it with
        wording for consumers, still computed from the config so it cannot go stale.
        """
        out: list[tuple[str, str]] = []
        for name, field in type(self.config).model_fields.items():
            value = plain_value(getattr(self.config, name))
            label = name.replace("_", " ").capitalize()
            out.append((label, f"{value} ({field.description})" if field.description else value))
        return out

    def counts_signal_strength(self) -> bool:
        """Whether, under the live config, the strength of a signal (`EVENT_WEIGHTS`) moves
        the scores; False when every interaction counts alike. Descriptive only."""
        return True

    # -- training ---------------------------------------------------------------------
    @abstractmethod
    def fit(self, interactions: Interactions) -> Self:
        """Learn from the matrix; must be deterministic for a given config."""

    # -- scoring ----------------------------------------------------------------------
    @abstractmethod
    def score(self, history: History) -> FloatArray:
        """Scores over every item column (higher is better)."""

    def score_batch(self, histories: sparse.csr_array) -> npt.NDArray[np.float32]:
        """Scores for many subjects at once, one row per row of `histories`."""
        out = np.empty((histories.shape[0], self.n_items), dtype=np.float32)
        for row in range(histories.shape[0]):
            start, end = histories.indptr[row], histories.indptr[row + 1]
            out[row] = self.score(
                History(
                    histories.indices[start:end].astype(np.int64),
                    histories.data[start:end].astype(np.float32),
                )
            )
        return out

    def because(self, history: History, item: int) -> int | None:
        """The history item that contributed most to `item`'s score, if any."""
        return None

    def because_many(self, history: History, items: IndexArray) -> list[int | None]:
        """`because` for each of `items`; models override it to share the work between them."""
        return [self.because(history, int(item)) for item in items]

    # -- persistence ------------------------------------------------------------------
    @abstractmethod
    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """The learned state, as plain numeric or string arrays."""

    @abstractmethod
    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        """Set the learned state from `arrays()` output."""

    def save(self, directory: Path) -> None:
        items = self._require_trained()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.json").write_text(
            json.dumps(
                {"name": self.name, "config": self.config.model_dump(mode="json")},
                indent=2,
                sort_keys=True,
            )
        )
        # allow_pickle=False: an object array fails here rather than at load time.
        np.savez(directory / "arrays.npz", allow_pickle=False, item_ids=items, **self.arrays())

    @classmethod
    def load(cls, directory: Path) -> Self:
        meta = json.loads((directory / "config.json").read_text())
        if meta.get("name") != cls.name:
            raise InvalidInput(f"{directory} holds a {meta.get('name')!r} model, not {cls.name!r}")
        model = cls(cls.config_type.model_validate(meta["config"]))  # type: ignore[arg-type]
        with np.load(directory / "arrays.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        model.item_ids = arrays.pop("item_ids")
        model.restore(arrays)
        return model

    # -- helpers ----------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        return len(self._require_trained())

    def _require_trained(self) -> npt.NDArray[np.str_]:
        if self.item_ids is None:
            raise ModelNotTrained(f"The {self.name} recommender has not been trained.")
        return self.item_ids


def plain_value(value: object) -> str:
    """A config value as a person would write it: yes/no, 500 rather than 500.0."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def plain_history_weighting(binarize: bool) -> str:
    """What a `binarize` switch means for the person whose history is read."""
    if binarize:
        return "every item in your history counts the same, whatever you did with it"
    return "items you gave a stronger signal for count for more, by the strength of that signal"


def top_k(scores: FloatArray, k: int, exclude: npt.NDArray[np.bool_] | None = None) -> IndexArray:
    """Indices of the k best scores, best first, without sorting the whole catalog.

    Excluded positions and non-finite scores never appear; ties break by lower index so the
    result is deterministic.
    """
    masked = scores.astype(np.float64, copy=True)
    masked[~np.isfinite(masked)] = -np.inf
    if exclude is not None:
        masked[exclude] = -np.inf
    available = int(np.count_nonzero(masked > -np.inf))
    k = min(k, available)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.arange(len(masked))
    if k < len(masked):
        # Keep every index tied with the k-th best score: argpartition alone would pick
        # among boundary ties arbitrarily, breaking the lower-index rule.
        kth = np.partition(masked, len(masked) - k)[len(masked) - k]
        part = np.flatnonzero(masked >= kth)
    # lexsort: last key is primary -> by score desc, then index asc
    order = np.lexsort((part, -masked[part]))
    return part[order][:k].astype(np.int64)
