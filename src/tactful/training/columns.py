"""What a training run reads from the store, in shapes cheap enough for 20M events.

Events arrive as chunks of columns rather than one object per event, and consent arrives
one subject at a time, so neither ever sits in memory as millions of Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np
import numpy.typing as npt

from tactful.consent.ledger import ConsentRecord
from tactful.domain.events import Event, EventType
from tactful.domain.subjects import SubjectAttributes

# Event types by code: `EventColumns.event_types[n]` indexes this tuple (-1: unknown type).
EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)
TYPE_CODES: Mapping[str, int] = {e.value: n for n, e in enumerate(EVENT_TYPES)}


@dataclass(frozen=True, slots=True)
class EventColumns:
    """A chunk of events that name an item, column by column (same length each)."""

    subject_ids: Sequence[str]
    item_ids: Sequence[str]
    event_types: npt.NDArray[np.int8]  # codes into EVENT_TYPES; -1 (unknown) is ignored
    values: npt.NDArray[np.float64]  # a rating's stars; NaN when the event has no value

    def __len__(self) -> int:
        return len(self.subject_ids)


@dataclass(frozen=True, slots=True)
class SubjectConsents:
    """One subject's attributes and whole consent ledger (any order).

    A subject the training run is given no `SubjectConsents` for has no ledger: nothing
    of theirs may be used (privacy by default), which `PolicyTable` checks.
    """

    subject_id: str
    attributes: SubjectAttributes
    records: Sequence[ConsentRecord]


def event_columns(events: Iterable[Event], chunk_rows: int = 100_000) -> Iterator[EventColumns]:
    """Chunk domain events into columns; events without an item are left out."""
    it = iter(e for e in events if e.item_id is not None)
    while chunk := list(islice(it, chunk_rows)):
        yield EventColumns(
            [e.subject_id for e in chunk],
            [e.item_id for e in chunk if e.item_id is not None],
            np.array([TYPE_CODES[e.event_type.value] for e in chunk], dtype=np.int8),
            np.array([e.value for e in chunk], dtype=np.float64),
        )


def subject_consents(
    subject_ids: Iterable[str],
    consents: Mapping[str, Sequence[ConsentRecord]],
    attributes: Mapping[str, SubjectAttributes],
) -> Iterator[SubjectConsents]:
    """In-memory ledgers and attributes, one subject at a time (tests, small imports)."""
    for subject_id in subject_ids:
        yield SubjectConsents(
            subject_id,
            attributes.get(subject_id, SubjectAttributes()),
            consents.get(subject_id, ()),
        )
