"""A person's own controls: "not interested", "show less like this", "too many messages"."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tactful.api.deps import Me, Service

router = APIRouter(prefix="/v1/me/feedback", tags=["consumer"])


_TARGET_FIELD = {
    "not_interested": "item_id",
    "less_like_this": "category",
    "fewer_messages": "channel",
}


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["not_interested", "less_like_this", "fewer_messages"] = Field(
        description="not_interested: never show this item again; less_like_this: show this "
        "category only when nothing else is left; fewer_messages: too many messages on this "
        "channel (or on all), so at most the policy's few a week."
    )
    item_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    channel: Literal["email", "sms", "push", "all"] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> FeedbackIn:
        wanted = _TARGET_FIELD[self.kind]
        given = {"item_id": self.item_id, "category": self.category, "channel": self.channel}
        if given[wanted] is None or any(v is not None for k, v in given.items() if k != wanted):
            raise ValueError(f"{self.kind} takes {wanted} (and nothing else)")
        return self

    @property
    def target(self) -> str:
        target = {"item_id": self.item_id, "category": self.category, "channel": self.channel}[
            _TARGET_FIELD[self.kind]
        ]
        assert target is not None
        return target


@router.get("", summary="My feedback on what I am shown")
def my_feedback(subject_id: Me, service: Service) -> dict[str, Any]:
    return service.feedback_of(subject_id)


@router.post(
    "", summary="Not interested in an item, show less like this (a category), or too many messages"
)
def give_feedback(subject_id: Me, body: FeedbackIn, service: Service) -> dict[str, Any]:
    return service.give_feedback(subject_id, body.kind, body.target)


@router.post("/withdraw", summary="Take back feedback I gave")
def withdraw_feedback(subject_id: Me, body: FeedbackIn, service: Service) -> dict[str, Any]:
    return service.withdraw_feedback(subject_id, body.kind, body.target)
