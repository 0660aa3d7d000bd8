"""Subjects: the people decisions are about, known only by a pseudonymous id.

Descriptive attributes (age band, region, ...) are kept in their own record so that the
identifier can be used without them and they can be used (in audits) without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AgeBand(StrEnum):
    UNDER_18 = "under_18"
    A18_24 = "18-24"
    A25_34 = "25-34"
    A35_44 = "35-44"
    A45_54 = "45-54"
    A55_64 = "55-64"
    A65_PLUS = "65+"

    @classmethod
    def from_age(cls, age: int) -> AgeBand:
        if age < 18:
            return cls.UNDER_18
        for band, upper in (
            (cls.A18_24, 24),
            (cls.A25_34, 34),
            (cls.A35_44, 44),
            (cls.A45_54, 54),
            (cls.A55_64, 64),
        ):
            if age <= upper:
                return band
        return cls.A65_PLUS


@dataclass(frozen=True, slots=True)
class SubjectAttributes:
    age_band: AgeBand | None = None
    region: str | None = None
    gender: str | None = None
    occupation: str | None = None
    # IANA zone name, for quiet hours; None: the guardrail policy's default zone.
    time_zone: str | None = None

    @property
    def is_minor(self) -> bool:
        return self.age_band is AgeBand.UNDER_18


@dataclass(frozen=True, slots=True)
class Identity:
    """Fields that name or reach the person; stored only sealed under their own key."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"email": self.email, "name": self.name, "phone": self.phone}

    @property
    def empty(self) -> bool:
        return self.email is None and self.name is None and self.phone is None


@dataclass(frozen=True, slots=True)
class Subject:
    subject_id: str
    attributes: SubjectAttributes = SubjectAttributes()
    # Given on import; never read back by decisions (see `services.identity`).
    identity: Identity | None = None
