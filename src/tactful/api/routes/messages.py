"""Messaging over HTTP: campaigns, send-or-hold decisions, engagement, the person's and the
operator's message lists, and RFC 8058 one-click unsubscribe.

Scopes: adding a campaign and reporting engagement are `ingest` (the operator's systems
feed them); listing campaigns and deciding are `recommend` (the sending system asks); one
person's messages are `privacy-officer` (an audited read). The unsubscribe link needs no
credential: its random token is the capability, and `GET` only shows a button, so a mail
scanner that follows the link unsubscribes no one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tactful.api.deps import Me, Service, audit_read, require
from tactful.audit.context import set_actor
from tactful.domain.access import Scope
from tactful.errors import FieldError, InvalidInput
from tactful.guardrails.copy import MAX_COPY_CHARS
from tactful.ingestion.schemas import Identifier
from tactful.service import Tactful

campaigns = APIRouter(prefix="/v1/campaigns", tags=["messaging"])
messages = APIRouter(prefix="/v1/messages", tags=["messaging"])
people = APIRouter(tags=["messaging"])
unsubscribe = APIRouter(prefix="/v1/unsubscribe", tags=["messaging"])


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: Identifier
    title: Annotated[str, Field(min_length=1, max_length=200)]
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None,
        description="What it offers: a catalog category, or a sensitive category code of the "
        "guardrail policy. Self-exclusions, sensitive opt-ins and harm-prone rules read it.",
    )
    profiled: bool = Field(
        False, description="Its audience was chosen by profiling: never sent to a minor."
    )


class FactsIn(BaseModel):
    """What the sender can prove, so the copy check does not call it false pressure."""

    model_config = ConfigDict(extra="forbid")

    stock: Annotated[int, Field(ge=0)] | None = Field(None, description="Real units left.")
    deadline: AwareDatetime | None = Field(None, description="A real end of the offer.")


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: Identifier
    channel: Literal["email", "sms", "push"]
    campaign_id: Identifier
    copy_text: Annotated[str, Field(max_length=MAX_COPY_CHARS, alias="copy")] = Field(
        description="The message text, in any language or script (checked for dark patterns)."
    )
    facts: FactsIn = FactsIn()
    generated: bool = Field(False, description="The copy was written by an AI system.")


class EngagementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["opened", "clicked", "converted"]
    at: AwareDatetime | None = Field(None, description="When; default now.")


# -- campaigns ------------------------------------------------------------------------------
@campaigns.post(
    "",
    status_code=201,
    summary="Add a campaign (the same one again: 200, a different one under its id: 409)",
    dependencies=[require(Scope.INGEST)],
    responses={200: {"description": "The same campaign was there already; nothing changed."}},
)
def add_campaign(body: CampaignIn, service: Service) -> JSONResponse:
    view, created = service.messaging.add_campaign(
        body.campaign_id, body.title, body.category, body.profiled
    )
    return JSONResponse(view, status_code=201 if created else 200)


@campaigns.get("", summary="Every campaign", dependencies=[require(Scope.RECOMMEND)])
def list_campaigns(service: Service) -> dict[str, Any]:
    return {"campaigns": service.messaging.campaigns()}


@campaigns.get("/{campaign_id}", summary="One campaign", dependencies=[require(Scope.RECOMMEND)])
def get_campaign(campaign_id: str, service: Service) -> dict[str, Any]:
    return service.messaging.campaign(campaign_id)


# -- decisions and engagement ---------------------------------------------------------------
@messages.post(
    "/decide",
    summary="Send or hold a message, with every check's outcome (a hold is an answer, 200)",
    dependencies=[require(Scope.RECOMMEND)],
)
def decide_message(body: DecideIn, service: Service) -> dict[str, Any]:
    return service.messaging.decide(
        body.subject_id,
        body.channel,
        body.campaign_id,
        body.copy_text,
        stock=body.facts.stock,
        deadline=body.facts.deadline,
        generated=body.generated,
    )


@messages.post(
    "/{message_id}/engagement",
    summary="Report an open, click or conversion of a sent message (first time kept)",
    dependencies=[require(Scope.INGEST)],
)
def report_engagement(message_id: str, body: EngagementIn, service: Service) -> dict[str, Any]:
    return service.messaging.engagement(message_id, body.kind, body.at)


# -- the person's messages ------------------------------------------------------------------
Limit = Annotated[int, Query(description="Page size (1-100).")]
Before = Annotated[str | None, Query(description="Page cursor (next_before).")]


@people.get("/v1/me/messages", tags=["consumer"], summary="Messages decided for me, newest first")
def my_messages(
    subject_id: Me, service: Service, limit: Limit = 20, before: Before = None
) -> dict[str, Any]:
    return service.messaging.messages_of(subject_id, limit, before)


@people.get(
    "/v1/subjects/{subject_id}/messages",
    summary="One person's messaging decisions, newest first (audited read)",
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)
def subject_messages(
    subject_id: str, service: Service, limit: Limit = 20, before: Before = None
) -> dict[str, Any]:
    page = service.messaging.messages_of(subject_id, limit, before)
    audit_read(service, subject_id, "messages")
    return page


# -- one-click unsubscribe (RFC 8058) -------------------------------------------------------
_PAGE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ heading }}</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}\
button{font:inherit;padding:.5rem 1.25rem}</style>
</head><body>
<h1>{{ heading }}</h1>
<p>{{ text }}</p>
{% if button %}<form method="post"><input type="hidden" name="List-Unsubscribe" \
value="One-Click"><button type="submit">{{ button }}</button></form>{% endif %}
</body></html>
"""
)
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "What the link unsubscribes from, as JSON, or as a page for a browser "
        "(Accept: text/html).",
        "content": {"application/json": {}, "text/html": {}},
    }
}
FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}},
                }
            }
        },
    }
}


def _wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _page(heading: str, text: str, button: str | None = None) -> HTMLResponse:
    html = _PAGE.render(heading=heading, text=text, button=button)
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


def _done_page(target: dict[str, Any]) -> HTMLResponse:
    return _page(
        "You are unsubscribed",
        f"You will get no more {target['title'].lower()}. You can change this choice at any "
        "time in your privacy settings.",
    )


@unsubscribe.get(
    "/{token}",
    summary="What an unsubscribe link unsubscribes from (a page with a button; GET changes "
    "nothing)",
    response_model=None,
    responses=PAGE_RESPONSES,
)
def unsubscribe_page(token: str, service: Service, request: Request) -> Any:
    target = service.messaging.unsubscribe_target(token)
    if not _wants_page(request):
        return target
    if target["unsubscribed"]:
        return _done_page(target)
    return _page(
        "Unsubscribe",
        f"Stop receiving {target['title'].lower()}? One click withdraws this consent.",
        "Unsubscribe",
    )


@unsubscribe.post(
    "/{token}",
    summary="One-click unsubscribe (RFC 8058): withdraws the channel's consent; again: 200",
    response_model=None,
    responses=PAGE_RESPONSES,
    openapi_extra=FORM_BODY,
)
async def unsubscribe_now(token: str, service: Service, request: Request) -> Any:
    body = await request.body()
    _check_one_click(body)
    set_actor("unsubscribe-link")
    target = await run_in_threadpool(_unsubscribe, service, token)
    return _done_page(target) if _wants_page(request) else target


def _unsubscribe(service: Tactful, token: str) -> dict[str, Any]:
    return service.messaging.unsubscribe(token)


def _check_one_click(body: bytes) -> None:
    """RFC 8058 §3.2: the body is `List-Unsubscribe=One-Click`; an empty one is taken as
    the same (some senders' relays drop it). Anything else is refused, unchanged."""
    if not body.strip():
        return
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        fields = {}
    if fields.get("List-Unsubscribe") != ["One-Click"]:
        raise InvalidInput(
            "The body must be List-Unsubscribe=One-Click (RFC 8058); nothing was changed.",
            [FieldError("List-Unsubscribe", "must be One-Click")],
        )


router = APIRouter()
for _part in (campaigns, messages, people, unsubscribe):
    router.include_router(_part)
