"""Fairness audits over HTTP: run one over the recorded decisions, list and read runs, the
HTML report, the unacknowledged alerts (the console's flag) and their acknowledgement.

Audits hold aggregates only (rates and means per group, never a person's data), so running
and reading them takes the `analyst` scope. Acknowledging an alert takes `privacy-officer`:
it clears the flag for everyone, a sign-off that the finding was looked into, which belongs
to the role accountable for the processing rather than to the one who measures it (and it
is written to the audit log with its note). Offline audits (on a public dataset) are run
from the CLI only: they read files on the server's disk.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from tactful.api.deps import Service, require
from tactful.audit.context import current_actor
from tactful.domain.access import Scope
from tactful.services.fairness import MAX_NOTE, MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, run_view
from tactful.services.paging import MAX_PAGE

router = APIRouter(prefix="/v1/fairness-audits", tags=["fairness"])
analyst = require(Scope.ANALYST)

AuditId = Annotated[str, Path(min_length=1, max_length=64, description="The run's id (a UUID).")]
HTML_REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The run's report: figures, plots and the trend over earlier runs.",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_days: (
        Annotated[int, Field(ge=MIN_WINDOW_DAYS, le=MAX_WINDOW_DAYS, strict=True)] | None
    ) = Field(
        None,
        description="Audit the decisions of this many days before now (default: the audit "
        "policy's schedule.window_days).",
    )


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(max_length=MAX_NOTE)] | None = Field(
        None, description="What was found or done; kept in the audit log."
    )


class WindowOut(BaseModel):
    start: str | None = Field(description="Start of the decisions' window (null offline).")
    end: str | None = Field(description="End of the window, exclusive (null offline).")


class RunOut(BaseModel):
    audit_id: str
    source: str = Field(description='"store" (recorded decisions) or "offline".')
    label: str = Field(description='"store", or the offline protocol.')
    window: WindowOut
    started_at: str
    seconds: float = Field(description="How long the audit took, reading included.")
    triggered_by: str = Field(description='Who ran it: "key:<id>", "cli" or "schedule".')
    alert: bool = Field(description="Whether any threshold was crossed.")
    crossed: list[dict[str, Any]] = Field(description="The checks whose threshold was crossed.")
    crossed_count: int
    acknowledged_at: str | None
    acknowledged_by: str | None


class RunResultOut(RunOut):
    result: dict[str, Any] = Field(
        description="Every figure of the audit (counts, accuracy, quality by group, exposure, "
        "popularity, targeting, checks); aggregates only."
    )


class RunsOut(BaseModel):
    audits: list[RunOut]
    next_before: str | None = Field(description="Pass as `before` for the next (older) page.")


class AlertsOut(BaseModel):
    alerts: list[RunOut] = Field(description="Alerting runs nobody acknowledged, newest first.")


@router.post(
    "",
    status_code=201,
    summary="Audit the recorded decisions of a recent window now",
    response_model=RunResultOut,
    dependencies=[analyst],
)
def run_audit(service: Service, response: Response, body: RunIn | None = None) -> dict[str, Any]:
    run = service.fairness.run(
        actor=current_actor(), window_days=body.window_days if body is not None else None
    )
    response.headers["Location"] = f"{router.prefix}/{run.audit_id}"
    return run_view(run, result=True)


@router.get(
    "",
    summary="Fairness audit runs, newest first",
    response_model=RunsOut,
    dependencies=[analyst],
)
def list_audits(
    service: Service,
    limit: Annotated[int, Query(description=f"Page size (1-{MAX_PAGE}).")] = 20,
    before: Annotated[
        str | None, Query(max_length=200, description="Page cursor (next_before).")
    ] = None,
) -> dict[str, Any]:
    runs, following = service.fairness.page(limit, before)
    return {"audits": [run_view(r) for r in runs], "next_before": following}


@router.get(
    "/alerts",
    summary="Runs with an unacknowledged alert (the console's flag)",
    response_model=AlertsOut,
    dependencies=[analyst],
)
def alerts(service: Service) -> dict[str, Any]:
    return {"alerts": [run_view(r) for r in service.fairness.alerts()]}


@router.get(
    "/{audit_id}",
    summary="One fairness audit run with all its figures",
    response_model=RunResultOut,
    dependencies=[analyst],
)
def get_audit(audit_id: AuditId, service: Service) -> dict[str, Any]:
    return run_view(service.fairness.get(audit_id), result=True)


@router.get(
    "/{audit_id}/report",
    summary="One run's HTML report, with plots and the trend over earlier runs",
    response_class=HTMLResponse,
    responses=HTML_REPORT,
    dependencies=[analyst],
)
def audit_report(audit_id: AuditId, service: Service) -> HTMLResponse:
    # The page's policy (api.security) allows its own <style> block only: no script,
    # nothing from elsewhere; the plots are inline SVG with presentation attributes.
    return HTMLResponse(service.fairness.report_html(audit_id))


@router.post(
    "/{audit_id}/acknowledge",
    summary="Acknowledge a run's alert: it leaves the console's flag (audit-logged)",
    response_model=RunOut,
    dependencies=[require(Scope.PRIVACY_OFFICER)],
)
def acknowledge(
    audit_id: AuditId, service: Service, body: AcknowledgeIn | None = None
) -> dict[str, Any]:
    note = body.note if body is not None else None
    return run_view(service.fairness.acknowledge(audit_id, current_actor(), note))
