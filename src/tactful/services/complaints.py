"""Complaints and concerns: a person's report, the item it suppresses, the operator queue.

Filing a complaint about an item suppresses that item for the person in the same
transaction, so the very next decision leaves it out. The person's own words are sealed
under their data key (erasure shreds them with everything else) and opened only for them
and for privacy officers. Every change of a complaint is written to the audit log in the
transaction that makes it, with no personal text in the entry.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tactful.domain.complaints import (
    Action,
    Complaint,
    Filing,
    Status,
    next_status,
    parse_filing,
    parse_owner,
    parse_resolution,
)
from tactful.errors import FieldError, InvalidInput, NotFound
from tactful.ingestion.schemas import ID_PATTERN
from tactful.services.audit import AuditLog
from tactful.services.identity import SubjectCipher
from tactful.storage import complaints as stored
from tactful.storage.receipts import lock_subject
from tactful.storage.repository import Store

MAX_PAGE = 100


class ComplaintService:
    def __init__(
        self,
        store: Store,
        cipher: SubjectCipher,
        audit: AuditLog,
        clock: Callable[[], datetime],
        due_days: int,
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.audit = audit
        self.clock = clock
        self.due_days = due_days

    # -- the person -------------------------------------------------------------------
    def file(
        self,
        subject_id: str,
        *,
        reason: str,
        text: str | None = None,
        decision_id: str | uuid.UUID | None = None,
        item_id: str | None = None,
        message_ref: str | None = None,
    ) -> dict[str, Any]:
        """File a complaint; the answer holds it and what was suppressed."""
        _valid_subject_id(subject_id)
        filing = parse_filing(
            reason=reason,
            text=text,
            decision_id=decision_id,
            item_id=item_id,
            message_ref=message_ref,
        )
        # Checked before sealing: sealing may create the subject's data key, which is kept
        # apart from the store and should not be made for a refused complaint.
        with self.store.reading() as conn:
            self._check_subject_of(conn, subject_id, filing)
        complaint_id = uuid.uuid4()
        sealed = None
        if filing.text is not None:
            sealed = self.cipher.seal(
                subject_id, _text_field(complaint_id), filing.text.encode("utf-8")
            )
        now = self.clock()
        complaint = Complaint(
            complaint_id=complaint_id,
            subject_id=subject_id,
            decision_id=filing.decision_id,
            item_id=filing.item_id,
            message_ref=filing.message_ref,
            reason=filing.reason,
            sealed_text=sealed,
            status=Status.OPEN,
            owner=None,
            created_at=now,
            due_at=now + timedelta(days=self.due_days),
            updated_at=now,
            resolution=None,
            resolved_at=None,
        )
        with self.store.transaction() as conn:
            if not lock_subject(conn, subject_id):
                raise NotFound(f"No subject {subject_id!r}.")
            stored.add_complaint(conn, complaint)
            since = None
            if filing.item_id is not None:
                since = stored.suppression_since(conn, subject_id, filing.item_id)
                if since is None:
                    since = now
                    stored.add_suppression(conn, subject_id, filing.item_id, complaint_id, now)
            self.audit.append(
                conn,
                "complaint.filed",
                subject_id=subject_id,
                detail={
                    "complaint_id": str(complaint_id),
                    "reason": filing.reason.value,
                    "about": complaint.about,
                    "suppressed": filing.item_id is not None,
                },
            )
        return {
            "complaint": _person_view(complaint, filing.text),
            "suppression": _suppression_view(filing, since),
        }

    def of_subject(self, subject_id: str) -> list[dict[str, Any]]:
        """The person's complaints, newest first, as they see them (their text opened)."""
        with self.store.reading() as conn:
            found = stored.complaints_of(conn, subject_id)
        return [_person_view(c, self._text(c)) for c in found]

    def mine(self, subject_id: str, complaint_id: str) -> dict[str, Any]:
        """One of the person's complaints; another person's is answered like a missing one."""
        key = _complaint_key(complaint_id)
        with self.store.reading() as conn:
            found = stored.get_complaint(conn, key)
        if found is None or found.subject_id != subject_id:
            raise NotFound(f"No complaint {complaint_id} for this person.")
        return _person_view(found, self._text(found))

    # -- the operators ----------------------------------------------------------------
    def queue(
        self,
        *,
        status: Sequence[str] = (),
        overdue: bool = False,
        owner: str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> dict[str, Any]:
        """Complaints by due date, soonest first, in pages of `limit` (no text opened)."""
        errors: list[FieldError] = []
        statuses: set[Status] = set()
        for value in status:
            try:
                statuses.add(Status(value))
            except ValueError:
                errors.append(FieldError("status", f"must be one of: {', '.join(Status)}"))
        if not 1 <= limit <= MAX_PAGE:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
        cursor = None
        if after is not None:
            cursor = _queue_cursor(after)
            if cursor is None:
                errors.append(FieldError("after", "must be a next_after value"))
        chosen_owner = None
        if owner is not None:
            try:
                chosen_owner = parse_owner(owner)
            except InvalidInput as exc:
                errors.extend(exc.errors)
        if errors:
            raise InvalidInput("The complaint queue request is invalid.", errors)
        now = self.clock()
        where = stored.QueueFilter(
            statuses=frozenset(statuses),
            overdue_at=now if overdue else None,
            owner=chosen_owner,
        )
        with self.store.reading() as conn:
            found = stored.queue(conn, where, limit, cursor)
        last = found[-1] if len(found) == limit else None
        return {
            "complaints": [_officer_view(c, now) for c in found],
            "next_after": f"{last.due_at.isoformat()}~{last.complaint_id}" if last else None,
        }

    def get(self, complaint_id: str) -> dict[str, Any]:
        """One complaint with the person's text opened, for a privacy officer.

        The caller writes the read to the audit log (it knows who is reading)."""
        key = _complaint_key(complaint_id)
        with self.store.reading() as conn:
            found = stored.get_complaint(conn, key)
        if found is None:
            raise NotFound(f"No complaint {complaint_id}.")
        return _officer_view(found, self.clock()) | {"text": self._text(found)}

    def assign(self, complaint_id: str, owner: str) -> dict[str, Any]:
        """Give the complaint an owner (or a new one) and put it in review."""
        name = parse_owner(owner)
        return self._act(complaint_id, Action.ASSIGN, owner=name)

    def resolve(self, complaint_id: str, resolution: str) -> dict[str, Any]:
        """Close the complaint with the answer the person will read."""
        text = parse_resolution(resolution)
        return self._act(complaint_id, Action.RESOLVE, resolution=text)

    def reject(self, complaint_id: str, reason: str) -> dict[str, Any]:
        """Close the complaint as not upheld, saying why (the person reads it)."""
        text = parse_resolution(reason, "reason")
        return self._act(complaint_id, Action.REJECT, resolution=text)

    def _act(
        self,
        complaint_id: str,
        action: Action,
        *,
        owner: str | None = None,
        resolution: str | None = None,
    ) -> dict[str, Any]:
        key = _complaint_key(complaint_id)
        now = self.clock()
        with self.store.transaction() as conn:
            found = stored.lock_complaint(conn, key)
            if found is None:
                raise NotFound(f"No complaint {complaint_id}.")
            status = next_status(found.status, action)
            changed = replace(found, status=status, updated_at=now, owner=owner or found.owner)
            if status.final:
                changed = replace(changed, resolution=resolution, resolved_at=now)
            stored.update_complaint(
                conn,
                key,
                status=status.value,
                updated_at=now,
                owner=changed.owner,
                resolution=changed.resolution,
                resolved_at=changed.resolved_at,
            )
            self._audit_change(conn, found, status, owner_changed=changed.owner != found.owner)
        return _officer_view(changed, now)

    def _audit_change(
        self, conn: Connection, before: Complaint, status: Status, *, owner_changed: bool
    ) -> None:
        detail: dict[str, Any] = {
            "complaint_id": str(before.complaint_id),
            "from": before.status.value,
            "to": status.value,
        }
        if owner_changed:
            # That it changed hands, not to whom: the owner is a person's name.
            detail["owner_changed"] = True
        action = "complaint.resolved" if status.final else "complaint.updated"
        self.audit.append(conn, action, subject_id=before.subject_id, detail=detail)

    # -- helpers ----------------------------------------------------------------------
    def _check_subject_of(self, conn: Connection, subject_id: str, filing: Filing) -> None:
        if self.store.get_subject(conn, subject_id) is None:
            raise NotFound(f"No subject {subject_id!r}.")
        if filing.decision_id is None:
            return
        record = self.store.get_decision(conn, filing.decision_id)
        # Another person's decision is answered exactly like a missing one.
        if record is None or record.get("subject_id") != subject_id:
            raise NotFound(f"No decision {filing.decision_id} for this person.")
        if filing.item_id is not None and filing.item_id not in {
            i["item_id"] for i in record.get("items", [])
        }:
            raise InvalidInput(
                "The item was not part of that decision; nothing was stored.",
                [FieldError("item_id", "not among the decision's items")],
            )

    def _text(self, complaint: Complaint) -> str | None:
        """The person's words, opened; None when there were none or the key is gone."""
        if complaint.sealed_text is None:
            return None
        opened = self.cipher.open_or_none(
            complaint.subject_id, _text_field(complaint.complaint_id), complaint.sealed_text
        )
        return None if opened is None else opened.decode("utf-8")


def _text_field(complaint_id: uuid.UUID) -> str:
    return f"complaint:{complaint_id}"


def _valid_subject_id(subject_id: str) -> None:
    if not re.match(ID_PATTERN, subject_id):
        raise InvalidInput(
            "Not a valid subject id.",
            [FieldError("subject_id", "letters, digits and . _ : @ - only, at most 128")],
        )


def _complaint_key(complaint_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(complaint_id)
    except ValueError:
        raise InvalidInput(
            "Not a complaint id.", [FieldError("complaint_id", "must be a UUID")]
        ) from None


def _queue_cursor(value: str) -> tuple[datetime, uuid.UUID] | None:
    due, sep, last = value.partition("~")
    if not sep:
        return None
    try:
        moment = datetime.fromisoformat(due)
        key = uuid.UUID(last)
        # In UTC now: a date at the edge of the calendar may not fit once moved there.
        return None if moment.tzinfo is None else (moment.astimezone(UTC), key)
    except (ValueError, OverflowError):
        return None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _about(c: Complaint) -> dict[str, Any]:
    return {
        "kind": c.about,
        "decision_id": str(c.decision_id) if c.decision_id else None,
        "item_id": c.item_id,
        "message_ref": c.message_ref,
    }


def _person_view(c: Complaint, text: str | None) -> dict[str, Any]:
    """What the person sees: their complaint and its handling. The handler is shown as
    "assigned", not by name: staff are not named to the public, and the answer comes
    from the organisation, not from one employee."""
    return {
        "complaint_id": str(c.complaint_id),
        "about": _about(c),
        "reason": c.reason.value,
        "text": text,
        "status": c.status.value,
        "owner": "assigned" if c.owner else None,
        "created_at": c.created_at.isoformat(),
        "due_at": c.due_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
        "resolution": c.resolution,
        "resolved_at": _iso(c.resolved_at),
    }


def _officer_view(c: Complaint, now: datetime) -> dict[str, Any]:
    """What the queue shows an operator: everything but the person's words."""
    return {
        "complaint_id": str(c.complaint_id),
        "subject_id": c.subject_id,
        "about": _about(c),
        "reason": c.reason.value,
        "has_text": c.sealed_text is not None,
        "status": c.status.value,
        "owner": c.owner,
        "created_at": c.created_at.isoformat(),
        "due_at": c.due_at.isoformat(),
        "overdue": c.overdue(now),
        "updated_at": c.updated_at.isoformat(),
        "resolution": c.resolution,
        "resolved_at": _iso(c.resolved_at),
    }


def _suppression_view(filing: Filing, since: datetime | None) -> dict[str, Any]:
    if filing.item_id is not None and since is not None:
        return {
            "suppressed": True,
            "item_id": filing.item_id,
            "since": since.isoformat(),
            "note": "This item will not be shown to you again.",
        }
    if filing.message_ref is not None:
        note = "Your report about this message was recorded; nothing was suppressed."
    else:
        note = (
            "The whole decision was reported: no item was suppressed. Report one item of it "
            "to stop seeing that item."
        )
    return {"suppressed": False, "item_id": None, "since": None, "note": note}
