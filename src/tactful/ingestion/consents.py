"""Wire shape of a consent change."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tactful.consent.ledger import ConsentMethod, ConsentStatus


class ConsentChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Annotated[str, Field(min_length=1, max_length=64)]
    status: ConsentStatus


class ConsentChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choices: Annotated[list[ConsentChoiceIn], Field(min_length=1, max_length=100)]
    method: ConsentMethod = Field(
        ConsentMethod.API,
        description="How the person made the choice: web_form, api or import. Global "
        "Privacy Control and TCF signals have their own endpoints, which keep the evidence.",
    )
    notice_version: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="The notice the person saw; defaults to the current one."
    )

    @field_validator("method")
    @classmethod
    def _explicit_methods_only(cls, method: ConsentMethod) -> ConsentMethod:
        if method in (ConsentMethod.GPC, ConsentMethod.TCF):
            raise ValueError(
                "gpc and tcf choices are recorded from the signal itself "
                "(the Sec-GPC header, or PUT .../consents/tcf with the TC string)"
            )
        return method
