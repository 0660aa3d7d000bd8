"""ALS: implicit-feedback matrix factorization by alternating least squares.

Hu, Koren & Volinsky, "Collaborative Filtering for Implicit Feedback Datasets" (ICDM 2008),
trained with the `implicit` library on the CPU. Every observed (subject, item) pair has
preference 1 and confidence c = 1 + alpha·w, every other pair preference 0 and confidence 1.
`implicit` 0.7 takes the matrix it is given as c itself (its own `alpha` only scales it), so
`fit` hands it 1 + alpha·w on the observed entries and leaves its `alpha` at 1: the paper's
convention, exactly, and the same c the fold-in uses.

Only the item factors Y and the precomputed YᵀY + λI are kept; subjects are folded in at
request time (see `_factors`), so no vector learned from a person outlives their history.
"""

from __future__ import annotations

import threading
from types import MappingProxyType
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field
from scipy import sparse
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from tactful.candidates import _factors
from tactful.candidates._common import largest_positive
from tactful.candidates.base import (
    ComponentConfig,
    FloatArray,
    History,
    IndexArray,
    Interactions,
    Recommender,
    plain_history_weighting,
    plain_value,
)
from tactful.errors import ModelNotTrained

# implicit's ALS solves every subject (and item) independently, so threads do not change the
# result; BLAS is held to one thread while it runs, as implicit asks.
_FIT_LOCK = threading.Lock()


class ALSConfig(ComponentConfig):
    factors: int = Field(64, ge=1, le=1024, description="Length of the latent factor vectors.")
    regularization: float = Field(
        20.0,
        gt=0.0,
        le=1e6,
        allow_inf_nan=False,
        description="L2 regularization λ of both the subject and the item factors.",
    )
    alpha: float = Field(
        1.0,
        gt=0.0,
        le=1e4,
        allow_inf_nan=False,
        description="Confidence scale: an interaction of weight w has confidence 1 + alpha·w.",
    )
    iterations: int = Field(15, ge=1, le=1000, description="Alternating sweeps over the data.")
    binarize: bool = Field(
        True,
        description="Treat every positive interaction as weight 1 (in training and in "
        "histories); when false, the weights scale the confidence. Entries with weight 0 or "
        "less are ignored either way.",
    )
    seed: int = Field(42, ge=0, lt=2**32, description="Seed of the random initial factors.")


class ALSRecommender(Recommender[ALSConfig]):
    """Implicit-feedback ALS with request-time fold-in of the subject."""

    name = "als"
    config_type = ALSConfig
    search_space = MappingProxyType(
        {
            "factors": (16, 32, 64, 128),
            "regularization": (5.0, 10.0, 20.0, 30.0, 50.0, 100.0),
            "alpha": (0.5, 1.0, 2.0),
        }
    )
    summary = (
        "Describes each item by a few hidden taste traits learned from the activity all "
        "shoppers consented to, works out your traits from your history when recommendations "
        "are made, and shows the items that match them best. Your traits are not kept."
    )

    def __init__(self, config: ALSConfig | None = None) -> None:
        super().__init__(config if config is not None else ALSConfig())
        self._gram: npt.NDArray[np.float64] | None = None
        self._y: npt.NDArray[np.float64] | None = None  # float64 copy for the solves
        # The factors as trained, for the product over the whole catalog: it reads every
        # item's factors per request, and float32 halves those bytes (same rankings on ml-100k).
        self._y32: npt.NDArray[np.float32] | None = None

    def parameters(self) -> list[tuple[str, str]]:
        c = self.config
        if c.binarize:
            trust = f"an item you interacted with counts {plain_value(1.0 + c.alpha)} times as much"
        else:
            trust = (
                f"an item you interacted with counts 1 + {plain_value(c.alpha)} times the "
                "strength of your signal"
            )
        return [
            ("Taste traits per item", str(c.factors)),
            (
                "Smoothing",
                f"{plain_value(c.regularization)}: the higher it is, the more recommendations "
                "follow patterns shared by many shoppers rather than by a few",
            ),
            ("Weight of what you did", f"{trust} as one you did not"),
            ("Learning rounds", f"{c.iterations} passes over the consented activity"),
            ("How your history counts", plain_history_weighting(c.binarize)),
            ("Random start", f"fixed (seed {c.seed}): the same data gives the same model"),
        ]

    def counts_signal_strength(self) -> bool:
        return not self.config.binarize

    # -- training ---------------------------------------------------------------------
    def fit(self, interactions: Interactions) -> Self:
        from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]

        x = _factors.positive_matrix(interactions, binarize=self.config.binarize)
        confidence = self._confidence(x)
        with _FIT_LOCK, threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.config.factors,
                regularization=self.config.regularization,
                alpha=1.0,
                dtype=np.float32,
                iterations=self.config.iterations,
                random_state=self.config.seed,
            )
            model.fit(_factors.as_scipy_matrix(confidence), show_progress=False)
        factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self._set(factors, _factors.gram(factors, self.config.regularization))
        self.item_ids = interactions.item_ids.copy()
        return self

    # -- scoring ----------------------------------------------------------------------
    def score(self, history: History) -> FloatArray:
        y, base = self._require_factors()
        row = _factors.history_row(history, len(y), binarize=self.config.binarize)
        scores: FloatArray = self._scores(self._confidence(row), y, base)[0]
        return scores

    def score_batch(self, histories: sparse.csr_array) -> npt.NDArray[np.float32]:
        y, base = self._require_factors()
        rows = _factors.positive_rows(histories, len(y), binarize=self.config.binarize)
        return self._scores(self._confidence(rows), y, base)

    def because(self, history: History, item: int) -> int | None:
        y, _ = self._require_factors()
        return self.because_many(history, _factors.checked_item(item, len(y)))[0]

    def because_many(self, history: History, items: IndexArray) -> list[int | None]:
        entries, terms = self.contributions(history, items)
        return [largest_positive(entries, terms[:, n]) for n in range(terms.shape[1])]

    def contributions(
        self, history: History, items: IndexArray
    ) -> tuple[IndexArray, npt.NDArray[np.float64]]:
        """The history's distinct items, and each one's term in the score of each of `items`.

        Entry h adds c_h * y_i^T A^-1 y_h to item i's score, A being this history's matrix;
        the terms of an item add up to its score.
        """
        y, base = self._require_factors()
        cols = _factors.checked_items(items, len(y))
        row = _factors.history_row(history, len(y), binarize=self.config.binarize)
        return _factors.contributions(self._confidence(row), y, base, cols)

    def subject_factors(self, histories: sparse.csr_array) -> npt.NDArray[np.float64]:
        """The folded-in factors x of each history row (what the scores are Y·x of)."""
        y, base = self._require_factors()
        rows = _factors.positive_rows(histories, len(y), binarize=self.config.binarize)
        return _factors.fold_in(self._confidence(rows), y, base)

    def _confidence(self, x: sparse.csr_array) -> sparse.csr_array:
        c = x.astype(np.float64)
        c.data = 1.0 + self.config.alpha * c.data
        return c

    def _scores(
        self,
        confidence: sparse.csr_array,
        y: npt.NDArray[np.float64],
        base: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float32]:
        x = _factors.fold_in(confidence, y, base).astype(np.float32)
        y32 = self._y32 if self._y32 is not None else y.astype(np.float32)
        scores: npt.NDArray[np.float32] = x @ y32.T
        return scores

    # -- persistence ------------------------------------------------------------------
    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        y, base = self._require_factors()
        # the float64 copy holds the float32 values exactly
        return {"item_factors": y.astype(np.float32), "gram": base}

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        f = self.config.factors
        factors = _factors.checked_factors(arrays, "item_factors", (self.n_items, f))
        base = _factors.checked_gram(arrays, factors, self.config.regularization)
        self._set(factors, base)

    def _set(self, factors: FloatArray, base: npt.NDArray[np.float64]) -> None:
        self._gram = base
        self._y = factors.astype(np.float64)
        self._y32 = np.ascontiguousarray(factors, dtype=np.float32)

    def _require_factors(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if self._y is None or self._gram is None:
            raise ModelNotTrained(f"The {self.name} recommender has not been trained.")
        return self._y, self._gram
