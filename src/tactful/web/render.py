"""Rendering a page: the reader's language, the template, and the headers every page gets.

One Jinja2 environment per language, each with its catalogue installed (gettext's
`newstyle` calls, so `_("%(n)s items", n=3)` is escaped and filled in by Jinja itself) and
its date and number filters. Templates are autoescaped and undefined names fail loudly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tactful import templating
from tactful.web.i18n import (
    LANGUAGE_NAMES,
    LOCALES,
    Formats,
    gettext_for,
    negotiate,
    translations,
)
from tactful.web.sessions import LANGUAGE_COOKIE, Signer
from tactful.web.texts import Localizer

LANGUAGE_COOKIE_DAYS = 365


def _environment(locale: str) -> jinja2.Environment:
    env = templating.environment("templates/web", translations(locale))
    env.filters.update(Formats(locale).filters())
    env.globals["lang"] = locale
    env.globals["domain"] = Localizer(gettext_for(locale), locale)
    return env


class Pages:
    """Renders the pages; made once with the app (`app.state.pages`)."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self._environments = {locale: _environment(locale) for locale in LOCALES}

    def locale(self, request: Request) -> str:
        chosen = request.query_params.get("lang")
        remembered = request.cookies.get(LANGUAGE_COOKIE)
        return negotiate(chosen, remembered, request.headers.get("accept-language"))

    def translator(self, request: Request) -> Any:
        """`t("...")` for texts a route writes itself (form errors, notes)."""
        return gettext_for(self.locale(request))

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        session: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """A page in the reader's language. With `session`, its forms get that session's
        CSRF token as `csrf`."""
        locale = self.locale(request)
        page = self._environments[locale].get_template(template)
        body = page.render(
            {
                "t": gettext_for(locale),
                "languages": [(code, LANGUAGE_NAMES[code]) for code in LOCALES],
                "path": request.url.path,
                "csrf": self.signer.csrf(session) if session else "",
                **(context or {}),
            }
        )
        response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
        remember_language(request, response)
        # Pages show a person's data or a staff view of it: never kept in a shared cache.
        response.headers["Cache-Control"] = "no-store"
        return response


def remember_language(request: Request, response: Response) -> None:
    """A language picked on the page (`?lang=`) is remembered for the next pages."""
    chosen = request.query_params.get("lang")
    if chosen in LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
