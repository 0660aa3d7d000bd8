"""Operator API keys and their scopes (skeleton: being built)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tactful.services.audit import AuditLog
from tactful.storage.repository import Store


class ApiKeys:
    def __init__(
        self, store: Store, audit: AuditLog, clock: Callable[[], datetime], bootstrap_key: str
    ) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.bootstrap_key = bootstrap_key
