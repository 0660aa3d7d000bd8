"""Popularity per firmographic segment: what organisations like this one take.

A segment is an industry and a size band. Training counts, per item, how many organisations
of each segment interacted with it, and keeps a segment only when at least `min_accounts`
organisations with activity are in it; the same for each industry. Scoring an organisation
then uses its segment, else its industry, else every organisation: a small segment never
speaks for itself, so one customer's orders are never shown to a competitor as "popular
with organisations like yours". The counts of segments too small are not even saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field
from scipy import sparse

from tactful.candidates.base import ComponentConfig, FloatArray, History, Interactions, Recommender
from tactful.errors import InvalidInput, ModelNotTrained

# (industry, size band) of an organisation; either may be unknown.
Firmographics = tuple[str | None, str | None]


class SegmentBasis(StrEnum):
    """Which population a list was counted over."""

    SEGMENT = "segment"  # same industry and size band
    INDUSTRY = "industry"  # same industry, any size
    ALL = "all"  # every organisation


class SegmentPopularityConfig(ComponentConfig):
    min_accounts: int = Field(
        3,
        ge=1,
        le=10_000,
        description="Fewest organisations with activity a segment (or an industry) needs "
        "before its own popularity is used; below it, the next wider population is.",
    )


def segment_key(industry: str, size_band: str | None) -> str:
    return f"{industry}|{size_band or ''}"


class SegmentPopularity(Recommender[SegmentPopularityConfig]):
    """Per segment, per industry and overall: how many organisations took each item."""

    name = "segment_popularity"
    config_type = SegmentPopularityConfig
    personal = False
    summary = (
        "Shows the items most organisations like yours took (same industry and size band), "
        "else those of your industry, else those of all organisations; a group is used only "
        "when enough organisations are in it."
    )

    def __init__(self, config: SegmentPopularityConfig | None = None) -> None:
        super().__init__(config if config is not None else SegmentPopularityConfig())
        self._overall: FloatArray | None = None
        self._keys: dict[str, int] = {}
        self._counts: FloatArray = np.zeros((0, 0), dtype=np.float32)
        self._members = np.zeros(0, dtype=np.int64)

    def parameters(self) -> list[tuple[str, str]]:
        return [
            ("Popularity measured by", "the number of organisations that took the item"),
            (
                "Smallest group used",
                f"{self.config.min_accounts} organisations with activity; a smaller group "
                "falls back to the industry, then to all organisations",
            ),
        ]

    def counts_signal_strength(self) -> bool:
        return False

    # -- training ---------------------------------------------------------------------
    def fit(self, interactions: Interactions) -> Self:
        """Overall popularity only (no firmographics known)."""
        return self.fit_segments(interactions, {})

    def fit_segments(
        self, interactions: Interactions, firmographics: Mapping[str, Firmographics]
    ) -> Self:
        """Learn from the account-by-item matrix and each account's (industry, size band)."""
        matrix = interactions.matrix
        if matrix.shape != (len(interactions.subject_ids), interactions.n_items):
            raise InvalidInput("The interaction matrix does not match its account and item ids.")
        took = sparse.csr_array((matrix > 0).astype(np.float32))
        n_items = interactions.n_items
        overall = np.asarray(took.sum(axis=0), dtype=np.float32).reshape(n_items)
        groups: dict[str, list[int]] = {}
        for row, account_id in enumerate(interactions.subject_ids.tolist()):
            industry, size_band = firmographics.get(account_id, (None, None))
            if industry is None:
                continue
            groups.setdefault(segment_key(industry, None), []).append(row)
            if size_band is not None:
                groups.setdefault(segment_key(industry, size_band), []).append(row)
        kept = sorted(k for k, rows in groups.items() if len(rows) >= self.config.min_accounts)
        counts = np.zeros((len(kept), n_items), dtype=np.float32)
        for n, key in enumerate(kept):
            rows = np.asarray(groups[key], dtype=np.int64)
            counts[n] = np.asarray(took[rows].sum(axis=0), dtype=np.float32).reshape(n_items)
        self._set(overall, kept, counts)
        self._members = np.asarray([len(groups[k]) for k in kept], dtype=np.int64)
        self.item_ids = interactions.item_ids.copy()
        return self

    def _set(self, overall: FloatArray, keys: list[str], counts: FloatArray) -> None:
        # Read-only: `tiers` hands out views, which no caller may change.
        overall.flags.writeable = False
        counts.flags.writeable = False
        self._overall = overall
        self._keys = {k: n for n, k in enumerate(keys)}
        self._counts = counts

    # -- scoring ----------------------------------------------------------------------
    def score(self, history: History) -> FloatArray:
        return self._require_overall().copy()

    def tiers(
        self, industry: str | None, size_band: str | None
    ) -> list[tuple[SegmentBasis, FloatArray]]:
        """The scores for an organisation of this industry and size band, narrowest
        population first: its segment and its industry when large enough, then everyone."""
        overall = self._require_overall()
        out: list[tuple[SegmentBasis, FloatArray]] = []
        if industry is not None:
            if size_band is not None:
                row = self._keys.get(segment_key(industry, size_band))
                if row is not None:
                    out.append((SegmentBasis.SEGMENT, self._counts[row]))
            row = self._keys.get(segment_key(industry, None))
            if row is not None:
                out.append((SegmentBasis.INDUSTRY, self._counts[row]))
        out.append((SegmentBasis.ALL, overall))
        return out

    @property
    def segments(self) -> int:
        """How many segments and industries are large enough to be used."""
        return len(self._keys)

    # -- persistence ------------------------------------------------------------------
    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        keys = sorted(self._keys, key=self._keys.__getitem__)
        return {
            "overall": self._require_overall(),
            "segment_keys": np.asarray(keys, dtype=np.str_),
            "segment_counts": self._counts,
            "segment_members": self._members,
        }

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        try:
            overall = np.asarray(arrays["overall"], dtype=np.float32)
            keys = [str(k) for k in arrays["segment_keys"].tolist()]
            counts = np.asarray(arrays["segment_counts"], dtype=np.float32)
            members = np.asarray(arrays["segment_members"], dtype=np.int64)
        except KeyError as exc:
            raise InvalidInput(f"The saved segment popularity lacks {exc}.") from exc
        n_items = self.n_items
        if overall.shape != (n_items,) or counts.shape != (len(keys), n_items):
            raise InvalidInput("The saved segment popularity has the wrong shape.")
        if members.shape != (len(keys),):
            raise InvalidInput("The saved segment popularity has the wrong shape.")
        self._set(overall, keys, counts)
        self._members = members

    def _require_overall(self) -> FloatArray:
        if self._overall is None:
            raise ModelNotTrained(f"The {self.name} recommender has not been trained.")
        return self._overall
