"""Complaints and concerns (skeleton: being built)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tactful.services.audit import AuditLog
from tactful.services.identity import SubjectCipher
from tactful.storage.repository import Store


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
