"""The audit log service (skeleton: the hash chain and checkpoints are being built)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tactful.consent.signing import ReceiptSigner
from tactful.storage.repository import Store


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
        """Append one entry inside the caller's transaction; its sequence number."""
        return 0

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
