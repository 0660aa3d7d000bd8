"""Domain values from raw driver rows, for the reads that bypass SQLAlchemy's result types.

The decision hot path and the bulk training reads both take rows straight off the DBAPI
cursor; these turn them into what the Core reads would give, in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.subjects import AgeBand

STATUS = {s.value: s for s in ConsentStatus}
METHOD = {m.value: m for m in ConsentMethod}
AGE = {a.value: a for a in AgeBand}


def utc(value: datetime | str) -> datetime:
    """What `UTCDateTime` makes of a raw value: SQLite keeps text, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def consent_record(
    subject_id: str,
    purpose: str,
    status: str,
    notice_version: str,
    method: str,
    recorded_at: datetime | str,
    sequence: int,
) -> ConsentRecord:
    """One ledger row, in the column order of `consent_records`' reads."""
    return ConsentRecord(
        subject_id=subject_id,
        purpose=purpose,
        status=STATUS[status],
        notice_version=notice_version,
        method=METHOD[method],
        recorded_at=utc(recorded_at),
        sequence=int(sequence),
    )
