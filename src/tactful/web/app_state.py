"""What a page route reaches through its request: the app's service, the page renderer, and
`t` in the reader's language.

Both areas re-export these (`center_common` for the Privacy Center, `console_common` for the
Operator Console), so every page module reads the app's state the same way.
"""

from __future__ import annotations

from fastapi import Request

from tactful.service import Tactful
from tactful.web.render import Pages
from tactful.web.texts import Translate


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def service_of(request: Request) -> Tactful:
    service: Tactful = request.app.state.tactful
    return service


def translator_of(request: Request) -> Translate:
    """`t("...")` in the reader's language, for the texts written in Python."""
    t: Translate = pages_of(request).translator(request)
    return t
