"""What every Privacy Center page module shares: the app's service and pages, the person of
the session, form fields, the Post/Redirect/Get answer, the notices a `done` code stands
for, and the few facts several pages read (is this person a minor, the purposes' titles).

One module, so each page module stays about its own pages and no helper is written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse

from tactful.service import Tactful
from tactful.web.app_state import pages_of as pages_of
from tactful.web.app_state import service_of as service_of
from tactful.web.app_state import translator_of as translator_of
from tactful.web.center_session import Person, person

Who = Annotated[Person, Depends(person)]
# The CSRF field of the consent forms (choices, level, feedback).
Csrf = Annotated[str, Form(max_length=200)]
# A text field; the data pages' forms take their CSRF token as one too.
Text = Annotated[str, Form()]

# `done` codes whose change wrote a consent receipt.
WITH_RECEIPT = frozenset(
    {"saved", "withdrawn", "level_off", "level_aggregate", "level_basic", "level_full"}
)


def see(url: str) -> RedirectResponse:
    """The answer to a form that changed something: the page that shows it (303)."""
    return RedirectResponse(url, status_code=303)


def done_notices(done: str | None, known: Mapping[str, str]) -> list[str]:
    """The notice a redirect asked for by its code; an unknown code shows nothing (and
    nothing the request wrote is ever shown)."""
    return [known[done]] if done is not None and done in known else []


def consent_notices(request: Request, done: str | None) -> list[str]:
    """The notice after a change of choices, level or feedback, by its `done` code."""
    t = translator_of(request)
    texts = {
        "saved": t("Your choices are saved. They apply from the next page you see."),
        "unchanged": t("Nothing changed: your choices were already as you set them."),
        "withdrawn": t(
            "Done: that purpose is no longer used. What you see now already follows it."
        ),
        "level_off": t("Personalization is off. Nothing about you is used to choose what you see."),
        "level_aggregate": t(
            "Trends only: you see what is popular among many people like you; nothing about "
            "you alone is used."
        ),
        "level_basic": t("Basic personalization is on: only what you bought and rated is used."),
        "level_full": t(
            "Full personalization is on: what you bought, rated, browsed and searched is used."
        ),
        "not_interested": t("Understood: we will not show you that item again."),
    }
    return done_notices(done, texts)


def is_minor(consents: Mapping[str, Any]) -> bool:
    """Whether the person is a minor, from their consent view: never profiled, so the pages
    offer no level above off."""
    return bool(consents.get("minor", False))


def purpose_titles(service: Tactful) -> dict[str, str]:
    """Purpose codes to the titles the notice gives them (operator content, as stored)."""
    return {code: purpose.title for code, purpose in service.purposes.by_code.items()}
