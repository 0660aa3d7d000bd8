"""The consent ledger: append-only records, from which the current state is derived.

A record is never edited. A change of mind is a new record; the state is the latest record
per purpose, in ledger order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from tactful.domain.purposes import PurposeCatalog


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class ConsentMethod(StrEnum):
    """How the choice reached Tactful; kept as evidence beside the choice."""

    WEB_FORM = "web_form"
    API = "api"
    IMPORT = "import"
    GPC = "gpc"
    TCF = "tcf"
    # A one-click unsubscribe link of a message (RFC 8058).
    UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    subject_id: str
    purpose: str
    status: ConsentStatus
    notice_version: str
    method: ConsentMethod
    recorded_at: datetime
    # Ledger position, assigned by the store; orders records recorded in the same instant.
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The latest choice per purpose for one subject."""

    subject_id: str
    choices: Mapping[str, ConsentRecord] = field(default_factory=lambda: MappingProxyType({}))
    # Purposes granted against a notice that has since added to or widened them: these
    # count as not granted until the person chooses again.
    stale: frozenset[str] = frozenset()

    def is_granted(self, purpose: str) -> bool:
        record = self.choices.get(purpose)
        return (
            record is not None
            and record.status is ConsentStatus.GRANTED
            and purpose not in self.stale
        )

    @property
    def granted(self) -> frozenset[str]:
        return frozenset(
            p
            for p, r in self.choices.items()
            if r.status is ConsentStatus.GRANTED and p not in self.stale
        )

    @property
    def has_choices(self) -> bool:
        return bool(self.choices)


def derive_state(
    subject_id: str, records: Iterable[ConsentRecord], purposes: PurposeCatalog | None = None
) -> ConsentState:
    """The latest record per purpose; with `purposes`, grants to retired or renewed purposes
    do not count (a retired purpose is one the catalog no longer declares)."""
    latest: dict[str, ConsentRecord] = {}
    for record in sorted(records, key=lambda r: (r.sequence, r.recorded_at)):
        if record.subject_id != subject_id:
            continue
        latest[record.purpose] = record
    stale: frozenset[str] = frozenset()
    if purposes is not None:
        stale = frozenset(
            code
            for code, r in latest.items()
            if r.status is ConsentStatus.GRANTED
            and (code not in purposes.by_code or purposes.is_stale(code, r.notice_version))
        )
    return ConsentState(subject_id, MappingProxyType(latest), stale)
