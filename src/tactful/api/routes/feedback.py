"""A person's own controls over their lists: "not interested", "show less like this"."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tactful.api.deps import Me, Service

router = APIRouter(prefix="/v1/me/feedback", tags=["consumer"])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["not_interested", "less_like_this"] = Field(
        description="not_interested: never show this item again; less_like_this: show this "
        "category only when nothing else is left."
    )
    item_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> FeedbackIn:
        wanted = "item_id" if self.kind == "not_interested" else "category"
        given = {"item_id": self.item_id, "category": self.category}
        if given[wanted] is None or any(v is not None for k, v in given.items() if k != wanted):
            raise ValueError(f"{self.kind} takes {wanted} (and nothing else)")
        return self

    @property
    def target(self) -> str:
        target = self.item_id if self.kind == "not_interested" else self.category
        assert target is not None
        return target


@router.get("", summary="My feedback on what I am shown")
def my_feedback(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.feedback_of(subject_id)


@router.post("", summary="Not interested in an item, or show less like this (a category)")
def give_feedback(subject_id: Me, body: FeedbackIn, service: Service) -> dict[str, Any]:
    return service.give_feedback(subject_id, body.kind, body.target)


@router.post("/withdraw", summary="Take back feedback I gave")
def withdraw_feedback(subject_id: Me, body: FeedbackIn, service: Service) -> dict[str, Any]:
    return service.withdraw_feedback(subject_id, body.kind, body.target)
