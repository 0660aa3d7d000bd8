"""The guardrail policy: sensitive categories, protections and messaging rules, as configuration.

One TOML file (`TACTFUL_GUARDRAILS_FILE`; the shipped one is `tactful/defaults/guardrails.toml`)
read into typed, frozen models that refuse unknown keys, so a misspelt cap never silently
means "no cap". Pure: no storage, no web framework.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import replace
from datetime import time
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tactful.defaults import guardrails_document, read_config_file
from tactful.domain.catalog import Item
from tactful.errors import FieldError, InvalidInput

CategoryCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SensitiveCategory(_Strict):
    code: CategoryCode
    title: Annotated[str, Field(min_length=1, max_length=200)]
    # Catalog categories whose items all belong to this sensitive category.
    catalog_categories: tuple[CategoryCode, ...] = ()


class Protection(_Strict):
    self_excludable: tuple[CategoryCode, ...] = ()
    harm_prone: tuple[CategoryCode, ...] = ()
    self_exclusion_cooling_off_days: Annotated[int, Field(ge=0, le=365)] = 7


class Cap(_Strict):
    """Most messages sent per day and per week; None: no cap, 0: none at all."""

    day: Annotated[int, Field(ge=0, le=1000)] | None = None
    week: Annotated[int, Field(ge=0, le=10_000)] | None = None


class QuietHours(_Strict):
    """Local times between which nothing is sent; start == end means no quiet hours."""

    start: time
    end: time

    def covers(self, local: time) -> bool:
        start, end, at = self.start, self.end, local.replace(tzinfo=None)
        if start == end:
            return False
        if start < end:
            return start <= at < end
        return at >= start or at < end


class Fatigue(_Strict):
    ignored: Annotated[int, Field(ge=1, le=100)] = 3
    judge_after_hours: Annotated[int, Field(ge=1, le=24 * 90)] = 72
    interval_days: Annotated[int, Field(ge=1, le=365)] = 7


class ChannelPolicy(_Strict):
    # The purpose whose consent the channel needs (a code of the notice).
    purpose: Annotated[str, Field(min_length=1, max_length=64)]
    cap: Cap = Cap()


class MessagingPolicy(_Strict):
    copy_check: Literal["block", "flag"] = "block"
    default_time_zone: str = "UTC"
    quiet_hours: QuietHours = QuietHours(start=time(21, 0), end=time(8, 0))
    overall: Cap = Cap()
    fatigue: Fatigue = Fatigue()
    fewer_messages_per_week: Annotated[int, Field(ge=0, le=100)] = 1
    channels: Mapping[Channel, ChannelPolicy] = Field(default_factory=dict)

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value


class GuardrailPolicy(_Strict):
    sensitive: tuple[SensitiveCategory, ...] = ()
    protection: Protection = Protection()
    messaging: MessagingPolicy = MessagingPolicy()

    @model_validator(mode="after")
    def _consistent(self) -> GuardrailPolicy:
        codes = [c.code for c in self.sensitive]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"sensitive category {twice[0]!r} is declared twice")
        owners: dict[str, str] = {}
        for category in self.sensitive:
            for catalog_category in category.catalog_categories:
                if catalog_category in owners:
                    raise ValueError(
                        f"catalog category {catalog_category!r} is listed under both "
                        f"{owners[catalog_category]!r} and {category.code!r}"
                    )
                owners[catalog_category] = category.code
        return self

    @cached_property
    def sensitive_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.sensitive)

    @cached_property
    def _by_catalog_category(self) -> Mapping[str, str]:
        return {cc: c.code for c in self.sensitive for cc in c.catalog_categories}

    def sensitive_of(self, item: Item) -> frozenset[str]:
        """The item's sensitive categories: its own tags and its catalog category's."""
        implied = self._by_catalog_category.get(item.category)
        return item.sensitive | {implied} if implied is not None else item.sensitive

    def effective(self, item: Item) -> Item:
        """The item as the guardrails see it (its sensitive categories filled in)."""
        sensitive = self.sensitive_of(item)
        return item if sensitive == item.sensitive else replace(item, sensitive=sensitive)

    @staticmethod
    def categories_of(item: Item) -> frozenset[str]:
        """Every category an exclusion can name the item by: catalog and sensitive ones."""
        return item.sensitive | {item.category}

    def title_of(self, code: str) -> str:
        for category in self.sensitive:
            if category.code == code:
                return category.title
        return code.replace("_", " ")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def is_time_zone(name: str) -> bool:
    """An IANA zone name zoneinfo knows (never a path: "../x" is refused before lookup)."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def policy_from_document(document: Mapping[str, Any], where: str) -> GuardrailPolicy:
    try:
        return GuardrailPolicy.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(
            f"The {where} is invalid.",
            [
                FieldError(".".join(map(str, e["loc"])) or "guardrails", e["msg"])
                for e in exc.errors(include_url=False)
            ],
        ) from None


def load_policy(path: Path | None) -> GuardrailPolicy:
    """The policy in `path`, or the shipped one; a readable error for any mistake."""
    if path is None:
        return DEFAULT_POLICY
    document = read_config_file(path, "guardrails_file", "guardrails file")
    return policy_from_document(document, f"guardrails file {path}")


DEFAULT_POLICY = policy_from_document(guardrails_document(), "packaged guardrails file")
