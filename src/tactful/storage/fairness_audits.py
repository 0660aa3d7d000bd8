"""Fairness audit runs (see `tables.fairness_audits`): kept for the trend and the alert flag."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tactful.storage import tables as t

_A = t.fairness_audits.c


@dataclass(frozen=True)
class AuditRun:
    audit_id: str
    source: str
    label: str
    window_start: datetime | None
    window_end: datetime | None
    started_at: datetime
    seconds: float
    triggered_by: str
    alert: bool
    crossed: list[dict[str, Any]]
    result: dict[str, Any]
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    def summary(self) -> dict[str, Any]:
        """Everything but the full result: what a list of runs shows."""
        return {
            "audit_id": self.audit_id,
            "source": self.source,
            "label": self.label,
            "window": {
                "start": _iso(self.window_start),
                "end": _iso(self.window_end),
            },
            "started_at": _iso(self.started_at),
            "seconds": self.seconds,
            "triggered_by": self.triggered_by,
            "alert": self.alert,
            "crossed": self.crossed,
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _run(row: Any) -> AuditRun:
    return AuditRun(
        audit_id=str(row.audit_id),
        source=row.source,
        label=row.label,
        window_start=row.window_start,
        window_end=row.window_end,
        started_at=row.started_at,
        seconds=float(row.seconds),
        triggered_by=row.triggered_by,
        alert=bool(row.alert),
        crossed=list(row.crossed),
        result=dict(row.result),
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
    )


def add(conn: Connection, run: AuditRun) -> None:
    conn.execute(
        insert(t.fairness_audits).values(
            audit_id=uuid.UUID(run.audit_id),
            source=run.source,
            label=run.label,
            window_start=run.window_start,
            window_end=run.window_end,
            started_at=run.started_at,
            seconds=run.seconds,
            triggered_by=run.triggered_by,
            alert=run.alert,
            crossed=run.crossed,
            result=run.result,
            acknowledged_at=run.acknowledged_at,
            acknowledged_by=run.acknowledged_by,
        )
    )


def get(conn: Connection, audit_id: str) -> AuditRun | None:
    try:
        key = uuid.UUID(audit_id)
    except ValueError:
        return None
    row = conn.execute(select(t.fairness_audits).where(_A.audit_id == key)).first()
    return _run(row) if row is not None else None


def history(
    conn: Connection,
    *,
    source: str | None = None,
    label: str | None = None,
    before: datetime | None = None,
    limit: int = 50,
) -> list[AuditRun]:
    """Runs newest first, optionally of one source and label, started before `before`."""
    query = select(t.fairness_audits)
    if source is not None:
        query = query.where(_A.source == source)
    if label is not None:
        query = query.where(_A.label == label)
    if before is not None:
        query = query.where(_A.started_at < before)
    rows = conn.execute(query.order_by(_A.started_at.desc(), _A.audit_id).limit(limit))
    return [_run(row) for row in rows]


def latest(conn: Connection, source: str | None = None) -> AuditRun | None:
    runs = history(conn, source=source, limit=1)
    return runs[0] if runs else None


def acknowledge(conn: Connection, audit_id: str, by: str, now: datetime) -> bool:
    """Mark a run's alert as seen; False when there is no such run or it was already seen."""
    try:
        key = uuid.UUID(audit_id)
    except ValueError:
        return False
    result = conn.execute(
        update(t.fairness_audits)
        .where(_A.audit_id == key, _A.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=by)
    )
    return result.rowcount == 1


def unacknowledged_alerts(conn: Connection) -> list[AuditRun]:
    """Runs that raised an alert nobody has acknowledged yet, newest first."""
    rows = conn.execute(
        select(t.fairness_audits)
        .where(_A.alert.is_(True), _A.acknowledged_at.is_(None))
        .order_by(_A.started_at.desc())
        .limit(100)
    )
    return [_run(row) for row in rows]
