"""Cohort trends: what is popular in each cohort and overall, released with differential privacy.

`CohortTrends` is a recommender that scores from released counts only: a cohort's noisy
item counts when its noisy size reached `min_cohort` (k), the population's otherwise. A
release counts only the public candidate set (`tactful.privacy.public`: the first
`candidates` items of the published popularity ranking); serving ranks the candidates by
their noisy counts, ties (a count clipped at 0, say) in the public order, and every other
item after them in the public order, so a list is never short. That ordering is
post-processing of the release and of public data, so it spends no budget. It holds no
person's data: neither who contributed nor who is in which cohort survives the
fit, only the noisy counts of the cohorts that passed the threshold and the population's.
It is saved like every model (`config.json` + `arrays.npz`) and published through
`Tactful.publish_model`, but it is not in the recommender registry: fitting it needs each
contributor's cohort beside the interaction matrix, and its noise makes it the one
recommender whose fit is not repeatable.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator
from scipy import sparse

from tactful.candidates.base import ComponentConfig, FloatArray, History, Interactions, Recommender
from tactful.errors import InvalidInput, ModelNotTrained
from tactful.privacy import counting, dp, public
from tactful.privacy.cohorts import CohortKey, CohortSpec, cohort_errors

Basis = Literal["cohort", "too_small", "no_cohort"]
IntArray = npt.NDArray[np.int64]


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
    candidates: int = Field(
        50,
        ge=0,
        le=1_000_000,
        description="Items a release counts: the first of the public popularity ranking "
        "(0: the whole catalog).",
    )

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
    items: int  # the items counted: the public candidate set's size

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
        public_order: Sequence[str] | None = None,
    ) -> None:
        """`cohorts`: each contributor's cohort; `public_order`: the item ids in the order of
        the published popularity ranking, from which the candidates are taken (None: no
        such ranking, every item is counted). Both for `fit` only."""
        super().__init__(config if config is not None else CohortConfig())
        # Each contributor's cohort, for `fit` only; never saved.
        self._cohort_of: Mapping[str, CohortKey] = cohorts or {}
        self._public_order = public_order
        self._rank: npt.NDArray[np.int64] | None = None  # each item's place in public order
        self._candidates: npt.NDArray[np.int64] | None = None  # the counted columns, in order
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
            (
                "Items counted",
                f"the first {c.candidates} of the popular list (public)"
                if c.candidates
                else "every item of the catalog",
            ),
            ("Privacy budget per release", f"\u03b5 = {c.epsilon:g}, \u03b4 = 0"),
        ]

    def counts_signal_strength(self) -> bool:
        return False

    # -- training ---------------------------------------------------------------------
    def fit(self, interactions: Interactions) -> Self:
        """Bound each contributor among the candidates, count per cohort and overall,
        release with noise."""
        spec = self.config.spec
        rank = public.public_rank(interactions.item_ids.tolist(), self._public_order)
        columns = public.candidate_columns(
            rank, self.config.candidates, self._public_order is not None
        )
        candidates = spec.candidates()
        index = {key: n for n, key in enumerate(candidates)}
        segment = np.fromiter(
            (index.get(self._cohort_of.get(str(s), ()), -1) for s in interactions.subject_ids),
            dtype=np.int64,
            count=len(interactions.subject_ids),
        )
        # Only the candidates' columns: a person's bounded items are all released ones.
        bounded = counting.bound_contributions(
            sparse.csr_array(interactions.matrix[:, columns]),
            self.config.max_items,
            counting.stable_keys(interactions.subject_ids),
            counting.stable_keys(interactions.item_ids[columns]),
        )
        weight = counting.size_weight(self.config.max_items)
        layout = counting.Layout(len(candidates), len(columns), weight)
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
            len(columns),
        )
        self._rank, self._candidates = rank, columns
        self.item_ids = interactions.item_ids.copy()
        self._public_order = None
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
        """Scores from the cohort's released counts (the population's when it has none);
        read-only, shared between decisions.

        A candidate scores 1 + its noisy count + a tie-break below 1 (for a cohort, the
        population's count, then the public order; for the population, the public order);
        any other item scores below 1, by its place in the public order."""
        population = self._require_population()
        rank, columns = self._require_candidates()
        basis = self.basis(key)
        found = self._scores.get(key if basis == "cohort" else None)
        if found is None:
            n, c = len(rank), len(columns)
            wide = public.ordinal(np.argsort(rank, kind="stable"), n)
            in_order = np.arange(c, dtype=np.int64)  # the candidates are in public order
            if basis == "cohort" and key is not None and self._counts is not None:
                counts = self._counts[self._keys[key]]
                tiebreak = public.ordinal(np.lexsort((in_order, -population)), c)
            else:
                counts = population
                tiebreak = public.ordinal(in_order, c)
            wide[columns] = 1.0 + counts + tiebreak
            found = wide.astype(np.float32)
            found.flags.writeable = False
            with self._lock:
                self._scores[key if basis == "cohort" else None] = found
        return found, basis

    def facts(self) -> ReleaseFacts:
        """What the fit released and spent."""
        if self.release is None:
            raise ModelNotTrained("The cohort trends have not been released.")
        return self.release

    def counts_for(self, key: CohortKey | None) -> tuple[npt.NDArray[np.str_], IntArray]:
        """The released items (the candidates, in public order) and their noisy counts in
        the cohort's trends (the population's when the cohort has none)."""
        population = self._require_population()
        _rank, columns = self._require_candidates()
        ids = self._require_trained()[columns]
        if self.basis(key) == "cohort" and key is not None and self._counts is not None:
            return ids, self._counts[self._keys[key]].copy()
        return ids, population.copy()

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
        rank, columns = self._require_candidates()
        dims = len(self.config.cohort_by)
        keys = np.array([list(k) for k in self._keys], dtype=np.str_).reshape(len(self._keys), dims)
        return {
            "cohort_keys": keys,
            "cohort_counts": self._counts,
            "cohort_sizes": self._sizes,
            "population": population,
            "public_rank": rank,
            "candidate_columns": columns,
            "release": np.array(
                [r.noise.scale, r.noise.d_in, r.noise.epsilon, r.noise.delta], dtype=np.float64
            ),
            "release_counts": np.array(
                [r.size_weight, r.candidates, r.released, r.contributors, r.counted, r.items],
                dtype=np.int64,
            ),
        }

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        try:
            keys, counts = arrays["cohort_keys"], arrays["cohort_counts"]
            sizes, population = arrays["cohort_sizes"], arrays["population"]
            scale, d_in, epsilon, delta = arrays["release"].tolist()
            saved = arrays["release_counts"].tolist()
            weight, candidates, released, contributors, counted = saved[:5]
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"The saved cohort trends are incomplete: {exc}") from None
        n = self.n_items
        # Saved before the candidate set: every item was counted, in id order.
        rank = np.asarray(arrays.get("public_rank", np.arange(n)), dtype=np.int64)
        columns = np.asarray(arrays.get("candidate_columns", np.arange(n)), dtype=np.int64)
        c = len(columns)
        if (
            rank.shape != (n,)
            or not np.array_equal(np.sort(rank), np.arange(n))
            or (c and (columns.min() < 0 or columns.max() >= n))
            or population.shape != (c,)
            or counts.shape != (len(keys), c)
            or len(sizes) != len(keys)
        ):
            raise InvalidInput("The saved cohort trends have the wrong shape.")
        self._rank, self._candidates = rank, columns
        self._keys = {tuple(str(v) for v in row): m for m, row in enumerate(keys.tolist())}
        self._counts = np.asarray(counts, dtype=np.int64)
        self._sizes = np.asarray(sizes, dtype=np.int64)
        self._population = np.asarray(population, dtype=np.int64)
        noise = dp.LaplacePlan(float(scale), int(d_in), float(epsilon), float(delta))
        self.release = ReleaseFacts(
            noise,
            int(weight),
            int(candidates),
            int(released),
            int(contributors),
            int(counted),
            int(saved[5]) if len(saved) > 5 else c,
        )
        self._scores = {}

    def _require_candidates(self) -> tuple[IntArray, IntArray]:
        if self._rank is None or self._candidates is None:
            raise ModelNotTrained("The cohort trends have not been released.")
        return self._rank, self._candidates

    def _require_population(self) -> npt.NDArray[np.int64]:
        if self._population is None:
            raise ModelNotTrained("The cohort trends have not been released.")
        return self._population
