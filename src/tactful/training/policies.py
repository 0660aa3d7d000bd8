"""Each subject's consent judged once, as a small code; each event then judged by table.

The consent rules themselves decide. For every subject, `derive_state` → `derive_level` →
`signal_policy` run exactly as they do for a decision. Subjects with the same outcome share
a code, and for each new code the two event rules are asked once per event type and per
kind of item (its set of sensitive categories), a real catalog item standing for its kind:
`SignalPolicy.allows` for the personal matrix (and only above level `off`), and
`covering_purposes` for the aggregate one. An event is then kept if
`table[code, event type, item kind]` says so: a numpy lookup, not a Python call per event.

The outcome key holds everything those rules read of a subject: the level, the policy's
usable event types and sensitive opt-ins, and the set of granted purposes.

Subjects without any consent record are never read: the rules are asked once, for an
empty ledger and every possible age band, and must let nothing through, so those subjects'
events can be dropped unread. If a rule ever changed that, training would say so.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from tactful.consent.ledger import ConsentState, derive_state
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.domain.catalog import Item
from tactful.domain.events import Event
from tactful.domain.purposes import PurposeCatalog
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.errors import TactfulError
from tactful.ingestion.minimisation import covering_purposes
from tactful.signals.selection import SignalPolicy, signal_policy
from tactful.signals.weights import signal_weight
from tactful.training.columns import EVENT_TYPES, SubjectConsents

BoolArray = npt.NDArray[np.bool_]
# The rules never read an event's time; representative events carry this one.
_WHEN = datetime(2000, 1, 1, tzinfo=UTC)


class PolicyTable:
    """Codes for the consent outcomes met so far, and what each code lets through."""

    def __init__(
        self, catalog: Mapping[str, Item], item_ids: Sequence[str], purposes: PurposeCatalog
    ) -> None:
        self.purposes = purposes
        kinds: dict[frozenset[str], int] = {}
        self.representatives: list[Item] = []
        self.item_kind = np.empty(len(item_ids), dtype=np.int32)
        for column, item_id in enumerate(item_ids):
            item = catalog[item_id]
            kind = kinds.get(item.sensitive)
            if kind is None:
                kind = kinds[item.sensitive] = len(self.representatives)
                self.representatives.append(item)
            self.item_kind[column] = kind
        self._codes: dict[Hashable, int] = {}
        self._personal: list[BoolArray] = []
        self._aggregate: list[BoolArray] = []
        self._check_no_ledger_allows_nothing()

    def code_of(self, subject: SubjectConsents) -> int:
        """The code of the subject's outcome, from the consent rules themselves."""
        state = derive_state(subject.subject_id, subject.records, self.purposes)
        level = derive_level(state, subject.attributes).level
        policy = signal_policy(level, state, self.purposes)
        key = (level, policy.event_types, policy.opted_in_sensitive, state.granted)
        code = self._codes.get(key)
        if code is None:
            code = self._codes[key] = len(self._personal)
            personal, aggregate = self._rows(subject.subject_id, level, policy, state)
            self._personal.append(personal)
            self._aggregate.append(aggregate)
        return code

    def tables(self) -> tuple[BoolArray, BoolArray]:
        """(personal, aggregate), each indexed [code, event type code, item kind]."""
        return np.stack(self._personal), np.stack(self._aggregate)

    def _rows(
        self,
        subject_id: str,
        level: PersonalizationLevel,
        policy: SignalPolicy,
        state: ConsentState,
    ) -> tuple[BoolArray, BoolArray]:
        personal = np.zeros((len(EVENT_TYPES), len(self.representatives)), dtype=np.bool_)
        aggregate = np.zeros_like(personal)
        for t, event_type in enumerate(EVENT_TYPES):
            for kind, item in enumerate(self.representatives):
                event = Event(subject_id, event_type, _WHEN, item.item_id)
                personal[t, kind] = level is not PersonalizationLevel.OFF and policy.allows(
                    event, item
                )
                covering, reason = covering_purposes(event, state, item, self.purposes)
                aggregate[t, kind] = reason is None and bool(covering)
        return personal, aggregate

    def _check_no_ledger_allows_nothing(self) -> None:
        for band in (*AgeBand, None):
            code = self.code_of(SubjectConsents("-", SubjectAttributes(age_band=band), ()))
            if self._personal[code].any() or self._aggregate[code].any():
                raise TactfulError(
                    "The consent rules now let a subject without any consent record be "
                    "profiled or counted; training reads only subjects with a ledger."
                )

    @property
    def n_codes(self) -> int:
        return len(self._personal)


class WeightTable:
    """`signal_weight` per distinct (event type, value) pair, asked once per pair."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, float | None], float] = {}

    def weights(
        self, types: npt.NDArray[np.int8], values: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float32]:
        if len(types) == 0:
            return np.zeros(0, dtype=np.float32)
        # -inf stands for "no value" so that NaN never reaches np.unique.
        pairs = np.stack([types.astype(np.float64), np.where(np.isnan(values), -np.inf, values)])
        unique, inverse = np.unique(pairs, axis=1, return_inverse=True)
        out = np.empty(unique.shape[1], dtype=np.float32)
        for n, (t, v) in enumerate(unique.T.tolist()):
            out[n] = self._weight(int(t), None if v == -np.inf else v)
        return out[inverse.reshape(-1)]

    def _weight(self, type_code: int, value: float | None) -> float:
        key = (type_code, value)
        weight = self._known.get(key)
        if weight is None:
            event = Event("-", EVENT_TYPES[type_code], _WHEN, "-", value)
            weight = self._known[key] = signal_weight(event)
        return weight
