"""The Console's fairness audits: the runs with their alerts, running one now, one run's
figures with its main plots inline, its full report, and acknowledging its alert.

As `/v1/fairness-audits`: reading and running take the `analyst` scope (audits hold
aggregates only), acknowledging takes `privacy-officer`. The plots are the report's own
(`tactful.reports.plots`), drawn as inline SVG with a text alternative, every text of them in
the reader's language; the page shows the few that say most at a glance and links to the full
printable report for the rest, where the tables of their numbers are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tactful.audit.context import current_actor
from tactful.domain.access import Scope
from tactful.services.fairness import MAX_NOTE, MIN_WINDOW_DAYS, run_view
from tactful.web.console_common import FormText, Who, pages_of, service_of, show, translator_of
from tactful.web.console_session import Staff, check_form
from tactful.web.sessions import CONSOLE_PATH

if TYPE_CHECKING:
    from tactful.reports.plots import Chart
    from tactful.service import Tactful
    from tactful.storage.fairness_audits import AuditRun

# No prefix: `console_cases.router` carries this router under /console.
router = APIRouter(include_in_schema=False)
PAGE = 20
# The Console runs audits over the last year at most; older windows are the CLI's.
MAX_CONSOLE_WINDOW = 365
TARGETING_SHOWN = 2
CHART_CACHE = 16


@dataclass(frozen=True)
class Plot:
    """One chart of a run: what it shows (`kind` and its `about` names, for a caption in
    the reader's language) and the drawing with its text alternative."""

    kind: str
    about: Mapping[str, str]
    chart: Chart


class _Plots:
    """The plots of the last runs shown, per language: a run never changes, and drawing
    takes a second."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[str, str], list[Plot]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, run: AuditRun, locale: str, t: Callable[..., str]) -> list[Plot]:
        key = (run.audit_id, locale)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        drawn = audit_plots(run.result, t)
        with self._lock:
            self._kept[key] = drawn
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return drawn


_PLOTS = _Plots(CHART_CACHE)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _section(result: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = result.get(key)
    return value if isinstance(value, Mapping) else {}


def audit_plots(result: Mapping[str, Any], t: Callable[..., str]) -> list[Plot]:
    """The plots a run's page shows, written with `t`: item exposure (Lorenz curve), provider
    exposure, quality per group where it was measured, and the worst flagged targeting
    pairs. Their text alternatives send the reader to the full report for the numbers."""
    from tactful.reports import plots

    where = t("The full report has every value in tables.")
    policy = _section(result, "policy")
    measure, limits = _section(policy, "measure"), _section(policy, "thresholds")
    exposure = _section(result, "exposure")
    gini = _number(exposure.get("gini"))
    drawn: list[tuple[str, Mapping[str, str], Chart | None]] = []
    lorenz = exposure.get("lorenz")
    if isinstance(lorenz, Mapping):
        drawn.append(("lorenz", {}, plots.lorenz_chart(lorenz, gini=gini, t=t)))
    providers = _section(exposure, "providers")
    drawn.append(
        (
            "providers",
            {},
            plots.exposure_chart(
                providers,
                threshold=_number(limits.get("provider_exposure_ratio")),
                min_items=int(_number(measure.get("min_provider_items")) or 1),
                t=t,
                where=where,
            ),
        )
    )
    k = int(_number(measure.get("k")) or 10)
    min_size = int(_number(measure.get("min_group_size")) or 1)
    for attribute, breakdown in _section(result, "quality").items():
        if isinstance(breakdown, Mapping) and _measured(breakdown):
            chart = plots.quality_chart(
                str(attribute),
                breakdown,
                k=k,
                min_size=min_size,
                threshold=_number(limits.get("quality_ratio")),
                t=t,
                where=where,
            )
            drawn.append(("quality", {"attribute": str(attribute)}, chart))
    for kind, segment, report in _flagged(result)[:TARGETING_SHOWN]:
        about = {"segment": segment, "attribute": str(report.get("attribute", ""))}
        chart = plots.targeting_chart(kind, segment, report, t=t, where=where)
        drawn.append((f"targeting-{kind}", about, chart))
    return [Plot(kind, about, chart) for kind, about, chart in drawn if chart is not None]


def _measured(breakdown: Mapping[str, Any]) -> bool:
    """Whether any group has a quality figure (a store audit without engagement has none)."""
    groups = breakdown.get("groups")
    return isinstance(groups, Mapping) and any(
        _number(value) is not None
        for group in groups.values()
        if isinstance(group, Mapping)
        for value in (group.get("metrics") or {}).values()
    )


def _flagged(result: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    found = []
    for entry in result.get("targeting") or []:
        if not isinstance(entry, Mapping):
            continue
        for report in (entry.get("reports") or {}).values():
            if isinstance(report, Mapping) and report.get("any_flagged"):
                found.append((str(entry.get("kind", "")), str(entry.get("segment", "")), report))
    return found


# -- pages -----------------------------------------------------------------------------------
def _default_window(service: Tactful) -> int:
    return min(service.audit_policy.schedule.window_days, MAX_CONSOLE_WINDOW)


@router.get("/audits", response_class=HTMLResponse)
def audits_page(request: Request, who: Who, before: str | None = None) -> HTMLResponse:
    who.require(Scope.ANALYST)
    return _audits(request, who, before=before)


def _audits(
    request: Request,
    who: Staff,
    *,
    before: str | None = None,
    error: str | None = None,
    window: str | None = None,
) -> HTMLResponse:
    service = service_of(request)
    runs, following = service.fairness.page(PAGE, before)
    return show(
        request,
        who,
        "console/audits.html",
        {
            "runs": [run_view(r) | {"lists": _lists(r)} for r in runs],
            "older": None if following is None else f"{CONSOLE_PATH}/audits?before={following}",
            "paged": before is not None,
            "window": window if window is not None else str(_default_window(service)),
            "window_error": error,
            "min_window": MIN_WINDOW_DAYS,
            "max_window": MAX_CONSOLE_WINDOW,
        },
        status=422 if error else 200,
    )


def _lists(run: AuditRun) -> int | None:
    return int(n) if (n := _number(_section(run.result, "counts").get("lists"))) else None


@router.post("/audits", response_class=HTMLResponse)
def run_audit(
    request: Request, who: Who, csrf: FormText = "", window_days: FormText = ""
) -> Response:
    check_form(request, who, csrf)
    who.require(Scope.ANALYST)
    text = window_days.strip()
    days = int(text) if text.isdigit() else None
    if days is None or not MIN_WINDOW_DAYS <= days <= MAX_CONSOLE_WINDOW:
        t = translator_of(request)
        problem = t(
            "A whole number of days from %(low)s to %(high)s, please; no audit was run.",
            low=MIN_WINDOW_DAYS,
            high=MAX_CONSOLE_WINDOW,
        )
        return _audits(request, who, error=problem, window=window_days)
    run = service_of(request).fairness.run(actor=current_actor(), window_days=days)
    return RedirectResponse(f"{CONSOLE_PATH}/audits/{run.audit_id}?done=ran", status_code=303)


@router.get("/audits/{audit_id}", response_class=HTMLResponse)
def audit_page(request: Request, who: Who, audit_id: str, done: str | None = None) -> HTMLResponse:
    who.require(Scope.ANALYST)
    t = translator_of(request)
    notices = {
        "ran": t("The audit has run; its figures are below."),
        "acknowledged": t("The alert is acknowledged; it has left the Console's flag."),
    }
    return _audit(request, who, audit_id, notices=[notices[done]] if done in notices else [])


def _audit(
    request: Request,
    who: Staff,
    audit_id: str,
    *,
    notices: list[str] | None = None,
    error: str | None = None,
    note: str = "",
) -> HTMLResponse:
    run = service_of(request).fairness.get(audit_id)
    checks = [c for c in run.result.get("checks") or [] if isinstance(c, Mapping)]
    result = run.result
    return show(
        request,
        who,
        "console/audit.html",
        {
            "run": run_view(run),
            "counts": _section(result, "counts"),
            "figures": {
                "gini": _number(_section(result, "exposure").get("gini")),
                "coverage": _number(_section(result, "popularity").get("coverage")),
                "long_tail": _number(_section(result, "popularity").get("long_tail_share")),
            },
            "crossed": [c for c in checks if c.get("crossed")],
            "passed": [c for c in checks if not c.get("crossed")],
            "plots": _PLOTS.of(run, pages_of(request).locale(request), translator_of(request)),
            "may_acknowledge": who.allows(Scope.PRIVACY_OFFICER),
            "note_error": error,
            "note": note,
            "max_note": MAX_NOTE,
        },
        notices=notices,
        status=422 if error else 200,
    )


@router.get("/audits/{audit_id}/report", response_class=HTMLResponse)
def audit_report(request: Request, who: Who, audit_id: str) -> HTMLResponse:
    """The full printable report, as `GET /v1/fairness-audits/{id}/report` serves it."""
    who.require(Scope.ANALYST)
    page = service_of(request).fairness.report_html(audit_id)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.post("/audits/{audit_id}/acknowledge", response_class=HTMLResponse)
def acknowledge(
    request: Request, who: Who, audit_id: str, csrf: FormText = "", note: FormText = ""
) -> Response:
    check_form(request, who, csrf)
    who.require(Scope.PRIVACY_OFFICER)
    if len(note) > MAX_NOTE or "\x00" in note:
        t = translator_of(request)
        problem = t("A note of at most %(n)s characters, please.", n=MAX_NOTE)
        return _audit(request, who, audit_id, error=problem, note=note)
    service_of(request).fairness.acknowledge(audit_id, current_actor(), note.strip() or None)
    return RedirectResponse(f"{CONSOLE_PATH}/audits/{audit_id}?done=acknowledged", status_code=303)
