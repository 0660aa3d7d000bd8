"""The built-in purpose taxonomy: what data may be used for, in stable codes.

Every purpose says which data categories it covers (so ingestion can drop what no granted
purpose needs), whether it allows profiling, and which IAB TCF v2.2 purposes and fideslang
data uses it corresponds to, so consent collected elsewhere can be mapped onto it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tactful.domain.catalog import SENSITIVE_CATEGORIES
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


PERSONALIZATION_EXPLICIT = "personalization.explicit"
PERSONALIZATION_BEHAVIORAL = "personalization.behavioral"
ANALYTICS_AGGREGATE = "analytics.aggregate"
MARKETING_DIRECT = "marketing.direct"
ADVERTISING_CROSS_CONTEXT = "advertising.cross_context"


def sensitive_purpose_code(category: str) -> str:
    return f"{SENSITIVE_PREFIX}{category}"


def _builtin() -> dict[str, Purpose]:
    purposes = [
        Purpose(
            code=PERSONALIZATION_EXPLICIT,
            title="Recommendations from what you bought and rated",
            description=(
                "Use your purchases and ratings to choose recommendations for you. "
                "Nothing you only looked at or searched for is used."
            ),
            data_categories=frozenset(
                {DataCategory.PURCHASE_HISTORY, DataCategory.EXPLICIT_FEEDBACK}
            ),
            profiling=True,
            retention_days=730,
            tcf_purposes=(5, 6),
            fides_data_uses=("personalize.content.profiling", "personalize.content.profiled"),
        ),
        Purpose(
            code=PERSONALIZATION_BEHAVIORAL,
            title="Recommendations from what you browse and search",
            description=(
                "Also use the pages you view, what you click, put in your cart and search "
                "for, to choose recommendations for you."
            ),
            data_categories=frozenset({DataCategory.BROWSING_HISTORY, DataCategory.SEARCH_HISTORY}),
            profiling=True,
            retention_days=180,
            tcf_purposes=(5, 6),
            fides_data_uses=("personalize.content.profiling", "personalize.content.profiled"),
        ),
        Purpose(
            code=ANALYTICS_AGGREGATE,
            title="Shop statistics",
            description=(
                "Count what people buy and view, in aggregate, to know what is popular. "
                "No profile of you is built."
            ),
            data_categories=frozenset(
                {DataCategory.PURCHASE_HISTORY, DataCategory.BROWSING_HISTORY}
            ),
            retention_days=395,
            tcf_purposes=(8, 9),
            fides_data_uses=("analytics.reporting.content_performance",),
        ),
        Purpose(
            code=MARKETING_DIRECT,
            title="Marketing messages",
            description="Send you offers by email, SMS or push notification.",
            retention_days=730,
            fides_data_uses=(
                "marketing.communications.email",
                "marketing.communications.sms",
            ),
        ),
        Purpose(
            code=ADVERTISING_CROSS_CONTEXT,
            title="Advertising on other sites",
            description=(
                "Share what you buy and browse with advertising partners to show you ads "
                "elsewhere (selling or sharing of personal information)."
            ),
            data_categories=frozenset(
                {DataCategory.PURCHASE_HISTORY, DataCategory.BROWSING_HISTORY}
            ),
            profiling=True,
            retention_days=365,
            tcf_purposes=(2, 3, 4),
            fides_data_uses=(
                "marketing.advertising.profiling",
                "marketing.advertising.third_party.targeted",
            ),
        ),
    ]
    for category in sorted(SENSITIVE_CATEGORIES):
        label = category.replace("_", " ")
        purposes.append(
            Purpose(
                code=sensitive_purpose_code(category),
                title=f"Recommendations in {label}",
                description=(
                    f"Show you {label} items and use your interest in them to personalize. "
                    "Without this choice, such items are never recommended to you and what "
                    "you do with them is not kept."
                ),
                profiling=True,
                legal_basis="explicit consent (GDPR Art. 9(2)(a))",
                retention_days=180,
                fides_data_uses=("personalize.content.profiled",),
                sensitive_category=category,
            )
        )
    return {p.code: p for p in purposes}


@dataclass(frozen=True, slots=True)
class PurposeCatalog:
    """The purposes in force, by code."""

    by_code: Mapping[str, Purpose]

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


DEFAULT_PURPOSES = PurposeCatalog(MappingProxyType(_builtin()))
