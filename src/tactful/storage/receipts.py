"""Consent receipts, the evidence behind imported signals, and objections, per subject."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tactful.storage import tables as t


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    receipt_id: str
    subject_id: str
    issued_at: datetime
    method: str
    notice_version: str
    choices: Sequence[Mapping[str, str]]
    ledger_sequences: Sequence[int]
    evidence_id: str | None
    jws: str

    def summary(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id,
            "issued_at": self.issued_at.isoformat(),
            "method": self.method,
            "notice_version": self.notice_version,
            "choices": [dict(c) for c in self.choices],
            "ledger_sequences": list(self.ledger_sequences),
            "evidence_id": self.evidence_id,
        }


def add_receipt(conn: Connection, receipt: StoredReceipt) -> None:
    conn.execute(
        insert(t.consent_receipts).values(
            receipt_id=uuid.UUID(receipt.receipt_id),
            subject_id=receipt.subject_id,
            issued_at=receipt.issued_at,
            method=receipt.method,
            notice_version=receipt.notice_version,
            choices=[dict(c) for c in receipt.choices],
            ledger_sequences=list(receipt.ledger_sequences),
            evidence_id=uuid.UUID(receipt.evidence_id) if receipt.evidence_id else None,
            jws=receipt.jws,
        )
    )


def _receipt(row: Any) -> StoredReceipt:
    return StoredReceipt(
        receipt_id=str(row.receipt_id),
        subject_id=row.subject_id,
        issued_at=row.issued_at,
        method=row.method,
        notice_version=row.notice_version,
        choices=list(row.choices),
        ledger_sequences=[int(n) for n in row.ledger_sequences],
        evidence_id=str(row.evidence_id) if row.evidence_id else None,
        jws=row.jws,
    )


def receipts_for(conn: Connection, subject_id: str, limit: int = 1000) -> list[StoredReceipt]:
    rows = conn.execute(
        select(t.consent_receipts)
        .where(t.consent_receipts.c.subject_id == subject_id)
        .order_by(t.consent_receipts.c.issued_at.desc(), t.consent_receipts.c.receipt_id)
        .limit(limit)
    )
    return [_receipt(r) for r in rows]


def receipt(conn: Connection, subject_id: str, receipt_id: uuid.UUID) -> StoredReceipt | None:
    row = conn.execute(
        select(t.consent_receipts).where(
            t.consent_receipts.c.receipt_id == receipt_id,
            t.consent_receipts.c.subject_id == subject_id,
        )
    ).first()
    return None if row is None else _receipt(row)


def add_evidence(
    conn: Connection,
    subject_id: str,
    kind: str,
    raw: str,
    decoded: Mapping[str, Any],
    received_at: datetime,
) -> str:
    evidence_id = uuid.uuid4()
    conn.execute(
        insert(t.consent_evidence).values(
            evidence_id=evidence_id,
            subject_id=subject_id,
            kind=kind,
            raw=raw,
            decoded=dict(decoded),
            received_at=received_at,
        )
    )
    return str(evidence_id)


def evidence_for(conn: Connection, subject_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.consent_evidence)
        .where(t.consent_evidence.c.subject_id == subject_id)
        .order_by(t.consent_evidence.c.received_at)
    )
    return [
        {
            "evidence_id": str(r.evidence_id),
            "kind": r.kind,
            "raw": r.raw,
            "decoded": dict(r.decoded),
            "received_at": r.received_at.isoformat(),
        }
        for r in rows
    ]


def active_objection(conn: Connection, subject_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(t.objections).where(
            t.objections.c.subject_id == subject_id, t.objections.c.lifted_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    return {
        "objection_id": str(row.objection_id),
        "raised_at": row.raised_at.isoformat(),
        "raised_via": row.raised_via,
    }


def raise_objection(conn: Connection, subject_id: str, via: str, now: datetime) -> None:
    conn.execute(
        insert(t.objections).values(
            objection_id=uuid.uuid4(), subject_id=subject_id, raised_at=now, raised_via=via
        )
    )


def lift_objection(conn: Connection, subject_id: str, now: datetime) -> int:
    result = conn.execute(
        update(t.objections)
        .where(t.objections.c.subject_id == subject_id, t.objections.c.lifted_at.is_(None))
        .values(lifted_at=now)
    )
    return int(result.rowcount)


def lock_subject(conn: Connection, subject_id: str) -> bool:
    """Take the subject's row lock (PostgreSQL) or the write lock (SQLite) for the rest of
    the transaction, so two consent changes for one person apply one after the other and
    each sees the other's outcome. False when there is no such subject."""
    result = conn.execute(
        update(t.subjects)
        .where(t.subjects.c.subject_id == subject_id)
        .values(created_at=t.subjects.c.created_at)
    )
    return bool(result.rowcount)


def objecting_subjects(conn: Connection, subject_ids: set[str]) -> set[str]:
    """Which of these subjects have an objection to direct marketing in force."""
    ids = sorted(subject_ids)
    found: set[str] = set()
    for start in range(0, len(ids), 2000):
        found.update(
            conn.execute(
                select(t.objections.c.subject_id).where(
                    t.objections.c.subject_id.in_(ids[start : start + 2000]),
                    t.objections.c.lifted_at.is_(None),
                )
            ).scalars()
        )
    return found
