"""Adds the pages to the HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from tactful.settings import Settings
from tactful.web import assets, center, center_data, console, console_cases
from tactful.web.errors import PageErrors
from tactful.web.render import Pages
from tactful.web.sessions import Signer


def install(app: FastAPI, settings: Settings) -> None:
    pages = Pages(Signer(settings.subject_token_key()))
    app.state.pages = pages
    app.state.page_errors = PageErrors(pages)
    for module in (assets, center, center_data, console, console_cases):
        app.include_router(module.router)
