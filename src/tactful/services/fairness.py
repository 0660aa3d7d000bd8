"""(being written) Fairness audit runs: from the store, stored, alerted and scheduled."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tactful.service import Tactful


class FairnessAudits:
    def __init__(self, service: Tactful) -> None:
        self.service = service
