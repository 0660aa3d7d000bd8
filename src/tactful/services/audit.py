"""The audit log: who did what to whose data, in a hash chain with signed checkpoints.

Entries are appended inside the transaction of the change they record, so a change and
its entry are committed together or not at all. Subjects are named by a keyed
fingerprint, never by their id, so the log outlives erasure without naming anyone; the
detail says what happened (purposes, counts, ids of receipts), never what the data was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from tactful.audit import chain
from tactful.audit.chain import AuditAction, AuditReport, ChainCheck, Checkpoint, Entry
from tactful.audit.context import current_actor
from tactful.consent.signing import ReceiptSigner, verify_receipt
from tactful.errors import FieldError, InvalidInput
from tactful.storage import audit as stored
from tactful.storage.repository import Store

MAX_ACTOR = 128
MAX_LIMIT = 1000
MAX_SEQ = 2**63 - 1


class AuditLog:
    def __init__(
        self,
        store: Store,
        signer: ReceiptSigner,
        clock: Callable[[], datetime],
        checkpoint_every: int,
        fingerprint: Callable[[str], str],
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        self.checkpoint_every = checkpoint_every
        self.fingerprint = fingerprint

    def append(
        self,
        conn: Connection,
        action: str,
        *,
        subject_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> int:
        """Append one entry inside the caller's transaction; its sequence number.

        The head is locked first, so appenders (and the changes they record) commit one
        after the other from here on; record last in a transaction that takes other locks.
        Every `checkpoint_every` entries a signed checkpoint is written as well.
        """
        return self._add(conn, action, subject_id, detail, actor)[0].seq

    def record(
        self,
        action: str,
        *,
        subject_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> int:
        """Append one entry in a transaction of its own."""
        with self.store.transaction() as conn:
            return self.append(conn, action, subject_id=subject_id, detail=detail, actor=actor)

    def checkpoint(self, *, actor: str | None = None) -> Checkpoint:
        """Sign a checkpoint now, over an `audit.checkpoint` entry saying who asked."""
        with self.store.transaction() as conn:
            entry, signed = self._add(conn, AuditAction.AUDIT_CHECKPOINT, None, None, actor)
            return signed if signed is not None else self._sign(conn, entry)

    def _add(
        self,
        conn: Connection,
        action: str,
        subject_id: str | None,
        detail: Mapping[str, Any] | None,
        actor: str | None,
    ) -> tuple[Entry, Checkpoint | None]:
        known = _action(action)
        who = _actor(actor if actor is not None else current_actor())
        body = chain.normalise_detail(detail)
        subject_ref = self.fingerprint(subject_id) if subject_id is not None else None
        head = stored.lock_head(conn)
        # The time is taken under the lock, so entries are stamped in seq order.
        entry = chain.seal(head.seq, self.clock(), who, known.value, subject_ref, body, head.hash)
        stored.add_entry(conn, entry)
        if entry.seq % self.checkpoint_every == 0:
            return entry, self._sign(conn, entry)
        return entry, None

    def _sign(self, conn: Connection, entry: Entry) -> Checkpoint:
        signed_at = self.clock()
        claims = chain.checkpoint_claims(entry.seq, entry.hash, signed_at)
        made = Checkpoint(entry.seq, entry.hash, signed_at, self.signer.sign(claims))
        stored.add_checkpoint(conn, made)
        return made

    def verify(self, jwks: Mapping[str, Any] | None = None) -> AuditReport:
        """Check the whole chain, its checkpoints (against `jwks`, default the public half
        of the signing key) and its head, from one snapshot of the store."""
        keys = dict(jwks) if jwks is not None else self.signer.jwks()
        with stored.snapshot(self.store.engine) as conn:
            check = ChainCheck(stored.checkpoints(conn), lambda jws: verify_receipt(jws, keys))
            for entry in stored.iter_entries(conn):
                check.feed(entry)
            return check.finish(stored.head(conn))

    def entries(
        self,
        subject_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> list[Entry]:
        """Entries newest first; page on with `before` = the last seq of a page."""
        errors: list[FieldError] = []
        known = None
        if action is not None:
            try:
                known = _action(action)
            except InvalidInput as exc:
                errors += exc.errors
        if not 1 <= limit <= MAX_LIMIT:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
        if before is not None and not 1 <= before <= MAX_SEQ:
            errors.append(FieldError("before", "must be a positive seq"))
        if since is not None:
            since = _utc(since, errors)
        if errors:
            raise InvalidInput("The audit log query is invalid.", errors)
        subject_ref = self.fingerprint(subject_id) if subject_id is not None else None
        with self.store.reading() as conn:
            return stored.find_entries(
                conn,
                subject_ref=subject_ref,
                action=known,
                since=since,
                before=before,
                limit=limit,
            )


def _action(action: str) -> AuditAction:
    try:
        return AuditAction(action)
    except ValueError:
        raise InvalidInput(
            f"Unknown audit action {action!r}.",
            [
                FieldError(
                    "action",
                    f"unknown action {action!r}; one of: {', '.join(a.value for a in AuditAction)}",
                )
            ],
        ) from None


def _utc(at: datetime, errors: list[FieldError]) -> datetime | None:
    if at.tzinfo is None:
        errors.append(FieldError("since", "must carry a time zone"))
        return None
    try:
        return at.astimezone(UTC)
    except OverflowError:
        errors.append(FieldError("since", "out of range"))
        return None


def _actor(actor: str) -> str:
    if not actor or len(actor) > MAX_ACTOR or "\x00" in actor:
        raise InvalidInput(
            "The audit actor must be a name of 1 to 128 characters.",
            [FieldError("actor", "empty, too long or holding NUL")],
        )
    return actor
