"""Who may do what: the scopes an operator API key carries.

A key holds one or more scopes; `admin` holds them all. `analyst` sees aggregates only and
never one person's data; reading one person's data takes `privacy-officer` (or `admin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    INGEST = "ingest"
    RECOMMEND = "recommend"
    ANALYST = "analyst"
    PRIVACY_OFFICER = "privacy-officer"
    ADMIN = "admin"


# Scopes whose holders may read a named person's data (and each such read is audit-logged).
PERSONAL_DATA_SCOPES = frozenset({Scope.PRIVACY_OFFICER, Scope.ADMIN})


@dataclass(frozen=True, slots=True)
class Principal:
    """The operator behind a request: which key, named what, allowed what."""

    key_id: str
    name: str
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes

    @property
    def actor(self) -> str:
        """How the audit log names this operator."""
        return f"key:{self.key_id}"
