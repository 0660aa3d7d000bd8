"""Pages of a person's records, newest first: the `limit` and `before` every list takes."""

from __future__ import annotations

import uuid
from datetime import datetime

from tactful.errors import FieldError, InvalidInput

MAX_PAGE = 100
Cursor = tuple[datetime, uuid.UUID | None]


def page_request(limit: int, before: str | None, what: str) -> Cursor | None:
    """The cursor `before` names (None: the first page); InvalidInput for a limit outside
    1..100 or a cursor that is neither a `next_before` value nor a time with a zone."""
    errors = []
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
    cursor = None
    if before is not None:
        cursor = parse_cursor(before)
        if cursor is None:
            errors.append(
                FieldError("before", "must be a next_before value or an ISO 8601 date-time")
            )
    if errors:
        raise InvalidInput(f"The {what} list request is invalid.", errors)
    return cursor


def parse_cursor(before: str) -> Cursor | None:
    """`time~record id` as a list hands it out in `next_before`, or a bare time with a zone."""
    moment_text, _, id_text = before.partition("~")
    try:
        moment = datetime.fromisoformat(moment_text)
        last_id = uuid.UUID(id_text) if id_text else None
    except ValueError:
        return None
    return None if moment.tzinfo is None else (moment, last_id)
