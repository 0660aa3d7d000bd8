"""Wire shape of a consent change."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tactful.consent.ledger import ConsentMethod, ConsentStatus


class ConsentChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Annotated[str, Field(min_length=1, max_length=64)]
    status: ConsentStatus


class ConsentChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choices: Annotated[list[ConsentChoiceIn], Field(min_length=1, max_length=100)]
    method: ConsentMethod = ConsentMethod.API
    notice_version: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="The notice the person saw; defaults to the current one."
    )
