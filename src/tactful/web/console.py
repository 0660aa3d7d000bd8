"""The Operator Console: what staff see, by the scopes of the key they signed in with.

Signing in takes an operator API key once; the session cookie then names the key (never
its secret) and each page re-reads the key, so a revoked key's session ends at once. The
pages show aggregates only (consent rates, case counts, guardrail tallies, models, the data
inventory), from the same service calls as the API: `ethics.gather` (as the ethics report),
`fairness.alerts` (the console's flag), the latest model versions (as `GET /v1/models`),
`main_parameters` (as `GET /v1/transparency/recommender`) and the notice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tactful.domain.access import Scope
from tactful.domain.events import DataCategory
from tactful.errors import Forbidden, Unauthorized
from tactful.service import Tactful
from tactful.services.access import readers
from tactful.services.ethics import MAX_WEEKS
from tactful.web.console_common import Who, pages_of, service_of, show, translator_of
from tactful.web.console_figures import (
    check_words,
    consent_plot,
    consent_tables,
    held_back_words,
    words,
)
from tactful.web.console_session import check_form
from tactful.web.sessions import (
    CONSOLE_COOKIE,
    CONSOLE_HOURS,
    CONSOLE_PATH,
    end_session,
    keep_session,
    same_origin,
)

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

LOGIN_PATH = CONSOLE_PATH + "/login"
OVERVIEW_WEEKS = 12
GUARDRAIL_WEEKS = 4
# What the overview shows of the ethics figures: not the guardrail scan of every decision.
OVERVIEW_SECTIONS = ("consent", "rights", "complaints")
# An operator key is 59 characters; anything much longer is not one.
MAX_KEY_LENGTH = 512


# -- signing in and out ------------------------------------------------------------------------
def _login_page(
    request: Request, error: str | None = None, status: int = 200, notices: list[str] | None = None
) -> HTMLResponse:
    return pages_of(request).render(
        request, "console/login.html", {"error": error, "notices": notices or []}, status=status
    )


@router.get("/login")
def login_form(request: Request, done: str | None = None) -> HTMLResponse:
    t = translator_of(request)
    notices = [t("You have signed out.")] if done == "signed_out" else []
    return _login_page(request, notices=notices)


@router.post("/login")
def login(
    request: Request,
    api_key: Annotated[str, Form(max_length=MAX_KEY_LENGTH)] = "",
) -> Response:
    """Exchange an API key for a signed session cookie; a wrong key gets the form again."""
    if not same_origin(request.headers.get("origin"), str(request.base_url)):
        raise Forbidden("This form was sent from another site; nobody was signed in.")
    service = service_of(request)
    t = translator_of(request)
    try:
        principal = service.keys.authenticate(api_key.strip())
    except Unauthorized:
        error = t(
            "This key was not accepted. Check that you pasted the whole key, and that it has "
            "not been revoked or expired."
        )
        return _login_page(request, error, status=401)
    cookie = pages_of(request).signer.console_cookie(
        principal.key_id, service.keys.fingerprint(principal)
    )
    response = RedirectResponse(CONSOLE_PATH, status_code=303)
    keep_session(request, response, CONSOLE_COOKIE, cookie, CONSOLE_PATH, CONSOLE_HOURS * 3600)
    return response


@router.post("/logout")
def logout(request: Request, who: Who, csrf: Annotated[str, Form()]) -> Response:
    check_form(request, who, csrf)
    response = RedirectResponse(LOGIN_PATH + "?done=signed_out", status_code=303)
    end_session(request, response, CONSOLE_COOKIE, CONSOLE_PATH)
    return response


# -- the number of weeks a page covers ---------------------------------------------------------
def _weeks(request: Request, text: str | None, default: int) -> tuple[int, str | None]:
    """The weeks asked for in `?weeks=`, or the default and a message saying what is wrong."""
    if text is None or text.strip() == "":
        return default, None
    value = text.strip()
    if len(value) <= 4 and value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_WEEKS:
        return int(value), None
    t = translator_of(request)
    return default, t("Enter a whole number of weeks from 1 to %(most)s.", most=MAX_WEEKS)


def _weeks_form(weeks: int, text: str | None, error: str | None) -> dict[str, Any]:
    """What `console/_main_weeks.html` shows: the value as typed back when it was wrong."""
    return {"weeks": weeks, "weeks_text": text if error else str(weeks), "weeks_error": error}


# -- the overview ------------------------------------------------------------------------------
def _scope_uses(request: Request) -> dict[str, str]:
    t = translator_of(request)
    return {
        Scope.INGEST: t("Sending items, people, activity and their choices to the API."),
        Scope.RECOMMEND: t("Asking the API for recommendations and message decisions."),
        Scope.ANALYST: t("Aggregates in this console: consent rates, audits, models, guardrails."),
        Scope.PRIVACY_OFFICER: t("Rights requests, complaints and one person's data, audited."),
        Scope.ADMIN: t("Everything, including keys and training."),
    }


@router.get("")
def overview(request: Request, who: Who, weeks: str | None = None) -> HTMLResponse:
    """The console's first page: alerts, open cases and consent rates, as far as the key's
    scopes reach; a key that reaches none is told what it does open."""
    analyst = who.allows(Scope.ANALYST)
    officer = who.allows(Scope.PRIVACY_OFFICER)
    uses = _scope_uses(request)
    context: dict[str, Any] = {
        "analyst": analyst,
        "officer": officer,
        "scope_uses": [(s.value, uses[s]) for s in Scope if s in who.principal.scopes],
        **_weeks_form(OVERVIEW_WEEKS, None, None),
    }
    if not (analyst or officer):
        return show(request, who, "console/overview.html", context)
    # Only the consent plot reads the weeks: a key that cannot see it is not told off for them.
    chosen, error = _weeks(request, weeks, OVERVIEW_WEEKS) if analyst else (OVERVIEW_WEEKS, None)
    context |= _weeks_form(chosen, weeks, error)
    service = service_of(request)
    data = service.ethics.gather(chosen, sections=OVERVIEW_SECTIONS)
    kinds = data["rights"]["kinds"]
    context["cases"] = {
        "requests_open": sum(k["open"] for k in kinds),
        "requests_overdue": sum(k["overdue"] for k in kinds),
        "complaints_open": data["complaints"]["open"],
        "complaints_overdue": data["complaints"]["overdue"],
    }
    if analyst:
        pages = pages_of(request)
        context["alerts"] = [
            run.summary() | {"crossed_count": len(run.crossed)} for run in service.fairness.alerts()
        ]
        context["period"] = data["period"]
        context["consent_svg"] = (
            None
            if error
            else consent_plot(
                data["consent"], data["period"], pages.translator(request), pages.locale(request)
            )
        )
        context["consent_tables"] = [] if error else consent_tables(data["consent"], data["period"])
    return show(request, who, "console/overview.html", context, status=422 if error else 200)


# -- models ------------------------------------------------------------------------------------
@router.get("/models")
def models(request: Request, who: Who) -> HTMLResponse:
    """The model versions in use and what they were trained on (counts only), as
    `GET /v1/models`."""
    who.require(Scope.ANALYST)
    latest = service_of(request).models_in_use()
    return show(request, who, "console/models.html", {"models": list(latest.items())})


# -- guardrails --------------------------------------------------------------------------------
@router.get("/guardrails")
def guardrails(request: Request, who: Who, weeks: str | None = None) -> HTMLResponse:
    """What the guardrails held back over the chosen weeks, and the protections in force."""
    who.require(Scope.ANALYST)
    chosen, error = _weeks(request, weeks, GUARDRAIL_WEEKS)
    context: dict[str, Any] = _weeks_form(chosen, weeks, error)
    if error:
        return show(request, who, "console/guardrails.html", context, status=422)
    data = service_of(request).ethics.gather(chosen, sections=("guardrails",))
    t = translator_of(request)
    reasons, checks = held_back_words(t), check_words(t)
    g = data["guardrails"]
    held = [h | {"words": words(h["reason"], reasons)} for h in g["decisions"]["held_back"]]
    by_check = [c | {"words": words(c["check"], checks)} for c in g["messages"]["held_by_check"]]
    channels = sorted({ch for c in by_check for ch in c["by_channel"]})
    context |= {
        "period": data["period"],
        "decisions": g["decisions"],
        "held_back": held,
        "messages": g["messages"],
        "held_by_check": by_check,
        "check_channels": channels,
        "protections": g["protections"],
    }
    return show(request, who, "console/guardrails.html", context)


# -- the data inventory and the main parameters ------------------------------------------------
def _kinds(request: Request, service: Tactful, notice: dict[str, Any]) -> list[dict[str, Any]]:
    """Each kind of personal data the service holds: why, for how long, and who may read one
    person's (the scopes and the usable keys that hold them, as `services.inventory` says)."""
    t = translator_of(request)
    keys = service.keys.usable()
    purposes = notice["purposes"]
    event_words = {
        DataCategory.PURCHASE_HISTORY: t("Purchase history"),
        DataCategory.EXPLICIT_FEEDBACK: t("Ratings"),
        DataCategory.BROWSING_HISTORY: t("Views, clicks and cart additions"),
        DataCategory.SEARCH_HISTORY: t("Searches"),
    }
    kinds: list[dict[str, Any]] = []
    for category in DataCategory:
        using = [p for p in purposes if category.value in p["data_categories"]]
        days = max((p["retention_days"] for p in using), default=None)
        kinds.append(
            {
                "kind": category.value,
                "words": event_words[category],
                "purposes": [p["purpose"] for p in using],
                "retention": None
                if days is None
                else t("%(days)s days after each event", days=days),
                "readers": readers(category.value, keys),
            }
        )
    decision_days = service.settings.decision_retention_days
    kinds += [
        {
            "kind": "profile",
            "words": t("Profile details: age band, region, gender, occupation, time zone"),
            "purposes": [],
            "retention": t("Until the person's data is erased"),
            "readers": readers("profile", keys),
        },
        {
            "kind": "consent",
            "words": t("Choices, their receipts and the signals behind them"),
            "purposes": [],
            "retention": t("Kept as evidence until the person's data is erased"),
            "readers": readers("consent", keys),
        },
        {
            "kind": "decisions",
            "words": t("Decisions and messages: what was shown or sent, and why"),
            "purposes": [],
            "retention": t("%(days)s days", days=decision_days),
            "readers": readers("decisions", keys),
        },
    ]
    return kinds


@router.get("/data")
def data(request: Request, who: Who) -> HTMLResponse:
    """The data inventory of the service and the recommenders' main parameters."""
    who.require(Scope.ANALYST)
    service = service_of(request)
    notice = service.notice()
    context = {
        "notice": notice,
        "kinds": _kinds(request, service, notice),
        "parameters": service.main_parameters(),
        "operator_view": True,
    }
    return show(request, who, "console/data.html", context)
