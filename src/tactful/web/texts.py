"""Texts the domain writes (reasons, signals, controls, audit checks), in the reader's
language.

The domain records its sentences in English, as stored evidence. A page shows them through
a `Localizer`, which rebuilds each sentence from the structured fields recorded beside it
and translates it; a record too old to carry those fields is shown as it was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Translate = Callable[..., str]


class Localizer:
    """`domain` in every template: `domain.reason(item.explanation)` and the like."""

    def __init__(self, t: Translate) -> None:
        self.t = t

    def reason(self, explanation: Mapping[str, Any]) -> str:
        return str(explanation.get("reason", ""))

    def signal(self, signal: str) -> str:
        return signal

    def control(self, control: Mapping[str, Any]) -> str:
        return str(control.get("label", ""))

    def level_reason(self, reason: str) -> str:
        return reason

    def check(self, check: Mapping[str, Any]) -> str:
        return str(check.get("message", ""))
