"""Wire shapes of account rows and account events, and the refusal of any person's field.

An account is an organisation described by firmographics. A row that brings a person's
data along (a subject id, an email, a name, a user or contact field) is refused, naming
the field, rather than silently dropped: whoever sends it should stop collecting it for
this purpose. As for every batch, one bad row rejects the batch and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from tactful.domain.accounts import (
    COUNTRIES,
    INDUSTRY_PATTERN,
    Account,
    AccountEvent,
    AccountEventType,
    SizeBand,
)
from tactful.errors import BatchRejected, FieldError
from tactful.ingestion.batches import parse_rows
from tactful.ingestion.schemas import Identifier, plausible_time

M = TypeVar("M", bound=BaseModel)

# A field naming or reaching a person: names built on these words (in any case, snake or
# camel), and these exact names.
_PERSON_WORDS = (
    "subject",
    "user",
    "person",
    "people",
    "email",
    "e_mail",
    "phone",
    "mobile",
    "contact",
    "employee",
    "buyer",
    "birth",
    "birthday",
    "gender",
    "ip",
    "device",
    "cookie",
)
_PERSON_NAMES = frozenset(
    {"name", "first_name", "last_name", "full_name", "given_name", "family_name", "surname"}
)
_PERSON_FIELD = re.compile(r"(^|_)(" + "|".join(re.escape(w) for w in _PERSON_WORDS) + r")s?($|_)")


def is_person_field(key: str) -> bool:
    """Whether a field name names or reaches a person (`subject_id`, `userId`, `email`)."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()
    snake = re.sub(r"[\-. ]+", "_", snake)
    return snake in _PERSON_NAMES or _PERSON_FIELD.search(snake) is not None


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _country(value: str) -> str:
    if value.upper() not in COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as FR or US")
    return value.upper()


Industry = Annotated[
    str,
    Field(
        pattern=INDUSTRY_PATTERN,
        description="A short industry code: lower-case letters, digits, . _ -; at most 32.",
    ),
]
Country = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]


class AccountIn(_Row):
    account_id: Identifier
    industry: Industry | None = None
    size_band: SizeBand | None = Field(
        None, description="Head count band: 1-9, 10-49, 50-249, 250-999 or 1000+."
    )
    country: Country | None = None

    def to_domain(self) -> Account:
        return Account(self.account_id, self.industry, self.size_band, self.country)


class AccountEventIn(_Row):
    account_id: Identifier
    item_id: Identifier
    event_type: AccountEventType
    timestamp: datetime = Field(
        description="ISO 8601 with a zone, or unix seconds; not before 1990 nor in the future."
    )
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None

    @field_validator("timestamp")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        return plausible_time(value)

    def check_shape(self) -> list[tuple[str, str]]:
        if self.quantity is not None and not self.event_type.carries_quantity:
            return [("quantity", "a view carries no quantity")]
        return []

    def to_domain(self) -> AccountEvent:
        return AccountEvent(
            self.account_id, self.item_id, self.event_type, self.timestamp, self.quantity
        )


def person_fields(rows: Sequence[Any]) -> list[FieldError]:
    """A FieldError per field of a row that names or reaches a person."""
    return [
        FieldError(
            str(key),
            "account rows hold no person's data: firmographics and account events only "
            "(remove this field)",
            row=n,
        )
        for n, row in enumerate(rows)
        if isinstance(row, dict)
        for key in row
        if is_person_field(str(key))
    ]


def parse_account_rows(
    rows: Sequence[Any], model: type[M], *, kind: str, max_rows: int, id_field: str | None
) -> list[M]:
    """`parse_rows`, with any person's field refused first and named as such."""
    refused = person_fields(rows)
    try:
        parsed = parse_rows(rows, model, kind=kind, max_rows=max_rows, id_field=id_field)
    except BatchRejected as exc:
        if not refused:
            raise
        named = {(e.row, e.field) for e in refused}
        others = [e for e in exc.errors if (e.row, e.field) not in named]
        raise _person_data(kind, refused + others) from None
    if refused:
        raise _person_data(kind, refused)
    return parsed


def _person_data(kind: str, errors: list[FieldError]) -> BatchRejected:
    fields = sorted({e.field for e in errors if "person's data" in e.message})
    return BatchRejected(
        f"The {kind} batch carries a person's data ({', '.join(fields)}); account-level "
        "personalization uses no one's personal data. Nothing was stored.",
        errors,
    )
