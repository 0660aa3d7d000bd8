"""Items of the catalog and the sensitive categories they may belong to.

Which categories are sensitive is configuration: see `tactful.guardrails.policy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    title: str
    category: str
    provider: str = "unknown"
    tags: tuple[str, ...] = ()
    sensitive: frozenset[str] = field(default_factory=frozenset)
    # Editorial picks are shown to everyone, personalized or not.
    editorial: bool = False

    @property
    def is_sensitive(self) -> bool:
        return bool(self.sensitive)
