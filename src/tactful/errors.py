"""The one exception tree of Tactful.

    TactfulError
    ├── InvalidInput            the caller sent something Tactful cannot accept
    │   └── BatchRejected       a batch with one or more bad rows; nothing of it was stored
    ├── NotFound                a named subject, item, decision or model does not exist
    ├── Conflict                the request clashes with what is stored
    ├── Unauthorized            no or wrong credentials
    ├── Forbidden               valid credentials, but not allowed to do this
    ├── RateLimited             too many requests from one key or token
    ├── ModelNotTrained         a recommender was asked to score before any training run
    └── StoreUnavailable        the database cannot be reached

Domain code raises these; the HTTP adapter maps them to RFC 9457 problems in one place
(`tactful.api.problems`) and the CLI prints their message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong with one field of the input, located by a JSON-pointer-like path."""

    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


class TactfulError(Exception):
    """Root of every error Tactful raises on purpose."""

    title = "Tactful error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(TactfulError):
    title = "Invalid input"

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.errors: tuple[FieldError, ...] = tuple(errors)


class BatchRejected(InvalidInput):
    title = "Batch rejected"


class NotFound(TactfulError):
    title = "Not found"


class Conflict(TactfulError):
    title = "Conflict"


class Unauthorized(TactfulError):
    title = "Unauthorized"


class Forbidden(TactfulError):
    title = "Forbidden"


class RateLimited(TactfulError):
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ModelNotTrained(TactfulError):
    title = "Model not trained"


class StoreUnavailable(TactfulError):
    title = "Store unavailable"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one row was not stored although the batch was accepted (data minimisation)."""

    reason: str
    count: int
    examples: Mapping[str, Any] = field(default_factory=dict)
