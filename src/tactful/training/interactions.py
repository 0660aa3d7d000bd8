"""The training data: only signals each subject's consent allows today.

A model is built from the same selection a decision would make for each subject, so a
withdrawn or never-given consent keeps that subject's signals out of the next model, and a
sensitive event reaches no model without the subject's opt-in to its category.

Built in two passes that never hold one Python object per event: first every ledger, one
subject at a time, reduced to a policy code (`PolicyTable`); then the events, in chunks of
columns, kept or dropped by table lookup and collected as numpy arrays. Subjects without a
ledger get no row at all: the rules let nothing of theirs through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tactful.candidates.base import Interactions
from tactful.domain.catalog import Item
from tactful.domain.purposes import PurposeCatalog
from tactful.training.columns import EventColumns, SubjectConsents
from tactful.training.matrix import MatrixBuilder
from tactful.training.policies import PolicyTable, WeightTable


@dataclass(frozen=True)
class TrainingData:
    personal: Interactions  # signals usable for profiling, per subject's level
    aggregate: Interactions  # signals still covered by some granted purpose (popularity)
    subjects_profiled: int
    events_read: int


@dataclass(frozen=True)
class _Subjects:
    """Every subject with a ledger, by position in id order, with its policy code."""

    ids: npt.NDArray[np.str_]
    codes: npt.NDArray[np.int32]
    position: Mapping[str, int]


def _judge_subjects(subjects: Iterable[SubjectConsents], table: PolicyTable) -> _Subjects:
    ids: list[str] = []
    codes: list[int] = []
    for subject in subjects:
        ids.append(subject.subject_id)
        codes.append(table.code_of(subject))
    id_array = np.array(ids, dtype=np.str_)
    # Python's string order (what from_triples used), whatever order the store returned.
    order = np.argsort(id_array, kind="stable")
    position = np.empty(len(ids), dtype=np.int64)
    position[order] = np.arange(len(ids))
    return _Subjects(
        id_array[order],
        np.array(codes, dtype=np.int32)[order],
        dict(zip(ids, position.tolist(), strict=True)),
    )


def _lookup(index: Mapping[str, int], keys: Sequence[str]) -> npt.NDArray[np.int32]:
    """Positions of `keys` in `index`; -1 for keys it does not hold."""
    try:
        return np.fromiter(map(index.__getitem__, keys), dtype=np.int32, count=len(keys))
    except KeyError:
        return np.fromiter((index.get(k, -1) for k in keys), dtype=np.int32, count=len(keys))


def build_training_data(
    subjects: Iterable[SubjectConsents],
    events: Iterable[EventColumns],
    catalog: Mapping[str, Item],
    purposes: PurposeCatalog,
) -> TrainingData:
    """Consent-filtered personal and aggregate matrices over the whole catalog.

    `subjects` holds every subject with at least one consent record (the events of anyone
    else are dropped, as the rules would); it is consumed entirely before `events` is read.
    """
    item_ids = sorted(catalog)
    table = PolicyTable(catalog, item_ids, purposes)
    known = _judge_subjects(subjects, table)
    personal_ok, aggregate_ok = table.tables()
    item_index = {item_id: n for n, item_id in enumerate(item_ids)}
    personal = MatrixBuilder(len(item_ids))
    aggregate = MatrixBuilder(len(item_ids))
    weights = WeightTable()
    read = 0
    for chunk in events:
        read += len(chunk)
        rows = _lookup(known.position, chunk.subject_ids)
        cols = _lookup(item_index, chunk.item_ids)
        types = chunk.event_types
        values = chunk.values
        valid = (rows >= 0) & (cols >= 0) & (types >= 0)
        if not valid.all():
            rows, cols, types, values = rows[valid], cols[valid], types[valid], values[valid]
        code = known.codes[rows]
        kind = table.item_kind[cols]
        in_personal = personal_ok[code, types, kind]
        in_aggregate = aggregate_ok[code, types, kind]
        either = in_personal | in_aggregate
        rows, cols = rows[either], cols[either]
        in_personal, in_aggregate = in_personal[either], in_aggregate[either]
        weight = weights.weights(types[either].astype(np.int8), values[either])
        personal.add(rows[in_personal], cols[in_personal], weight[in_personal])
        aggregate.add(rows[in_aggregate], cols[in_aggregate], weight[in_aggregate])
    columns = np.array(item_ids, dtype=np.str_)
    personal_matrix = personal.build(known.ids, columns)
    return TrainingData(
        personal=personal_matrix,
        aggregate=aggregate.build(known.ids, columns),
        subjects_profiled=len(personal_matrix.subject_ids),
        events_read=read,
    )
