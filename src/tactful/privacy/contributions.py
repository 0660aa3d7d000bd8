"""Who and what may be counted in the cohort trends, read from the store's streams.

Counted: the events of people who granted `personalization.aggregate` today (a stale or
withdrawn grant counts for nothing), of the kinds that purpose covers, on items in no
sensitive category (whatever the person opted in to: a sensitive interest is never part of
a trend). Never a minor's, whatever the ledger says. Each contributor's cohort is taken
from their attributes; the matrix keeps each item once per person, by its strongest
signal, which `counting.bound_contributions` then reads to keep their strongest items
among the public candidates (`privacy.public`; the model restricts the columns first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tactful.candidates.base import Interactions
from tactful.consent.ledger import derive_state
from tactful.domain.catalog import Item
from tactful.domain.purposes import PERSONALIZATION_AGGREGATE, PurposeCatalog
from tactful.domain.subjects import SubjectAttributes
from tactful.privacy.cohorts import CohortKey, CohortSpec
from tactful.training.columns import EVENT_TYPES, EventColumns, SubjectConsents
from tactful.training.matrix import MatrixBuilder
from tactful.training.policies import WeightTable


@dataclass(frozen=True)
class Contributions:
    interactions: Interactions  # contributors x countable items, strongest weight per cell
    cohorts: Mapping[str, CohortKey]  # contributor -> cohort; absent: the population only
    events_read: int


def countable_items(catalog: Mapping[str, Item]) -> list[str]:
    """The items a trend may count and show: every item in no sensitive category."""
    return sorted(item_id for item_id, item in catalog.items() if not item.sensitive)


def aggregate_contributions(
    subjects: Iterable[SubjectConsents],
    attributes: Mapping[str, SubjectAttributes],
    events: Iterable[EventColumns],
    catalog: Mapping[str, Item],
    purposes: PurposeCatalog,
    spec: CohortSpec,
) -> Contributions:
    """The contributors' countable signals and cohorts; `subjects` is read first, whole.

    `attributes` gives each subject's region and age band (a subject missing from it is
    judged on the attributes its `SubjectConsents` carries).
    """
    purpose = purposes.get(PERSONALIZATION_AGGREGATE)
    contributors: dict[str, int] = {}
    cohorts: dict[str, CohortKey] = {}
    for subject in subjects:
        held = attributes.get(subject.subject_id, subject.attributes)
        if held.is_minor or subject.attributes.is_minor:
            continue
        state = derive_state(subject.subject_id, subject.records, purposes)
        if not state.is_granted(PERSONALIZATION_AGGREGATE):
            continue
        contributors[subject.subject_id] = len(contributors)
        key = spec.key_of(held)
        if key is not None:
            cohorts[subject.subject_id] = key
    item_ids = countable_items(catalog)
    item_index = {item_id: n for n, item_id in enumerate(item_ids)}
    counted_types = np.array(
        [t.data_category in purpose.data_categories for t in EVENT_TYPES], dtype=np.bool_
    )
    builder = MatrixBuilder(len(item_ids))
    weights = WeightTable()
    read = 0
    for chunk in events:
        read += len(chunk)
        rows = _lookup(contributors, chunk.subject_ids)
        cols = _lookup(item_index, chunk.item_ids)
        types = chunk.event_types
        keep = (rows >= 0) & (cols >= 0) & (types >= 0)
        keep[keep] = counted_types[types[keep]]
        if keep.any():
            builder.add(rows[keep], cols[keep], weights.weights(types[keep], chunk.values[keep]))
    ids = np.array(list(contributors), dtype=np.str_)
    matrix = builder.build(ids, np.array(item_ids, dtype=np.str_))
    return Contributions(matrix, cohorts, read)


def _lookup(index: Mapping[str, int], keys: Iterable[str]) -> npt.NDArray[np.int32]:
    return np.fromiter((index.get(k, -1) for k in keys), dtype=np.int32)
