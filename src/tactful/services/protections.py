"""The person's protections: self-exclusions from categories and a vulnerability flag."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tactful.service import Tactful


class ProtectionService:
    def __init__(self, service: Tactful) -> None:
        self.service = service
