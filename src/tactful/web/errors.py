"""Errors on the pages: the same statuses as the API's problem+json, as a page a person can
read in their language, with a way back. `tactful.api.problems` hands errors on page paths
here, so the exception tree is still mapped to HTTP in one place."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tactful.web.render import Pages
from tactful.web.sessions import CENTER_PATH, CONSOLE_PATH

PAGE_PREFIXES = (CENTER_PATH, CONSOLE_PATH)


def is_page(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES) or path == "/"


class PageErrors:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def handles(self, request: Request) -> bool:
        return is_page(request.url.path)

    def render(self, request: Request, status: int, title: str, detail: str) -> Response:
        t = self.pages.translator(request)
        path = request.url.path
        if status == 401 and path.startswith(CONSOLE_PATH) and path != CONSOLE_PATH + "/login":
            return RedirectResponse(CONSOLE_PATH + "/login", status_code=303)
        home = CONSOLE_PATH if path.startswith(CONSOLE_PATH) else CENTER_PATH
        headings = {
            400: t("This request could not be understood"),
            401: t("Please open this page again from your link"),
            403: t("This is not allowed"),
            404: t("Not found"),
            409: t("This cannot be done now"),
            413: t("This is too large"),
            422: t("Something in the form needs another look"),
            429: t("Too many requests; please wait a moment"),
            503: t("The service is not available right now"),
        }
        return self.pages.render(
            request,
            "error.html",
            {
                "heading": headings.get(status, t("Something went wrong on our side")),
                # The detail is the service's own English sentence; it is shown as it is
                # under the translated heading, which carries the meaning.
                "detail": detail if status < 500 else t("Nothing was changed. Please try again."),
                "status": status,
                "title_text": title,
                "home": home,
                "area": "console" if home == CONSOLE_PATH else "center",
            },
            status=status,
        )
