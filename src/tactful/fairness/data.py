"""What a fairness audit reads: lists shown, what people then engaged with, who they are.

The same shape comes from two places: the store (decisions recorded over a time window,
`tactful.services.fairness`) and an offline evaluation (a model's top-k on a public
dataset's test split, `tactful.fairness.offline`). The audit itself
(`tactful.fairness.audit`) never knows which, so both are measured the same way.

Conventions follow `tactful.metrics`: item columns index `item_ids`; lists are int64
arrays padded with -1; sparse matrices count entries > 0 as present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Segment:
    """One targeting segment (a campaign, an offer category, a surface) and who it reached.

    Arrays run over the people it considered: `person` indexes `AuditData.people`;
    `eligible`, `served` and `converted` are that person's outcome in this segment.
    `observed` says whose engagement the source can see at all (None: everyone's, as in an
    offline evaluation): the store keeps no engagement of a person whose consent stores
    none (every minor), and their not converting says nothing, so the conversion rate
    leaves them out (`tactful.metrics.targeting`).
    """

    kind: Literal["campaign", "category", "surface"]
    name: str
    person: IntArray
    eligible: BoolArray
    served: BoolArray
    converted: BoolArray
    observed: BoolArray | None = None


@dataclass(frozen=True)
class AuditData:
    source: Literal["store", "offline"]
    label: str  # "store", or the offline protocol and model (e.g. "msr-ml100k/ease")
    window_start: datetime | None  # the decisions' time window; None offline
    window_end: datetime | None
    item_ids: Sequence[str]  # per item column
    providers: Sequence[str]  # per item column: the provider group it is exposed under
    categories: sparse.csr_array  # (n_items, n_categories) 1 where the item has the category
    popularity: FloatArray  # per item column: interactions in the reference data
    population: int  # people in the reference data (novelty's denominator)
    people: Sequence[str]  # one id per person (pseudonymous; never shown in results)
    attributes: Mapping[str, Sequence[str | None]]  # attribute -> label per person
    lists: IntArray  # (n_lists, k) recommended item columns, best first, -1 padded
    list_person: IntArray  # (n_lists,) index into `people`
    relevant: sparse.csr_array  # (n_lists, n_items) what the person engaged with after
    history: sparse.csr_array  # (n_people, n_items) what the person had engaged with before
    segments: Sequence[Segment] = field(default_factory=tuple)
    counts: Mapping[str, int] = field(default_factory=dict)  # extra counts to report
