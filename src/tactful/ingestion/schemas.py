"""Wire shapes of ingested rows; strict, so a bad row is named rather than guessed at."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.subjects import AgeBand, Identity, Subject, SubjectAttributes
from tactful.guardrails.policy import is_time_zone

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$"
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks drift; a day ahead is tolerated, more is a bug upstream.
FUTURE_TOLERANCE = timedelta(days=1)


def _clean_text(value: str) -> str:
    """NFC-normalise and refuse control, format and unassigned characters."""
    value = unicodedata.normalize("NFC", value).strip()
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise ValueError(f"contains a disallowed character U+{ord(ch):04X}")
    if not value:
        raise ValueError("must not be blank")
    return value


Identifier = Annotated[str, Field(pattern=ID_PATTERN, description="Letters, digits, . _ : @ -")]
Text = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_clean_text)]
Label = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean_text)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ItemIn(_Row):
    item_id: Identifier
    title: Text
    category: Label
    provider: Annotated[str, Field(max_length=128), AfterValidator(_clean_text)] = "unknown"
    tags: list[Label] = Field(default_factory=list, max_length=50)
    # Checked against the guardrail policy's categories by the service, which knows it.
    sensitive: list[Label] = Field(default_factory=list, max_length=50)
    editorial: bool = False

    def to_domain(self) -> Item:
        return Item(
            item_id=self.item_id,
            title=self.title,
            category=self.category,
            provider=self.provider,
            tags=tuple(self.tags),
            sensitive=frozenset(self.sensitive),
            editorial=self.editorial,
        )


def _iana_zone(value: str) -> str:
    if not is_time_zone(value):
        raise ValueError(f"unknown IANA time zone {value!r} (for example Europe/Paris)")
    return value


EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ()\-]{3,30}$"
Email = Annotated[str, Field(max_length=320, pattern=EMAIL_PATTERN)]
Phone = Annotated[str, Field(max_length=32, pattern=PHONE_PATTERN)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_iana_zone)]
PersonName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean_text)]


class SubjectIn(_Row):
    subject_id: Identifier
    age_band: AgeBand | None = None
    region: Label | None = None
    gender: Label | None = None
    occupation: Label | None = None
    time_zone: TimeZone | None = None
    # Identifying fields: stored sealed under the subject's own key; any one given replaces
    # all three, none given leaves what is stored.
    email: Email | None = None
    name: PersonName | None = None
    phone: Phone | None = None

    def to_domain(self) -> Subject:
        identity = Identity(email=self.email, name=self.name, phone=self.phone)
        return Subject(
            self.subject_id,
            SubjectAttributes(
                age_band=self.age_band,
                region=self.region,
                gender=self.gender,
                occupation=self.occupation,
                time_zone=self.time_zone,
            ),
            None if identity.empty else identity,
        )


def plausible_time(value: datetime) -> datetime:
    """An event's time in UTC; refused without a zone, before 1990 or in the future."""
    if value.tzinfo is None:
        raise ValueError("must carry a time zone (e.g. 2026-11-01T10:00:00Z)")
    value = value.astimezone(UTC)
    if value < EARLIEST:
        raise ValueError("is before 1990-01-01")
    if value > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise ValueError("is in the future")
    return value


class EventIn(_Row):
    subject_id: Identifier
    event_type: EventType
    timestamp: datetime = Field(
        description="ISO 8601 with a zone, or unix seconds; not before 1990 nor in the future."
    )
    item_id: Identifier | None = None
    value: Annotated[float, Field(ge=0.5, le=5.0)] | None = None
    query: Annotated[str, Field(max_length=500), AfterValidator(_clean_text)] | None = None

    @field_validator("timestamp")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        return plausible_time(value)

    def check_shape(self) -> list[tuple[str, str]]:
        """Cross-field rules; (field, message) pairs."""
        problems: list[tuple[str, str]] = []
        if self.event_type is EventType.RATING and self.value is None:
            problems.append(("value", "a rating needs a value from 0.5 to 5"))
        if self.event_type is not EventType.RATING and self.value is not None:
            problems.append(("value", "only ratings carry a value"))
        if self.event_type is EventType.SEARCH:
            if self.query is None and self.item_id is None:
                problems.append(("query", "a search needs a query or the item it found"))
        elif self.item_id is None:
            problems.append(("item_id", f"a {self.event_type.value} event needs an item_id"))
        if self.event_type is not EventType.SEARCH and self.query is not None:
            problems.append(("query", "only searches carry a query"))
        return problems

    def to_domain(self) -> Event:
        return Event(
            subject_id=self.subject_id,
            event_type=self.event_type,
            occurred_at=self.timestamp,
            item_id=self.item_id,
            value=self.value,
            query=self.query,
        )


RowKind = Literal["items", "subjects", "events"]
