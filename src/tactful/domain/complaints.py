"""Complaints and concerns: what a person may report, and how a report is handled.

A person reports a decision they were shown, one item of it, or a message. The report
enters an operator queue: it is taken by someone (its owner) and ends resolved or
rejected, each with a text the person can read. The rules here are pure: what a valid
report is, which status may follow which, and how free text is cleaned before anyone
stores or shows it.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tactful.errors import Conflict, FieldError, InvalidInput

MAX_TEXT = 2000
MAX_RESOLUTION = 2000
MAX_OWNER = 128
MAX_MESSAGE_REF = 128
MAX_ITEM_ID = 128

# Bidirectional embeddings, overrides and isolates: invisible, and able to make a text
# read differently from what it holds (to an officer reading it, or in a log).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


class Reason(StrEnum):
    INTRUSIVE = "intrusive"
    IRRELEVANT = "irrelevant"
    OFFENSIVE = "offensive"
    MANIPULATIVE = "manipulative"
    OTHER = "other"


class Status(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    RESOLVED = "resolved"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self in (Status.RESOLVED, Status.REJECTED)


class Action(StrEnum):
    """What an operator can do to a complaint."""

    ASSIGN = "assign"
    RESOLVE = "resolve"
    REJECT = "reject"


# Which status each action leads to, and from where. Resolving or rejecting straight from
# `open` is allowed: an officer may answer a plain case without taking it first.
_NEXT = {
    Action.ASSIGN: Status.IN_REVIEW,
    Action.RESOLVE: Status.RESOLVED,
    Action.REJECT: Status.REJECTED,
}


def next_status(current: Status, action: Action) -> Status:
    """The status after `action`; Conflict when a closed complaint is acted on."""
    if current.final:
        raise Conflict(f"The complaint is already {current.value}; it cannot be changed.")
    return _NEXT[action]


def clean_text(text: str) -> str:
    """The text without control characters (newlines and tabs kept, line ends made
    `\\n`), bidirectional controls, unpaired surrogates or outer blank space."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in text:
        if char in "\n\t":
            kept.append(char)
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or char in _BIDI:
            continue
        kept.append(char)
    return "".join(kept).strip()


def clean_line(text: str) -> str:
    """A one-line value (a name, a reference): cleaned, with any line breaks made spaces."""
    return " ".join(clean_text(text).split())


@dataclass(frozen=True, slots=True)
class Filing:
    """A valid report: about a decision (and perhaps one item of it) or a message."""

    reason: Reason
    text: str | None
    decision_id: uuid.UUID | None
    item_id: str | None
    message_ref: str | None


def parse_filing(
    *,
    reason: str,
    text: str | None = None,
    decision_id: str | uuid.UUID | None = None,
    item_id: str | None = None,
    message_ref: str | None = None,
) -> Filing:
    """Check and clean a report; InvalidInput naming every field that is wrong."""
    errors: list[FieldError] = []
    chosen: Reason | None = None
    try:
        chosen = Reason(reason)
    except ValueError:
        errors.append(FieldError("reason", f"must be one of: {', '.join(Reason)}"))

    cleaned: str | None = None
    if text is not None:
        cleaned = clean_text(text) or None
        if cleaned is not None and len(cleaned) > MAX_TEXT:
            errors.append(FieldError("text", f"at most {MAX_TEXT} characters"))
    if chosen is Reason.OTHER and cleaned is None:
        errors.append(FieldError("text", "required when the reason is 'other'"))

    decision: uuid.UUID | None = None
    if decision_id is not None:
        try:
            decision = decision_id if isinstance(decision_id, uuid.UUID) else uuid.UUID(decision_id)
        except ValueError:
            errors.append(FieldError("decision_id", "must be a UUID"))

    item = _clean_optional(item_id, "item_id", MAX_ITEM_ID, errors)
    message = _clean_optional(message_ref, "message_ref", MAX_MESSAGE_REF, errors)

    # Judged on what was sent: a bad message_ref is one error, not two.
    if decision_id is None and message_ref is None:
        errors.append(FieldError("decision_id", "name a decision_id or a message_ref"))
    if decision_id is not None and message_ref is not None:
        errors.append(FieldError("message_ref", "name a decision or a message, not both"))
    if item is not None and decision_id is None:
        errors.append(FieldError("item_id", "an item is reported with the decision it was in"))
    if errors or chosen is None:
        raise InvalidInput("The complaint is invalid; nothing was stored.", errors)
    return Filing(chosen, cleaned, decision, item, message)


def _clean_optional(
    value: str | None, field: str, limit: int, errors: list[FieldError]
) -> str | None:
    if value is None:
        return None
    cleaned = clean_line(value)
    if not cleaned:
        errors.append(FieldError(field, "must not be blank"))
        return None
    if len(cleaned) > limit:
        errors.append(FieldError(field, f"at most {limit} characters"))
        return None
    return cleaned


def parse_owner(owner: str) -> str:
    """A complaint owner's name, cleaned: 1 to 128 characters."""
    return _required(owner, "owner", MAX_OWNER, line=True)


def parse_resolution(text: str, field: str = "resolution") -> str:
    """A resolution or rejection reason, cleaned: 1 to 2000 characters."""
    return _required(text, field, MAX_RESOLUTION, line=False)


def _required(value: str, field: str, limit: int, *, line: bool) -> str:
    cleaned = clean_line(value) if line else clean_text(value)
    if not cleaned:
        raise InvalidInput(f"The {field} is required.", [FieldError(field, "must not be blank")])
    if len(cleaned) > limit:
        raise InvalidInput(
            f"The {field} is too long.", [FieldError(field, f"at most {limit} characters")]
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint as stored; its text stays sealed until someone allowed opens it."""

    complaint_id: uuid.UUID
    subject_id: str
    decision_id: uuid.UUID | None
    item_id: str | None
    message_ref: str | None
    reason: Reason
    sealed_text: bytes | None
    status: Status
    owner: str | None
    created_at: datetime
    due_at: datetime
    updated_at: datetime
    resolution: str | None
    resolved_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return not self.status.final and self.due_at < now

    @property
    def about(self) -> str:
        if self.message_ref is not None:
            return "message"
        return "item" if self.item_id is not None else "decision"
