"""The purpose taxonomy: what data may be used for, in stable codes.

The purposes are configuration: the operator's notice file declares them (see
`tactful/defaults/notice.toml` and `tactful.consent.notice`).

Every purpose says which data categories it covers (so ingestion can drop what no granted
purpose needs), whether it allows profiling, and which IAB TCF v2.2 purposes and fideslang
data uses it corresponds to, so consent collected elsewhere can be mapped onto it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tactful.defaults import notice_document
from tactful.domain.events import DataCategory
from tactful.errors import FieldError, InvalidInput

SENSITIVE_PREFIX = "sensitive."


@dataclass(frozen=True, slots=True)
class Purpose:
    code: str
    title: str
    description: str
    data_categories: frozenset[DataCategory] = field(default_factory=frozenset)
    # Profiling purposes build or use a profile of one person; the level logic reads this.
    profiling: bool = False
    legal_basis: str = "consent (GDPR Art. 6(1)(a))"
    retention_days: int = 365
    tcf_purposes: tuple[int, ...] = ()
    fides_data_uses: tuple[str, ...] = ()
    # Set on the purposes that unlock one sensitive item category (explicit opt-in).
    sensitive_category: str | None = None
    # Selling or sharing personal data, or cross-context targeting: what a Global Privacy
    # Control signal opts out of.
    sale_or_sharing: bool = False
    # Direct marketing: an objection (GDPR Art. 21(2)) blocks it whatever else says yes.
    direct_marketing: bool = False
    third_parties: tuple[str, ...] = ()


PERSONALIZATION_EXPLICIT = "personalization.explicit"
PERSONALIZATION_BEHAVIORAL = "personalization.behavioral"
# Trends among people like the person, counted with differential privacy (`tactful.privacy`).
PERSONALIZATION_AGGREGATE = "personalization.aggregate"
ANALYTICS_AGGREGATE = "analytics.aggregate"
MARKETING_EMAIL = "marketing.email"
MARKETING_SMS = "marketing.sms"
MARKETING_PUSH = "marketing.push"
ADVERTISING_CROSS_CONTEXT = "advertising.cross_context"

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
CATEGORY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_EMPTY: Mapping[str, int] = MappingProxyType({})


def sensitive_purpose_code(category: str) -> str:
    return f"{SENSITIVE_PREFIX}{category}"


class _PurposeEntry(BaseModel):
    """One `[[purposes]]` table of the notice file, checked field by field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN.pattern)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    data_categories: tuple[DataCategory, ...] = ()
    profiling: bool = False
    legal_basis: Annotated[str, Field(min_length=1, max_length=200)]
    retention_days: Annotated[int, Field(ge=1, le=36_500)]
    tcf_purposes: tuple[Annotated[int, Field(ge=1, le=24)], ...] = ()
    fides_data_uses: tuple[Annotated[str, Field(min_length=1, max_length=100)], ...] = ()
    sensitive_category: str | None = None
    sale_or_sharing: bool = False
    direct_marketing: bool = False
    third_parties: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = ()

    def to_domain(self) -> Purpose:
        return Purpose(
            code=self.code,
            title=self.title,
            description=" ".join(self.description.split()),
            data_categories=frozenset(self.data_categories),
            profiling=self.profiling,
            legal_basis=self.legal_basis,
            retention_days=self.retention_days,
            tcf_purposes=tuple(sorted(set(self.tcf_purposes))),
            fides_data_uses=tuple(self.fides_data_uses),
            sensitive_category=self.sensitive_category,
            sale_or_sharing=self.sale_or_sharing,
            direct_marketing=self.direct_marketing,
            third_parties=tuple(self.third_parties),
        )


def purposes_from_config(entries: object, where: str = "purposes") -> dict[str, Purpose]:
    """The purposes of a notice file's `[[purposes]]` tables; every mistake is reported."""
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(
            "The notice declares no purposes.",
            [FieldError(where, "a non-empty list of [[purposes]] tables is required")],
        )
    errors: list[FieldError] = []
    out: dict[str, Purpose] = {}
    for n, entry in enumerate(entries):
        try:
            purpose = _PurposeEntry.model_validate(entry).to_domain()
        except ValidationError as exc:
            errors += [
                FieldError(f"{where}.{n}." + ".".join(map(str, e["loc"])), e["msg"])
                for e in exc.errors(include_url=False)
            ]
            continue
        if purpose.code in out:
            errors.append(FieldError(f"{where}.{n}.code", f"{purpose.code!r} is declared twice"))
        category = purpose.sensitive_category
        if category is not None:
            # Which categories are sensitive is the guardrail policy's to say; a purpose for
            # one it does not declare simply unlocks nothing.
            if not CATEGORY_PATTERN.match(category):
                errors.append(
                    FieldError(f"{where}.{n}.sensitive_category", "lower-case letters, digits, _")
                )
            elif purpose.code != sensitive_purpose_code(category):
                errors.append(
                    FieldError(f"{where}.{n}.code", f"must be {sensitive_purpose_code(category)!r}")
                )
        out[purpose.code] = purpose
    if errors:
        raise InvalidInput("The notice's purposes are invalid.", errors)
    return out


@dataclass(frozen=True, slots=True)
class PurposeCatalog:
    """The purposes in force, by code, and when each last needed a fresh choice.

    `notice_order` numbers the published notice versions (1 for the first); a purpose
    added or widened by version n has `renewed_at[code] == n`, and a grant recorded against
    an earlier notice is stale: it counts as not granted until the person chooses again.
    A notice version the catalog does not know counts as the oldest.
    """

    by_code: Mapping[str, Purpose]
    notice_order: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    renewed_at: Mapping[str, int] = field(default_factory=lambda: _EMPTY)

    def is_stale(self, purpose: str, notice_version: str) -> bool:
        since = self.renewed_at.get(purpose)
        return since is not None and self.notice_order.get(notice_version, 0) < since

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def __iter__(self) -> Iterator[Purpose]:
        return iter(self.by_code.values())

    def get(self, code: str) -> Purpose:
        try:
            return self.by_code[code]
        except KeyError:
            raise InvalidInput(
                f"Unknown purpose code {code!r}.",
                [FieldError("purpose", f"must be one of: {', '.join(sorted(self.by_code))}")],
            ) from None

    def require_known(self, codes: Iterable[str], field_name: str = "purpose") -> None:
        unknown = sorted(set(codes) - set(self.by_code))
        if unknown:
            raise InvalidInput(
                f"Unknown purpose code(s): {', '.join(unknown)}.",
                [FieldError(field_name, f"unknown purpose code {code!r}") for code in unknown],
            )

    def covering(self, category: DataCategory) -> frozenset[str]:
        """Codes of the purposes that may use data of this category."""
        return frozenset(p.code for p in self.by_code.values() if category in p.data_categories)


# The purposes of the notice shipped with Tactful (`tactful/defaults/notice.toml`).
DEFAULT_PURPOSES = PurposeCatalog(
    MappingProxyType(purposes_from_config(notice_document()["purposes"]))
)
