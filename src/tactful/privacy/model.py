"""Cohort trends: what is popular in each cohort and overall, released with differential privacy.

`CohortTrends` is a recommender that scores from released counts only: a cohort's noisy
item counts when its noisy size reached `min_cohort` (k), the population's otherwise. It
holds no person's data: neither who contributed nor who is in which cohort survives the
fit, only the noisy counts of the cohorts that passed the threshold and the population's.
It is saved like every model (`config.json` + `arrays.npz`) and published through
`Tactful.publish_model`, but it is not in the recommender registry: fitting it needs each
contributor's cohort beside the interaction matrix, and its noise makes it the one
recommender whose fit is not repeatable.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from tactful.candidates.base import ComponentConfig, FloatArray, History, Interactions, Recommender
from tactful.errors import InvalidInput, ModelNotTrained
from tactful.privacy import counting, dp
from tactful.privacy.cohorts import CohortKey, CohortSpec, cohort_errors

Basis = Literal["cohort", "too_small", "no_cohort"]


class CohortConfig(ComponentConfig):
    epsilon: float = Field(
        1.0, gt=0, le=100, description="Privacy budget one release spends (pure DP)."
    )
    min_cohort: int = Field(
        50, ge=1, le=1_000_000, description="Noisy size a cohort needs for its own trends (k)."
    )
    max_items: int = Field(
        20, ge=1, le=1000, description="Most distinct items one person counts in a release."
    )
    cohort_by: tuple[str, ...] = Field(
        ("region", "age_band"), description="The attributes a cohort shares."
    )
    regions: tuple[str, ...] = Field((), description="The regions cohorts are formed for.")

    @model_validator(mode="after")
    def _cohorts(self) -> CohortConfig:
        errors = cohort_errors(self.cohort_by, self.regions)
        if errors:
            raise ValueError("; ".join(f"{e.field}: {e.message}" for e in errors))
        return self

    @property
    def spec(self) -> CohortSpec:
        return CohortSpec(self.cohort_by, self.regions)


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """What a fit released and spent; no count of any one cohort."""

    noise: dp.LaplacePlan
    size_weight: int
    candidates: int
    released: int
    contributors: int  # the population's noisy size
    counted: int  # the population's noisy item counts, summed

    @property
    def suppressed(self) -> int:
        return self.candidates - self.released


class CohortTrends(Recommender[CohortConfig]):
    """Scores by a cohort's released trends, or the population's; reads no history."""

    name = "cohorts"
    config_type = CohortConfig
    personal = False
    summary = (
        "Shows what is popular among people like you (the same region and age band), counted "
        "with differential privacy across at least the minimum number of people; when too few "
        "people like you share their activity, what is popular among everyone who does. It "
        "reads nothing of your own history."
    )

    def __init__(
        self,
        config: CohortConfig | None = None,
        cohorts: Mapping[str, CohortKey] | None = None,
    ) -> None:
        super().__init__(config if config is not None else CohortConfig())
        # Each contributor's cohort, for `fit` only; never saved.
        self._cohort_of: Mapping[str, CohortKey] = cohorts or {}
        self._keys: dict[CohortKey, int] = {}
        self._counts: npt.NDArray[np.int64] | None = None
        self._sizes: npt.NDArray[np.int64] | None = None
        self._population: npt.NDArray[np.int64] | None = None
        self.release: ReleaseFacts | None = None
        self._scores: dict[CohortKey | None, FloatArray] = {}
        self._lock = threading.Lock()

    # -- description ------------------------------------------------------------------
    def parameters(self) -> list[tuple[str, str]]:
        c = self.config
        return [
            ("Cohorts by", self.config.spec.words()),
            ("Fewest people a cohort needs (k)", f"{c.min_cohort} (noisy count)"),
            ("Most items one person counts", str(c.max_items)),
            ("Privacy budget per release", f"\u03b5 = {c.epsilon:g}, \u03b4 = 0"),
        ]

    def counts_signal_strength(self) -> bool:
        return False

    # -- training ---------------------------------------------------------------------
    def fit(self, interactions: Interactions) -> Self:
        """Bound each contributor, count per cohort and overall, release with noise."""
        spec = self.config.spec
        candidates = spec.candidates()
        index = {key: n for n, key in enumerate(candidates)}
        segment = np.fromiter(
            (index.get(self._cohort_of.get(str(s), ()), -1) for s in interactions.subject_ids),
            dtype=np.int64,
            count=len(interactions.subject_ids),
        )
        bounded = counting.bound_contributions(
            interactions.matrix,
            self.config.max_items,
            counting.stable_keys(interactions.subject_ids),
            counting.stable_keys(interactions.item_ids),
        )
        weight = counting.size_weight(self.config.max_items)
        layout = counting.Layout(len(candidates), interactions.n_items, weight)
        d_in = counting.sensitivity(self.config.max_items, weight, len(candidates))
        noise = dp.plan(d_in, self.config.epsilon)
        noisy = dp.release(layout.counts(bounded, segment), noise)
        counts, sizes, population, population_size = layout.split(noisy)
        shown = np.flatnonzero(sizes >= self.config.min_cohort)
        self._keys = {candidates[int(n)]: m for m, n in enumerate(shown)}
        self._counts, self._sizes = counts[shown], sizes[shown]
        self._population = population
        self.release = ReleaseFacts(
            noise,
            weight,
            len(candidates),
            len(shown),
            population_size,
            int(population.sum()),
        )
        self.item_ids = interactions.item_ids.copy()
        self._cohort_of = {}
        self._scores = {}
        return self

    # -- scoring ----------------------------------------------------------------------
    def score(self, history: History) -> FloatArray:
        """The population's trends: the same for everyone (the history is ignored)."""
        return self.scores_for(None)[0].copy()

    def basis(self, key: CohortKey | None) -> Basis:
        if key is None:
            return "no_cohort"
        return "cohort" if key in self._keys else "too_small"

    def scores_for(self, key: CohortKey | None) -> tuple[FloatArray, Basis]:
        """Scores from the cohort's released counts (the population's when it has none),
        the population's counts breaking ties; read-only, shared between decisions."""
        population = self._require_population()
        basis = self.basis(key)
        found = self._scores.get(key if basis == "cohort" else None)
        if found is None:
            tiebreak = population / (float(population.max(initial=0)) + 1.0)
            if basis == "cohort" and key is not None and self._counts is not None:
                counts = self._counts[self._keys[key]]
                found = (counts + tiebreak).astype(np.float32)
            else:
                found = population.astype(np.float32)
            found.flags.writeable = False
            with self._lock:
                self._scores[key if basis == "cohort" else None] = found
        return found, basis

    def facts(self) -> ReleaseFacts:
        """What the fit released and spent."""
        if self.release is None:
            raise ModelNotTrained("The cohort trends have not been released.")
        return self.release

    def released_cohorts(self) -> list[tuple[CohortKey, int]]:
        """The released cohorts and their noisy sizes."""
        sizes = self._sizes if self._sizes is not None else np.zeros(0, dtype=np.int64)
        return [(key, int(sizes[n])) for key, n in self._keys.items()]

    # -- persistence ------------------------------------------------------------------
    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        population = self._require_population()
        if self.release is None or self._counts is None or self._sizes is None:
            raise ModelNotTrained("The cohort trends have not been released.")
        r = self.release
        dims = len(self.config.cohort_by)
        keys = np.array([list(k) for k in self._keys], dtype=np.str_).reshape(len(self._keys), dims)
        return {
            "cohort_keys": keys,
            "cohort_counts": self._counts,
            "cohort_sizes": self._sizes,
            "population": population,
            "release": np.array(
                [r.noise.scale, r.noise.d_in, r.noise.epsilon, r.noise.delta], dtype=np.float64
            ),
            "release_counts": np.array(
                [r.size_weight, r.candidates, r.released, r.contributors, r.counted],
                dtype=np.int64,
            ),
        }

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        try:
            keys, counts = arrays["cohort_keys"], arrays["cohort_counts"]
            sizes, population = arrays["cohort_sizes"], arrays["population"]
            scale, d_in, epsilon, delta = arrays["release"].tolist()
            weight, candidates, released, contributors, counted = arrays["release_counts"].tolist()
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"The saved cohort trends are incomplete: {exc}") from None
        n = self.n_items
        if population.shape != (n,) or counts.shape != (len(keys), n) or len(sizes) != len(keys):
            raise InvalidInput("The saved cohort trends have the wrong shape.")
        self._keys = {tuple(str(v) for v in row): m for m, row in enumerate(keys.tolist())}
        self._counts = np.asarray(counts, dtype=np.int64)
        self._sizes = np.asarray(sizes, dtype=np.int64)
        self._population = np.asarray(population, dtype=np.int64)
        noise = dp.LaplacePlan(float(scale), int(d_in), float(epsilon), float(delta))
        self.release = ReleaseFacts(
            noise, int(weight), int(candidates), int(released), int(contributors), int(counted)
        )
        self._scores = {}

    def _require_population(self) -> npt.NDArray[np.int64]:
        if self._population is None:
            raise ModelNotTrained("The cohort trends have not been released.")
        return self._population
