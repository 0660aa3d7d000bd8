"""The person's protections: self-exclusions from categories and a vulnerability flag.

A self-exclusion is a commitment the person makes against their own future impulses, so
it only ever grows while in force: adding it again extends it to the later end and never
shortens it, and a dated one cannot be lifted before its end. An exclusion without an end
can be lifted, but the lift takes effect only after the policy's cooling-off days. The
vulnerability flag is the person's own statement and is cleared at once when they say so.

Every change is written to the audit log in the transaction that makes it; a request that
changes nothing is answered without an entry. What these rows mean for decisions and
messages is read through `Store.exclusions` (protections in force at a moment).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tactful.audit.chain import AuditAction
from tactful.errors import Conflict, FieldError, InvalidInput, NotFound
from tactful.ingestion.schemas import ID_PATTERN
from tactful.storage import protections as stored
from tactful.storage.protections import SELF_EXCLUSION, VULNERABLE, StoredProtection
from tactful.storage.receipts import lock_subject

if TYPE_CHECKING:
    from tactful.guardrails.policy import GuardrailPolicy
    from tactful.service import Tactful

MIN_DAYS = 1
MAX_DAYS = 3650
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ProtectionService:
    def __init__(self, service: Tactful) -> None:
        self.service = service

    @property
    def policy(self) -> GuardrailPolicy:
        return self.service.guardrails

    # -- reading ----------------------------------------------------------------------
    def of(self, subject_id: str) -> dict[str, Any]:
        """The person's protections now, and what the policy lets them choose."""
        _valid_subject_id(subject_id)
        with self.service.store.reading() as conn:
            if self.service.store.get_subject(conn, subject_id) is None:
                raise NotFound(f"No subject {subject_id!r}.")
            rows = stored.of_subject(conn, subject_id)
        return self._view(rows, self.service.clock())

    # -- self-exclusions --------------------------------------------------------------
    def self_exclude(self, subject_id: str, category: str, days: int | None) -> dict[str, Any]:
        """Exclude the person from `category` for `days` (None: until they lift it). One in
        force already is extended to the later end, never shortened; answers the outcome
        (`added`, `extended` or `unchanged`) with the protections now."""
        _valid_subject_id(subject_id)
        self._check_excludable(category)
        _check_days(days)
        with self.service.store.transaction() as conn:
            now = self.service.clock()
            self._lock(conn, subject_id)
            current = stored.find(conn, subject_id, SELF_EXCLUSION, category)
            wanted = None if days is None else now + timedelta(days=days)
            outcome, changed = _exclusion_after(current, subject_id, category, wanted, now)
            if changed is not None:
                stored.put(conn, changed)
                action = (
                    AuditAction.PROTECTION_ADDED
                    if outcome == "added"
                    else AuditAction.PROTECTION_EXTENDED
                )
                self._audit(conn, action, changed)
            rows = stored.of_subject(conn, subject_id)
        return {"outcome": outcome, **self._view(rows, now)}

    def lift(self, subject_id: str, category: str) -> dict[str, Any]:
        """Ask to lift an exclusion without an end: it ends after the cooling-off days. A
        dated one cannot be lifted (Conflict, saying when it ends); asking again changes
        nothing. Answers the outcome (`lifting` or `unchanged`) with the protections now."""
        _valid_subject_id(subject_id)
        _check_category_code(category)
        with self.service.store.transaction() as conn:
            now = self.service.clock()
            self._lock(conn, subject_id)
            current = stored.find(conn, subject_id, SELF_EXCLUSION, category)
            if current is None or not current.in_force(now):
                raise NotFound(f"There is no self-exclusion from {category!r} in force.")
            outcome = "unchanged"
            if current.lift_requested_at is None:
                if current.ends_at is not None:
                    raise Conflict(
                        f"The self-exclusion from {self.policy.title_of(category)} ends at "
                        f"{_iso(current.ends_at)} and cannot be lifted before then."
                    )
                cooling_off = self.policy.protection.self_exclusion_cooling_off_days
                lifted = replace(
                    current, ends_at=now + timedelta(days=cooling_off), lift_requested_at=now
                )
                stored.put(conn, lifted)
                self._audit(conn, AuditAction.PROTECTION_LIFTED, lifted)
                outcome = "lifting"
            rows = stored.of_subject(conn, subject_id)
        return {"outcome": outcome, **self._view(rows, now)}

    # -- vulnerability ----------------------------------------------------------------
    def set_vulnerable(self, subject_id: str, vulnerable: bool) -> dict[str, Any]:
        """Set or clear the person's flag that they are vulnerable; clearing is immediate.
        Answers the outcome (`added`, `lifted` or `unchanged`) with the protections now."""
        _valid_subject_id(subject_id)
        if not isinstance(vulnerable, bool):
            raise InvalidInput(
                "Say whether the person is vulnerable.",
                [FieldError("vulnerable", "must be true or false")],
            )
        with self.service.store.transaction() as conn:
            now = self.service.clock()
            self._lock(conn, subject_id)
            current = stored.find(conn, subject_id, VULNERABLE, "")
            outcome = "unchanged"
            if vulnerable and current is None:
                flag = StoredProtection(subject_id, VULNERABLE, "", now)
                stored.put(conn, flag)
                self._audit(conn, AuditAction.PROTECTION_ADDED, flag)
                outcome = "added"
            elif not vulnerable and current is not None:
                stored.remove(conn, subject_id, VULNERABLE, "")
                self._audit(conn, AuditAction.PROTECTION_LIFTED, replace(current, ends_at=now))
                outcome = "lifted"
            rows = stored.of_subject(conn, subject_id)
        return {"outcome": outcome, **self._view(rows, now)}

    # -- helpers ----------------------------------------------------------------------
    def _lock(self, conn: Connection, subject_id: str) -> None:
        """Take the person's lock, so two changes of their protections apply in turn."""
        if not lock_subject(conn, subject_id):
            raise NotFound(f"No subject {subject_id!r}.")

    def _audit(self, conn: Connection, action: AuditAction, protection: StoredProtection) -> None:
        self.service.audit.append(
            conn,
            action,
            subject_id=protection.subject_id,
            detail={
                "kind": protection.kind,
                "category": protection.category,
                "ends_at": _iso(protection.ends_at),
            },
        )

    def _check_excludable(self, category: str) -> None:
        allowed = self.policy.protection.self_excludable
        if category not in allowed:
            choices = ", ".join(allowed) if allowed else "none (the policy lists no category)"
            raise InvalidInput(
                f"{category!r} is not a category one can exclude oneself from; "
                f"the policy offers: {choices}.",
                [FieldError("category", f"must be one of: {choices}")],
            )

    def _categories(self, codes: tuple[str, ...]) -> list[dict[str, str]]:
        return [{"category": c, "title": self.policy.title_of(c)} for c in codes]

    def _view(self, rows: list[StoredProtection], now: datetime) -> dict[str, Any]:
        exclusions = [r for r in rows if r.kind == SELF_EXCLUSION]
        flag = next((r for r in rows if r.kind == VULNERABLE and r.in_force(now)), None)
        protection = self.policy.protection
        return {
            "self_exclusions": [self._exclusion_view(r, now) for r in exclusions],
            "vulnerable": flag is not None,
            "vulnerable_since": None if flag is None else _iso(flag.created_at),
            "self_excludable": self._categories(protection.self_excludable),
            "harm_prone": self._categories(protection.harm_prone),
            "cooling_off_days": protection.self_exclusion_cooling_off_days,
        }

    def _exclusion_view(self, row: StoredProtection, now: datetime) -> dict[str, Any]:
        status = _status(row, now)
        return {
            "category": row.category,
            "title": self.policy.title_of(row.category),
            "status": status,
            "since": _iso(row.created_at),
            "ends_at": _iso(row.ends_at),
            "lift_requested_at": _iso(row.lift_requested_at),
            "can_lift": status == "in_force" and row.ends_at is None,
        }


def _exclusion_after(
    current: StoredProtection | None,
    subject_id: str,
    category: str,
    wanted: datetime | None,
    now: datetime,
) -> tuple[str, StoredProtection | None]:
    """The outcome of asking for an exclusion until `wanted` (None: no end), and the row to
    write (None: nothing changes). Never shortens one in force; a pending lift is kept
    unless the new request reaches past it, which is a fresh commitment."""
    if current is None or not current.in_force(now):
        return "added", StoredProtection(subject_id, SELF_EXCLUSION, category, now, wanted)
    if current.ends_at is None:
        return "unchanged", None
    if wanted is not None and wanted <= current.ends_at:
        return "unchanged", None
    return "extended", replace(current, ends_at=wanted, lift_requested_at=None)


def _status(row: StoredProtection, now: datetime) -> str:
    if not row.in_force(now):
        return "ended"
    return "lifting" if row.lift_requested_at is not None else "in_force"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _valid_subject_id(subject_id: str) -> None:
    if not isinstance(subject_id, str) or not re.match(ID_PATTERN, subject_id):
        raise InvalidInput(
            "Not a valid subject id.",
            [FieldError("subject_id", "letters, digits and . _ : @ - only, at most 128")],
        )


def _check_category_code(category: str) -> None:
    if not isinstance(category, str) or not _CATEGORY.match(category):
        raise InvalidInput(
            "Not a category code.",
            [FieldError("category", "lowercase letters, digits and _, at most 64")],
        )


def _check_days(days: int | None) -> None:
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise InvalidInput(
            "Not a number of days.",
            [
                FieldError(
                    "days", f"a whole number from {MIN_DAYS} to {MAX_DAYS}, or null for no end"
                )
            ],
        )
