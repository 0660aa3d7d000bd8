"""Messaging decisions against the store: campaigns, caps held under concurrency, engagement,
one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tactful.service import Tactful


class MessagingService:
    def __init__(self, service: Tactful) -> None:
        self.service = service
