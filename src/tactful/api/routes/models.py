"""Training runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import Service, require
from tactful.domain.access import Scope
from tactful.storage.repository import ModelVersion

router = APIRouter(prefix="/v1/models", tags=["models"])


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: Annotated[list[str], Field(max_length=10)] | None = Field(
        None, description="Recommenders to train; default: popularity and the personal model."
    )
    config: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-model configuration overrides."
    )
    tune: bool = Field(
        False,
        description="Choose hyperparameters on a validation split of the training data "
        "(models given a config keep it).",
    )
    seed: int = Field(42, ge=0, le=2**31 - 1, description="Seed of the validation split.")


def _version(v: ModelVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "name": v.name,
        "config": v.config,
        "trained_on": v.trained_on,
        "created_at": v.created_at.isoformat(),
    }


@router.get(
    "",
    summary="The model versions in use and what they were trained on (counts only)",
    # Aggregates: how many people, items and interactions, never whose.
    dependencies=[require(Scope.ANALYST)],
)
def get_models(service: Service) -> dict[str, Any]:
    latest = service.models_in_use()
    return {
        "models": [
            {"name": name, "current": _version(v) if v is not None else None}
            for name, v in latest.items()
        ]
    }


@router.post(
    "/train",
    summary="Train and activate new model versions",
    dependencies=[require(Scope.ADMIN)],
)
def train(service: Service, body: TrainIn | None = None) -> dict[str, Any]:
    body = body or TrainIn()
    versions = service.train(body.models, body.config, tune=body.tune, seed=body.seed)
    return {"versions": [_version(v) for v in versions]}
