"""Training runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import Operator, Service

router = APIRouter(prefix="/v1/models", tags=["models"], dependencies=[Operator])


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


@router.post("/train", summary="Train and activate new model versions")
def train(service: Service, body: TrainIn | None = None) -> dict[str, Any]:
    body = body or TrainIn()
    versions = service.train(body.models, body.config, tune=body.tune, seed=body.seed)
    return {
        "versions": [
            {
                "version": v.version,
                "name": v.name,
                "config": v.config,
                "trained_on": v.trained_on,
                "created_at": v.created_at.isoformat(),
            }
            for v in versions
        ]
    }
