"""The audit log as a hash chain: canonical entries, their hashes, and the check of a chain.

Each entry's hash covers its own content and the hash of the entry before it, so changing,
removing, adding or moving any entry breaks the chain where it happened. Someone able to
write the store could still rewrite the whole chain from an edit onwards; the signed
checkpoints (a JWS over `{seq, hash, signed_at}` every so many entries) catch that, since
they cannot be re-signed without the operator's key.

This module is pure: the store hands it entries in seq order and it says what is wrong.
The hash encoding is JSON with sorted keys and no whitespace, over values that come back
unchanged from both SQLite's JSON text and PostgreSQL's JSONB (see `normalise_detail`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Any
from uuid import UUID

from tactful.errors import FieldError, InvalidInput

GENESIS = "0" * 64
# Largest detail Tactful writes: an entry says what happened, not what the data was.
MAX_DETAIL_BYTES = 16 * 1024
# How far (in seq) a moved entry is looked for when its content fails its hash.
WINDOW = 64
_INT_RANGE = (-(2**63), 2**63 - 1)
# Floats this large print with an exponent, which JSONB turns into an integer.
_EXPONENT_FLOAT = 1e16


class AuditAction(StrEnum):
    """What an entry records (dotted names; only these are written)."""

    CONSENT_CHANGED = "consent.changed"
    CONSENT_IMPORTED = "consent.imported"
    PERSONAL_DATA_READ = "personal_data.read"
    EXPORT_MADE = "export.made"
    RECTIFICATION_MADE = "rectification.made"
    HISTORY_REMOVED = "history.removed"
    ERASURE_REQUESTED = "erasure.requested"
    ERASURE_COMPLETED = "erasure.completed"
    ERASURE_READMITTED = "erasure.readmitted"
    IMPORT_REFUSED_ERASED = "import.refused_erased"
    TRAINING_RUN = "training.run"
    # The consented training matrix written out (Parquet, for a trainer beyond one machine).
    TRAINING_EXPORTED = "training.exported"
    PRIVACY_RELEASE = "privacy.release"  # cohort trends released with differential privacy
    # A release the budget cap did not allow: nothing released, the last trends kept.
    PRIVACY_RELEASE_REFUSED = "privacy.release_refused"
    NOTICE_PUBLISHED = "notice.published"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    COMPLAINT_FILED = "complaint.filed"
    COMPLAINT_UPDATED = "complaint.updated"
    COMPLAINT_RESOLVED = "complaint.resolved"
    PROTECTION_ADDED = "protection.added"
    PROTECTION_EXTENDED = "protection.extended"
    PROTECTION_LIFTED = "protection.lifted"
    FAIRNESS_AUDIT_RUN = "fairness_audit.run"
    FAIRNESS_AUDIT_ALERT = "fairness_audit.alert"
    FAIRNESS_AUDIT_ACKNOWLEDGED = "fairness_audit.acknowledged"
    ETHICS_REPORT_MADE = "ethics_report.made"
    RETENTION_RUN = "retention.run"
    CAMPAIGN_ADDED = "campaign.added"
    # A business account's rows deleted (account level; no person's data).
    ACCOUNT_ERASED = "account.erased"
    AUDIT_CHECKPOINT = "audit.checkpoint"


class ProblemKind(StrEnum):
    """The kinds of tampering `ChainCheck` tells apart."""

    MODIFIED = "modified"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHECKPOINT_FORGED = "checkpoint_forged"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    TRUNCATED = "truncated"
    HEAD_MISMATCH = "head_mismatch"


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: datetime
    actor: str
    action: str
    subject_ref: str | None
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str

    def content_hash(self, seq: int | None = None) -> str:
        """The hash of this content stored at `seq` (default: where it is)."""
        return entry_hash(
            self.seq if seq is None else seq,
            self.at,
            self.actor,
            self.action,
            self.subject_ref,
            self.detail,
            self.prev_hash,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": utc_iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "subject_ref": self.subject_ref,
            "detail": dict(self.detail),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    signed_at: datetime
    jws: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "signed_at": utc_iso(self.signed_at),
            "jws": self.jws,
        }


@dataclass(frozen=True, slots=True)
class Head:
    """The chain's last seq and hash, kept in a row of its own beside the entries."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    kind: ProblemKind
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class AuditReport:
    ok: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None
    problems: tuple[Problem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries_checked": self.entries,
            "checkpoints_checked": self.checkpoints,
            "first_bad_seq": self.first_bad_seq,
            "problems": [p.as_dict() for p in self.problems],
        }


def utc_iso(at: datetime) -> str:
    """A timestamp as both stores give it back: UTC, to the microsecond."""
    if at.tzinfo is None:
        raise InvalidInput("A timestamp has no time zone.", [FieldError("at", "naive datetime")])
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_ref: str | None,
    detail: Mapping[str, Any],
    prev_hash: str,
) -> str:
    content = {
        "seq": seq,
        "at": utc_iso(at),
        "actor": actor,
        "action": action,
        "subject_ref": subject_ref,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    try:
        return hashlib.sha256(canonical(content)).hexdigest()
    except (TypeError, ValueError, UnicodeEncodeError):
        # Content no writer could have produced (read back from a tampered row).
        return ""


def canonical(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no whitespace: one encoding per value."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def seal(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_ref: str | None,
    detail: Mapping[str, Any],
    prev_hash: str,
) -> Entry:
    """A new entry with its hash (`detail` must already be normalised)."""
    at = at.astimezone(UTC)
    digest = entry_hash(seq, at, actor, action, subject_ref, detail, prev_hash)
    return Entry(seq, at, actor, action, subject_ref, detail, prev_hash, digest)


def checkpoint_claims(seq: int, digest: str, signed_at: datetime) -> dict[str, Any]:
    return {"seq": seq, "hash": digest, "signed_at": utc_iso(signed_at)}


def normalise_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """The detail as plain JSON that reads back equal from SQLite and PostgreSQL JSONB.

    Datetimes become UTC ISO strings, UUIDs and enums their values, tuples lists; floats
    too large to print without an exponent become integers (JSONB would); NaN, NUL
    characters, lone surrogates and 64-bit overflows are refused.
    """
    if detail is None:
        return {}
    if not isinstance(detail, Mapping):
        raise _bad("detail", "must be a JSON object")
    value: dict[str, Any] = _normal(detail, "detail")
    size = len(canonical(value))
    if size > MAX_DETAIL_BYTES:
        raise _bad("detail", f"{size} bytes; at most {MAX_DETAIL_BYTES}")
    return value


def _normal(value: Any, path: str) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _normal_int(value, path)
    if isinstance(value, float):
        return _normal_float(value, path)
    if isinstance(value, str):
        return _normal_str(value, path)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _bad(path, "datetime without a time zone")
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _bad(path, f"key {key!r} is not a string")
            out[_normal_str(key, path)] = _normal(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_normal(item, f"{path}.{n}") for n, item in enumerate(value)]
    raise _bad(path, f"a {type(value).__name__} is not JSON")


def _normal_float(value: float, path: str) -> float | int:
    if not math.isfinite(value):
        raise _bad(path, "not a finite number")
    if value == 0:
        return 0.0  # no negative zero: JSONB has none
    if abs(value) >= _EXPONENT_FLOAT:
        return _normal_int(int(value), path)
    return float(value)


def _normal_int(value: int, path: str) -> int:
    if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        raise _bad(path, "integer outside the 64-bit range")
    return int(value)


def _normal_str(value: str, path: str) -> str:
    if "\x00" in value:
        raise _bad(path, "holds a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad(path, "is not valid Unicode text") from None
    return str(value)


def _bad(path: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"The audit entry's {path} cannot be written: {message}.", [FieldError(path, message)]
    )


@dataclass(slots=True)
class _Seen:
    seq: int  # where it is stored
    original: int  # the seq its hash was computed for
    hash: str
    prev_hash: str


@dataclass(slots=True)
class _Missing:
    first: int
    last: int
    noticed_at: int


@dataclass
class ChainCheck:
    """Checks a chain fed entry by entry in seq order, keeping only a small window.

    Each entry's "original" seq is the one its hash was computed for: its own when the
    content matches the hash, a nearby one when a genuine entry was moved, or (when no seq
    matches) its place in the chain, as a modified entry. The originals must then run 1, 2,
    3, ...: a jump leaves entries missing (deleted, or reordered when they turn up later);
    an original seen twice means one copy was inserted.
    """

    checkpoints: Iterable[Checkpoint]
    verify_jws: Callable[[str], Mapping[str, Any]]
    _signed: dict[int, str] = field(default_factory=dict)
    _matched: set[int] = field(default_factory=set)
    _compared: set[int] = field(default_factory=set)
    _window: dict[int, _Seen] = field(default_factory=dict)
    _missing: list[_Missing] = field(default_factory=list)
    _problems: dict[tuple[ProblemKind, int], Problem] = field(default_factory=dict)
    _last: _Seen | None = None
    _next: int = 1
    _highest: int = 0
    _entries: int = 0
    _checkpoint_rows: int = 0

    def __post_init__(self) -> None:
        for row in self.checkpoints:
            self._checkpoint_rows += 1
            self._check_signature(row)

    def _check_signature(self, row: Checkpoint) -> None:
        try:
            claims = dict(self.verify_jws(row.jws))
        except InvalidInput as exc:
            reason = exc.errors[0].message if exc.errors else exc.detail
            self._report(row.seq, ProblemKind.CHECKPOINT_FORGED, f"its signature fails: {reason}")
            return
        if claims != checkpoint_claims(row.seq, row.hash, row.signed_at):
            self._report(
                row.seq,
                ProblemKind.CHECKPOINT_FORGED,
                "the row does not hold what was signed (its seq, hash or time was changed)",
            )
            return
        self._signed[row.seq] = row.hash

    # -- entries ----------------------------------------------------------------------
    def feed(self, entry: Entry) -> None:
        self._entries += 1
        original, intact = self._original(entry)
        if not intact:
            self._report(entry.seq, ProblemKind.MODIFIED, "its content does not match its hash")
        self._place(entry, original)
        if intact:
            self._check_link(entry, original)
        if original in self._signed:
            self._compared.add(original)
            if self._signed[original] == entry.hash:
                self._matched.add(original)
        seen = _Seen(entry.seq, original, entry.hash, entry.prev_hash)
        self._last = seen
        self._highest = max(self._highest, original)
        self._window[original] = seen
        if len(self._window) > 2 * WINDOW:
            del self._window[next(iter(self._window))]

    def _original(self, entry: Entry) -> tuple[int, bool]:
        if entry.content_hash() == entry.hash:
            return entry.seq, True
        last = self._last
        shift = last.original - last.seq if last is not None else 0
        tried = {entry.seq}
        for delta in (shift, *(d * s for d in range(1, WINDOW + 1) for s in (1, -1))):
            candidate = entry.seq + delta
            if candidate < 1 or candidate in tried:
                continue
            tried.add(candidate)
            if entry.content_hash(candidate) == entry.hash:
                return candidate, True
        if last is None:
            return entry.seq, False
        return last.original + (entry.seq - last.seq), False

    def _place(self, entry: Entry, original: int) -> None:
        if original == self._next:
            self._next += 1
        elif original > self._next:
            self._missing.append(_Missing(self._next, original - 1, entry.seq))
            self._next = original + 1
        else:
            noticed = self._take_missing(original)
            if noticed is not None:
                self._report(
                    noticed,
                    ProblemKind.REORDERED,
                    f"entry {original} is stored out of order, at seq {entry.seq}",
                )
            else:
                self._duplicate(entry, original)
        last = self._last
        if last is not None and entry.seq != last.seq + 1 and original == last.original + 1:
            self._report(
                entry.seq,
                ProblemKind.REORDERED,
                f"entry {original} was renumbered to seq {entry.seq}, after seq {last.seq}",
            )

    def _duplicate(self, entry: Entry, original: int) -> None:
        # A forged entry is hashed for the place it was put in; the genuine entries after
        # it were moved along, so the copy that sits at its own seq is the forgery.
        other = self._window.get(original)
        forged = other.seq if other is not None and other.seq == original else entry.seq
        self._report(
            forged,
            ProblemKind.INSERTED,
            f"two entries claim to be entry {original}; the one at seq {forged} was added",
        )

    def _take_missing(self, original: int) -> int | None:
        for n, gap in enumerate(self._missing):
            if gap.first <= original <= gap.last:
                parts = [
                    _Missing(gap.first, original - 1, gap.noticed_at),
                    _Missing(original + 1, gap.last, gap.noticed_at),
                ]
                self._missing[n : n + 1] = [p for p in parts if p.first <= p.last]
                return gap.noticed_at
        return None

    def _check_link(self, entry: Entry, original: int) -> None:
        if original == 1:
            if entry.prev_hash != GENESIS:
                self._report(
                    entry.seq, ProblemKind.MODIFIED, "the first entry does not link to genesis"
                )
            return
        last = self._last
        if last is None or original != last.original + 1 or entry.prev_hash == last.hash:
            return
        # Both are intact, so one was rewritten and its hash recomputed; usually the
        # earlier one (an edit whose successor was left alone).
        self._report(
            last.seq,
            ProblemKind.MODIFIED,
            f"entry {entry.seq} does not link to it: it was rewritten with a recomputed hash",
        )

    # -- the end ----------------------------------------------------------------------
    def finish(self, head: Head | None) -> AuditReport:
        for gap in self._missing:
            span = (
                f"entry {gap.first} is"
                if gap.first == gap.last
                else (f"entries {gap.first} to {gap.last} are")
            )
            self._report(gap.first, ProblemKind.DELETED, f"{span} missing")
        beyond = sorted(s for s in self._signed if s > self._highest)
        for seq in sorted(self._compared - self._matched):
            holds = max((m for m in self._matched if m < seq), default=0)
            since = f"after entry {holds}" if holds else "from the start"
            self._report(
                seq,
                ProblemKind.CHECKPOINT_MISMATCH,
                f"the signed checkpoint holds another hash than entry {seq}: the chain was "
                f"rewritten {since}, up to here",
            )
        if beyond:
            self._report(
                self._highest + 1,
                ProblemKind.TRUNCATED,
                f"signed checkpoints reach seq {beyond[-1]} but the log ends at "
                f"{self._highest}: its tail was deleted",
            )
        self._check_head(head)
        problems = tuple(sorted(self._problems.values(), key=lambda p: (p.seq, p.kind.value)))
        return AuditReport(
            ok=not problems,
            entries=self._entries,
            checkpoints=self._checkpoint_rows,
            first_bad_seq=problems[0].seq if problems else None,
            problems=problems,
        )

    def _check_head(self, head: Head | None) -> None:
        last = self._last
        kind = ProblemKind.HEAD_MISMATCH
        if last is None:
            if head is not None and head.seq > 0:
                self._report(1, kind, f"the head records {head.seq} entries but the log is empty")
        elif head is None:
            self._report(last.seq, kind, "the log has entries but no head row")
        elif head.seq > last.seq:
            self._report(
                last.seq + 1,
                kind,
                f"the head records entry {head.seq} but the log ends at {last.seq}: "
                "the entries after it were deleted",
            )
        elif head.seq < last.seq:
            self._report(
                head.seq + 1,
                kind,
                f"the log goes past the head's seq {head.seq}: entries were added outside Tactful",
            )
        elif head.hash != last.hash:
            self._report(last.seq, kind, "the last entry's hash is not the one the head records")

    def _report(self, seq: int, kind: ProblemKind, message: str) -> None:
        self._problems.setdefault((kind, seq), Problem(seq, kind, message))


__all__ = [
    "GENESIS",
    "AuditAction",
    "AuditReport",
    "ChainCheck",
    "Checkpoint",
    "Entry",
    "Head",
    "Problem",
    "ProblemKind",
    "checkpoint_claims",
    "entry_hash",
    "normalise_detail",
    "seal",
    "utc_iso",
]
