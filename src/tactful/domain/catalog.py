"""Items of the catalog and the sensitive categories they may belong to."""

from __future__ import annotations

from dataclasses import dataclass, field

# Special categories whose use for personalization needs the subject's explicit opt-in
# (GDPR Art. 9 for health, sex life, religion and politics; harm-prone for the rest).
SENSITIVE_CATEGORIES: frozenset[str] = frozenset(
    {
        "health",
        "sexual_wellness",
        "gambling",
        "alcohol",
        "tobacco",
        "finance_hardship",
        "weight_loss",
        "religion",
        "politics",
    }
)


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
