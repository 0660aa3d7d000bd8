"""The fairness audit policy: schedule, what is measured and the thresholds that alert.

One TOML file (`TACTFUL_AUDIT_FILE`; the shipped one is `tactful/defaults/audit.toml`) read
into typed, frozen models that refuse unknown keys, so a misspelt threshold never silently
means "not checked". Pure: no storage, no web framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tactful.defaults import audit_document, read_config_file
from tactful.errors import FieldError, InvalidInput

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Strict):
    interval_hours: Annotated[int, Field(ge=0, le=24 * 366)] = 24  # 0: not scheduled
    window_days: Annotated[int, Field(ge=1, le=3660)] = 30


class Measure(_Strict):
    k: Annotated[int, Field(ge=1, le=1000)] = 10
    position_weights: Literal["log", "geometric"] = "log"
    patience: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.8
    attributes: tuple[Literal["gender", "age_band", "occupation", "region"], ...] = (
        "gender",
        "age_band",
        "occupation",
        "region",
    )
    min_group_size: Annotated[int, Field(ge=1, le=1_000_000)] = 30
    min_provider_items: Annotated[int, Field(ge=1, le=1_000_000)] = 10
    head_share: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.2
    engagement_hours: Annotated[int, Field(ge=1, le=24 * 366)] = 168


# Whether each threshold is a floor ("min": lower is worse) or a ceiling ("max").
BOUND_KINDS: dict[str, Literal["min", "max"]] = {
    "quality_ratio": "min",
    "provider_exposure_ratio": "min",
    "exposure_gini": "max",
    "coverage": "min",
    "long_tail_share": "min",
    "miscalibration": "max",
    "adverse_impact_ratio": "min",
}


class Thresholds(_Strict):
    """Each figure's bound; None (left out of the file): not checked. The shipped file sets
    every one; an operator's file checks only what it names."""

    quality_ratio: Ratio | None = None  # min, per attribute and accuracy metric
    provider_exposure_ratio: Annotated[float, Field(ge=0.0)] | None = None  # min, per group
    exposure_gini: Ratio | None = None  # max
    coverage: Ratio | None = None  # min
    long_tail_share: Ratio | None = None  # min
    miscalibration: Annotated[float, Field(ge=0.0)] | None = None  # max
    adverse_impact_ratio: Ratio | None = None  # min, per segment, attribute, rate and group

    def bounds(self) -> dict[str, tuple[Literal["min", "max"], float]]:
        """Each configured check: whether its threshold is a floor or a ceiling, and it."""
        return {
            name: (kind, float(value))
            for name, kind in BOUND_KINDS.items()
            if (value := getattr(self, name)) is not None
        }


class AuditPolicy(_Strict):
    schedule: Schedule = Schedule()
    measure: Measure = Measure()
    thresholds: Thresholds = Thresholds()

    def describe(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def policy_from_document(document: Mapping[str, Any], where: str) -> AuditPolicy:
    try:
        return AuditPolicy.model_validate(dict(document))
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(part) for part in err["loc"]), err["msg"])
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidInput(f"The {where} is invalid ({detail}).", errors) from None


def load_audit_policy(path: Path | None) -> AuditPolicy:
    """The policy in `path`, or the shipped one; a readable error for any mistake."""
    if path is None:
        return DEFAULT_AUDIT_POLICY
    document = read_config_file(path, "audit_file", "audit file")
    return policy_from_document(document, f"audit file {path}")


DEFAULT_AUDIT_POLICY = policy_from_document(audit_document(), "packaged audit file")
