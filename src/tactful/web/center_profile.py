"""The Privacy Center's profile page: the attributes and identity held about the person,
and the form that corrects them (`PATCH /v1/me/profile`, GDPR Art. 16).

A form that does not make sense is shown again with status 422, each field's problem beside
it, and nothing stored; a correction answers with a redirect to the data page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, Response

from tactful.domain.subjects import AgeBand
from tactful.errors import InvalidInput
from tactful.services.rectification import (
    ATTRIBUTE_FIELDS,
    IDENTITY_FIELDS,
    correct_profile,
    get_profile,
)
from tactful.web.center_common import Text, Who, pages_of, see, service_of, translator_of
from tactful.web.center_session import Person, center_context, check_form
from tactful.web.sessions import CENTER_PATH
from tactful.web.texts import Translate

router = APIRouter(prefix=CENTER_PATH, include_in_schema=False)

PROFILE_FIELDS = (*ATTRIBUTE_FIELDS, *IDENTITY_FIELDS)


def _profile_page(
    request: Request,
    who: Person,
    *,
    errors: Mapping[str, str] | None = None,
    form_error: str | None = None,
    entered: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    profile = get_profile(service_of(request), who.subject_id)
    current = {**profile["attributes"], **(profile["identity"] or {})}
    context = {
        "fields": PROFILE_FIELDS,
        "current": {name: current.get(name) for name in PROFILE_FIELDS},
        "age_bands": [band.value for band in AgeBand],
        "errors": errors or {},
        "form_error": form_error,
        "entered": entered or {},
        **center_context(who),
    }
    return pages_of(request).render(
        request, "center/profile.html", context, status=status, session=who.session
    )


@router.get("/data/profile")
def profile(request: Request, who: Who) -> HTMLResponse:
    return _profile_page(request, who)


@router.post("/data/profile")
def correct(
    request: Request,
    who: Who,
    csrf: Text = "",
    age_band: Text = "",
    region: Text = "",
    gender: Text = "",
    occupation: Text = "",
    time_zone: Text = "",
    email: Text = "",
    name: Text = "",
    phone: Text = "",
    clear: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """`PATCH /v1/me/profile` from a form: a field left empty is kept, a field ticked
    "clear" is cleared, a field given a value is set."""
    check_form(request, who, csrf)
    t = translator_of(request)
    given = {
        "age_band": age_band,
        "region": region,
        "gender": gender,
        "occupation": occupation,
        "time_zone": time_zone,
        "email": email,
        "name": name,
        "phone": phone,
    }
    cleared = set(clear or ())
    errors: dict[str, str] = {}
    change: dict[str, str | None] = {}
    for field, value in given.items():
        value = value.strip()
        if field in cleared and value:
            errors[field] = t("Type a new value or tick “clear”, not both.")
        elif field in cleared:
            change[field] = None
        elif value:
            change[field] = value
    entered = {k: v.strip() for k, v in given.items()}
    if errors:
        return _profile_page(request, who, errors=errors, entered=entered, status=422)
    if not change:
        message = t("Type a new value or tick “clear” for at least one field; nothing changed.")
        return _profile_page(request, who, form_error=message, entered=entered, status=422)
    try:
        correct_profile(service_of(request), who.subject_id, change, via="consumer")
    except InvalidInput as exc:
        found = {
            e.field.split(".")[0]: _profile_error(e.field.split(".")[0], t) for e in exc.errors
        }
        found = {k: v for k, v in found.items() if k in PROFILE_FIELDS}
        if not found:
            raise
        return _profile_page(request, who, errors=found, entered=entered, status=422)
    return see(f"{CENTER_PATH}/data?done=corrected")


def _profile_error(field: str, t: Translate) -> str:
    return {
        "age_band": t("Choose one of the age bands in the list."),
        "email": t("Enter an email address such as name@example.com."),
        "phone": t("Enter a phone number with digits, spaces and + ( ) - only."),
        "time_zone": t("Enter a time zone by its name, such as Europe/Paris."),
        "name": t("Enter a name of at most 200 characters."),
    }.get(field, t("Enter at most 64 characters."))
