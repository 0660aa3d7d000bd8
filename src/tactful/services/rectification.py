"""Rectification (GDPR Art. 16): correcting the profile and removing chosen events.

`correct_profile` corrects the descriptive attributes and the identifying fields, with the
same field rules as an import (`ingestion.schemas.SubjectIn`): a field given a value is set,
a field given null is cleared, a field not given is left as it is. Identifying fields are
sealed again under the subject's own key. `remove_events` ("remove from my history") and
`remove_events_by_item` ("forget everything about this item") delete events.

Each takes effect on the very next decision, which reads the attributes (a change to
under_18 turns personalization off) and the remaining events afresh; no model keeps
anything per person. Each is one transaction that also registers a completed
rectification request and writes the audit entry (field names or counts, never values),
so a refused request stores nothing at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tactful.domain.subjects import AgeBand, Identity
from tactful.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from tactful.ingestion.schemas import ID_PATTERN, Email, Label, PersonName, Phone, TimeZone
from tactful.storage import subject_data as data
from tactful.storage.identity import put_identities, sealed_identity
from tactful.storage.receipts import lock_subject

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tactful.service import Tactful

MAX_EVENT_IDS = 1000
MAX_PAGE = 200
ATTRIBUTE_FIELDS = ("age_band", "region", "gender", "occupation", "time_zone")
IDENTITY_FIELDS = ("email", "name", "phone")
CHANNELS = ("consumer", "operator", "cli")
_NO_IDENTITY: dict[str, str | None] = dict.fromkeys(IDENTITY_FIELDS)
# A concurrent correction of the identifying fields makes this one read them again.
_ATTEMPTS = 5


class ProfileChange(BaseModel):
    """A correction of the profile: the fields of `SubjectIn` but the id, with its types.

    A field given a value is set; given null, cleared; not given, left unchanged.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    age_band: AgeBand | None = None
    region: Label | None = None
    gender: Label | None = None
    occupation: Label | None = None
    time_zone: TimeZone | None = None
    email: Email | None = None
    name: PersonName | None = None
    phone: Phone | None = None


def parse_change(changes: Any) -> dict[str, str | None]:
    """The given fields with their validated values (None: clear); InvalidInput otherwise."""
    if not isinstance(changes, Mapping):
        raise InvalidInput("The profile change must be an object of fields.")
    try:
        parsed = ProfileChange.model_validate(dict(changes))
    except ValidationError as exc:
        raise InvalidInput(
            "The profile change is invalid; nothing was changed.",
            [
                FieldError(".".join(map(str, e["loc"])) or "body", e["msg"])
                for e in exc.errors(include_url=False)
            ],
        ) from None
    given = parsed.model_fields_set
    if not given:
        raise InvalidInput(
            "The profile change names no field; nothing was changed.",
            [FieldError("body", "give at least one of: " + ", ".join(ProfileChange.model_fields))],
        )
    values = parsed.model_dump(mode="json")
    return {name: values[name] for name in ProfileChange.model_fields if name in given}


# -- the profile ----------------------------------------------------------------------------
def get_profile(tactful: Tactful, subject_id: str) -> dict[str, Any]:
    """The subject's attributes and identifying fields (opened with their key)."""
    _valid_subject_id(subject_id)
    identity = tactful.identity(subject_id)
    with tactful.store.reading() as conn:
        row = data.subject_row(conn, subject_id)
    if row is None:
        raise NotFound(f"No subject {subject_id!r}.")
    return {
        "subject_id": subject_id,
        "created_at": row["created_at"],
        "attributes": row["attributes"],
        "attributes_updated_at": row["attributes_updated_at"],
        "identity": identity.as_dict() if identity is not None else None,
        "identity_updated_at": row["identity_updated_at"],
    }


def correct_profile(
    tactful: Tactful, subject_id: str, changes: Any, *, via: str = "operator"
) -> dict[str, Any]:
    """Correct the profile; the new profile. Refused whole (nothing stored) if any field
    is invalid."""
    _valid_subject_id(subject_id)
    _valid_channel(via)
    change = parse_change(changes)
    attribute_change = {k: v for k, v in change.items() if k in ATTRIBUTE_FIELDS}
    identity_change = {k: v for k, v in change.items() if k in IDENTITY_FIELDS}
    received = tactful.clock()
    for _ in range(_ATTEMPTS):
        with tactful.store.reading() as conn:
            if tactful.store.get_subject(conn, subject_id) is None:
                raise NotFound(f"No subject {subject_id!r}.")
            sealed_before = sealed_identity(conn, subject_id)
        identity_before = identity_after = _identity_fields(tactful, subject_id, sealed_before)
        resealed: bytes | None = None
        if identity_change:
            if sealed_before is not None and identity_before is None:
                raise Conflict(
                    "The identifying fields held for this subject cannot be opened; "
                    "nothing was changed."
                )
            identity_after = {**(identity_before or _NO_IDENTITY), **identity_change}
            if any(v is not None for v in identity_after.values()):
                # Sealed before the transaction: sealing may write a new key to the keyring,
                # which is not part of it (as `Tactful.add_subjects` does).
                resealed = tactful.cipher.seal(
                    subject_id,
                    "identity",
                    json.dumps(Identity(**identity_after).as_dict()).encode(),
                )
        with tactful.store.transaction() as conn:
            if not lock_subject(conn, subject_id):
                raise NotFound(f"No subject {subject_id!r}.")
            if identity_change and sealed_identity(conn, subject_id) != sealed_before:
                continue  # changed meanwhile: merge into the newer fields
            if via == "consumer" and "age_band" in attribute_change:
                _refuse_leaving_minority(conn, subject_id, attribute_change["age_band"])
            changed = _apply(
                tactful,
                conn,
                subject_id,
                attribute_change,
                identity_change,
                (identity_before or _NO_IDENTITY, identity_after or _NO_IDENTITY),
                resealed,
            )
            _register(tactful, conn, subject_id, via, received, {"fields_changed": len(changed)})
            tactful.audit.append(
                conn, "rectification.made", subject_id=subject_id, detail={"fields": changed}
            )
        return get_profile(tactful, subject_id)
    raise Conflict("The profile kept changing while it was being corrected; try again.")


def _refuse_leaving_minority(conn: Connection, subject_id: str, age_band: str | None) -> None:
    """A person recorded as under 18 cannot move themselves out of that band: minors are
    never profiled, and only the operator, who verifies ages, may lift it."""
    current = data.subject_row(conn, subject_id)
    if current is None or current["attributes"]["age_band"] != AgeBand.UNDER_18.value:
        return
    if age_band != AgeBand.UNDER_18.value:
        raise Forbidden(
            "Your age band is under_18; only the shop can change it, after checking your "
            "age. Nothing was changed."
        )


def _identity_fields(
    tactful: Tactful, subject_id: str, sealed: bytes | None
) -> dict[str, str | None] | None:
    if sealed is None:
        return dict(_NO_IDENTITY)
    opened = tactful.cipher.open_or_none(subject_id, "identity", sealed)
    if opened is None:
        return None
    fields = json.loads(opened)
    return {k: fields.get(k) for k in IDENTITY_FIELDS}


def _apply(
    tactful: Tactful,
    conn: Connection,
    subject_id: str,
    attribute_change: Mapping[str, str | None],
    identity_change: Mapping[str, str | None],
    identity: tuple[Mapping[str, str | None], Mapping[str, str | None]],
    resealed: bytes | None,
) -> list[str]:
    """Write the change under the subject's lock; the names of the fields it changed."""
    now = tactful.clock()
    changed: list[str] = []
    if attribute_change:
        current = data.subject_row(conn, subject_id)
        before: Mapping[str, str | None] = current["attributes"] if current else {}
        after = {k: attribute_change.get(k, before.get(k)) for k in ATTRIBUTE_FIELDS}
        changed += [
            k for k in ATTRIBUTE_FIELDS if k in attribute_change and after[k] != before.get(k)
        ]
        data.put_attributes(conn, subject_id, after, now)
    if identity_change:
        old, new = identity
        changed += [k for k in IDENTITY_FIELDS if k in identity_change and new[k] != old[k]]
        if resealed is None:
            data.delete_identity(conn, subject_id)
        else:
            put_identities(conn, [(subject_id, tactful.cipher.master.key_id, resealed)], now)
    return changed


# -- the history -----------------------------------------------------------------------------
def history_page(
    tactful: Tactful,
    subject_id: str,
    *,
    limit: int = 50,
    before: str | None = None,
    item_id: str | None = None,
) -> dict[str, Any]:
    """The subject's events, newest first, in pages: what they can pick to remove."""
    _valid_subject_id(subject_id)
    errors = []
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
    cursor = None
    if before is not None:
        cursor = _event_cursor(before)
        if cursor is None:
            errors.append(FieldError("before", "must be a next_before value"))
    if item_id is not None and not re.match(ID_PATTERN, item_id):
        errors.append(FieldError("item_id", "not a valid item id"))
    if errors:
        raise InvalidInput("The history request is invalid.", errors)
    with tactful.store.reading() as conn:
        if tactful.store.get_subject(conn, subject_id) is None:
            raise NotFound(f"No subject {subject_id!r}.")
        events = data.events_page(conn, subject_id, limit, cursor, item_id)
    last = events[-1] if len(events) == limit else None
    return {
        "events": events,
        "next_before": f"{last['occurred_at']}~{last['event_id']}" if last else None,
    }


def remove_events(
    tactful: Tactful, subject_id: str, event_ids: Sequence[int], *, via: str = "operator"
) -> dict[str, Any]:
    """Remove these events from the subject's history. Every id must be one of their
    events; if any is not, nothing is removed (NotFound, as for a missing event)."""
    _valid_subject_id(subject_id)
    _valid_channel(via)
    ids = _event_ids(event_ids)
    received = tactful.clock()
    with tactful.store.transaction() as conn:
        if not lock_subject(conn, subject_id):
            raise NotFound(f"No subject {subject_id!r}.")
        missing = len(ids) - len(data.owned_event_ids(conn, subject_id, ids))
        if missing:
            # Another person's event is answered like a missing one.
            raise NotFound(
                f"{missing} of the {len(ids)} events are not in this person's history; "
                "nothing was removed."
            )
        removed = data.delete_events(conn, subject_id, ids)
        return _removed(tactful, conn, subject_id, via, received, removed)


def remove_events_by_item(
    tactful: Tactful, subject_id: str, item_id: str, *, via: str = "operator"
) -> dict[str, Any]:
    """Forget everything the subject did with one item (every event naming it)."""
    _valid_subject_id(subject_id)
    _valid_channel(via)
    if not isinstance(item_id, str) or not re.match(ID_PATTERN, item_id):
        raise InvalidInput("Not a valid item id.", [FieldError("item_id", "not a valid item id")])
    received = tactful.clock()
    with tactful.store.transaction() as conn:
        if not lock_subject(conn, subject_id):
            raise NotFound(f"No subject {subject_id!r}.")
        removed = data.delete_item_events(conn, subject_id, item_id)
        if not removed:
            raise NotFound(f"This person's history holds no event about item {item_id!r}.")
        return _removed(tactful, conn, subject_id, via, received, removed)


def _removed(
    tactful: Tactful,
    conn: Connection,
    subject_id: str,
    via: str,
    received: datetime,
    removed: int,
) -> dict[str, Any]:
    row = _register(tactful, conn, subject_id, via, received, {"events_removed": removed})
    tactful.audit.append(conn, "history.removed", subject_id=subject_id, detail={"count": removed})
    return {
        "removed": removed,
        "request_id": str(row["request_id"]),
        "effective": "from the next decision",
    }


def _register(
    tactful: Tactful,
    conn: Connection,
    subject_id: str,
    via: str,
    received: datetime,
    counts: Mapping[str, int],
) -> dict[str, Any]:
    return data.add_completed_request(
        conn,
        kind="rectification",
        subject_id=subject_id,
        subject_ref=tactful.cipher.fingerprint(subject_id),
        via=via,
        received_at=received,
        completed_at=tactful.clock(),
        due_at=received + timedelta(days=tactful.settings.rights_request_days),
        detail=counts,
    )


def _event_ids(event_ids: Any) -> list[int]:
    if isinstance(event_ids, str | bytes) or not isinstance(event_ids, Sequence):
        raise InvalidInput("event_ids must be a list of event ids.")
    errors = [
        FieldError(f"event_ids.{n}", "must be a positive integer event id")
        for n, value in enumerate(event_ids)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63
    ]
    if not event_ids:
        errors.append(FieldError("event_ids", "give at least one event id"))
    if len(event_ids) > MAX_EVENT_IDS:
        errors.append(FieldError("event_ids", f"at most {MAX_EVENT_IDS} per request"))
    if errors:
        raise InvalidInput("The removal request is invalid; nothing was removed.", errors[:100])
    return sorted(set(event_ids))


def _event_cursor(before: str) -> tuple[datetime, int] | None:
    moment_text, _, id_text = before.rpartition("~")
    try:
        moment = datetime.fromisoformat(moment_text)
        last_id = int(id_text)
    except ValueError:
        return None
    if moment.tzinfo is None or not 0 < last_id < 2**63:
        return None
    return moment, last_id


def _valid_subject_id(subject_id: str) -> None:
    if not isinstance(subject_id, str) or not re.match(ID_PATTERN, subject_id):
        raise InvalidInput(
            "Not a valid subject id.",
            [FieldError("subject_id", "letters, digits and . _ : @ - only, at most 128")],
        )


def _valid_channel(via: str) -> None:
    if via not in CHANNELS:
        raise InvalidInput(
            "Unknown request channel.",
            [FieldError("via", "must be one of: " + ", ".join(CHANNELS))],
        )
