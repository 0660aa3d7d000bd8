"""(being written) The ethics report's figures, gathered from the store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tactful.service import Tactful


class EthicsReports:
    def __init__(self, service: Tactful) -> None:
        self.service = service
