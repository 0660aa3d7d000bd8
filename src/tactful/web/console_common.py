"""What every Operator Console page module shares: the signed-in key as a dependency, a form's
text field, the app's service and pages, `t` in the reader's language, and a page rendered
with the layout's context and its forms' CSRF token.

One module (as `center_common` is for the Privacy Center), so each console module stays
about its own pages and none of these is written twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from starlette.responses import HTMLResponse

from tactful.web.app_state import pages_of as pages_of
from tactful.web.app_state import service_of as service_of
from tactful.web.app_state import translator_of as translator_of
from tactful.web.console_session import Staff, console_context, staff

Who = Annotated[Staff, Depends(staff)]
FormText = Annotated[str, Form()]


def show(
    request: Request,
    who: Staff,
    template: str,
    context: dict[str, Any],
    *,
    notices: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A Console page: the layout's context, the page's, and its forms' CSRF token."""
    view = {**console_context(request, who), "notices": notices or [], **context}
    return pages_of(request).render(request, template, view, status=status, session=who.session)
