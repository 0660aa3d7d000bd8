"""Adds the pages to the HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from tactful.settings import Settings
from tactful.web import (
    assets,
    center,
    center_choices,
    center_concerns,
    center_data,
    center_erasure,
    center_profile,
    center_receipts,
    center_why,
    console,
    console_cases,
    transparency,
)
from tactful.web.errors import PageErrors
from tactful.web.render import Pages
from tactful.web.sessions import Signer

# In the order the routes were first written: fixed paths before the `{id}` ones of the
# same prefix (`/concerns/new` before `/concerns/{complaint_id}` is kept within its module).
ROUTERS = (
    assets,
    center,
    center_choices,
    center_why,
    center_data,
    center_profile,
    center_erasure,
    center_receipts,
    center_concerns,
    console,
    console_cases,
    transparency,
)


def install(app: FastAPI, settings: Settings) -> None:
    pages = Pages(Signer(settings.subject_token_key()))
    app.state.pages = pages
    app.state.page_errors = PageErrors(pages)
    for module in ROUTERS:
        app.include_router(module.router)
