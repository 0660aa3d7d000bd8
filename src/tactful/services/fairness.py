"""Fairness audit runs: from the store (or an offline evaluation), stored, alerted, scheduled.

A run reads its input (`fairness_data.store_audit_data` over a window of recorded
decisions, or `fairness.offline` over a public dataset), measures it (`fairness.audit`),
and keeps the result with the run's row. The row, a `fairness_audit.run` entry in the audit
log and, when a threshold was crossed, a `fairness_audit.alert` entry naming the crossed
checks are written in one transaction: an alert is never stored without its entry, nor the
reverse. The alert stays on the console (`alerts`) until someone acknowledges it, which is
audit-logged too. `schedule` makes the job `tactful serve` runs every
`audit_policy.schedule.interval_hours`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from tactful.audit.chain import AuditAction
from tactful.errors import Conflict, FieldError, InvalidInput, NotFound
from tactful.services.fairness_data import store_audit_data
from tactful.services.paging import page_request
from tactful.services.retention import Schedule
from tactful.storage import fairness_audits as stored
from tactful.storage import tables as t
from tactful.storage.fairness_audits import AuditRun

if TYPE_CHECKING:
    from tactful.fairness.data import AuditData
    from tactful.service import Tactful

log = logging.getLogger("tactful.fairness")

MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 3660
MAX_NOTE = 1000
# Earlier runs a report draws its trend from.
TREND_RUNS = 20
# Reports kept in memory per service (a report is up to about 1 MB of HTML).
REPORT_CACHE = 16
# Crossed checks named in one alert entry (the audit log keeps entries small; the run's
# row holds them all).
ALERT_CHECKS = 40
SCHEDULE_ACTOR = "schedule"


class FairnessAudits:
    def __init__(self, service: Tactful) -> None:
        self.service = service
        self._reports = _Reports(REPORT_CACHE)

    # -- running ------------------------------------------------------------------------
    def run(
        self,
        *,
        actor: str,
        window_days: int | None = None,
        end: datetime | None = None,
        offline: str | None = None,
        datasets_dir: Path | None = None,
        model: str | None = None,
    ) -> AuditRun:
        """Audit the decisions of the last `window_days` before `end` (default: the policy's
        window, ending now), or, with `offline`, that evaluation protocol's test split
        ranked by `model`; store the run and write it (and any alert) to the audit log."""
        from tactful.fairness.audit import run_audit

        began = time.perf_counter()
        data = self._data(window_days, end, offline, datasets_dir, model)
        policy = self.service.audit_policy
        audit_id = str(uuid.uuid4())
        started_at = self.service.clock()
        result = run_audit(data, policy, audit_id=audit_id, started_at=started_at).as_dict()
        # Reading the store is part of the audit's cost: the seconds count it too.
        seconds = time.perf_counter() - began
        result["seconds"] = seconds
        crossed = [check for check in result.get("checks", []) if check.get("crossed")]
        run = AuditRun(
            audit_id=audit_id,
            source=data.source,
            label=data.label,
            window_start=data.window_start,
            window_end=data.window_end,
            started_at=started_at,
            seconds=seconds,
            triggered_by=actor,
            alert=bool(crossed),
            crossed=crossed,
            result=result,
            acknowledged_at=None,
            acknowledged_by=None,
        )
        with self.service.store.transaction() as conn:
            stored.add(conn, run)
            audit = self.service.audit
            audit.append(conn, AuditAction.FAIRNESS_AUDIT_RUN, actor=actor, detail=_run_detail(run))
            if crossed:
                audit.append(
                    conn, AuditAction.FAIRNESS_AUDIT_ALERT, actor=actor, detail=_alert_detail(run)
                )
        return run

    def _data(
        self,
        window_days: int | None,
        end: datetime | None,
        offline: str | None,
        datasets_dir: Path | None,
        model: str | None,
    ) -> AuditData:
        """The run's input, after checking the request."""
        policy = self.service.audit_policy
        errors = []
        if window_days is not None and not MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS:
            errors.append(
                FieldError(
                    "window_days", f"must be between {MIN_WINDOW_DAYS} and {MAX_WINDOW_DAYS}"
                )
            )
        if end is not None and (end.tzinfo is None or end.utcoffset() is None):
            errors.append(FieldError("end", "must carry a time zone"))
        if offline is None and (datasets_dir is not None or model is not None):
            errors.append(FieldError("offline", "a dataset or model is only for an offline audit"))
        if offline is not None and (window_days is not None or end is not None):
            errors.append(FieldError("offline", "an offline audit has no time window"))
        if errors:
            raise InvalidInput("The fairness audit request is invalid.", errors)
        if offline is not None:
            from tactful.datasets.movielens import default_datasets_dir
            from tactful.fairness.offline import offline_audit_data

            data = offline_audit_data(
                offline,
                datasets_dir=datasets_dir if datasets_dir is not None else default_datasets_dir(),
                model=model or "ease",
                k=policy.measure.k,
            )
        else:
            until = end if end is not None else self.service.clock()
            days = window_days if window_days is not None else policy.schedule.window_days
            with self.service.store.reading() as conn:
                data = store_audit_data(conn, until - timedelta(days=days), until, policy)
        return data

    # -- reading ------------------------------------------------------------------------
    def get(self, audit_id: str) -> AuditRun:
        key = _audit_key(audit_id)
        with self.service.store.reading() as conn:
            found = stored.get(conn, str(key))
        if found is None:
            raise NotFound(f"No fairness audit {audit_id}.")
        return found

    def history(
        self,
        source: str | None = None,
        label: str | None = None,
        limit: int = 50,
        before: datetime | None = None,
    ) -> list[AuditRun]:
        """Runs newest first, optionally of one source and label, started before `before`."""
        if not 1 <= limit <= 1000:
            raise InvalidInput(
                "The fairness audit list request is invalid.",
                [FieldError("limit", "must be between 1 and 1000")],
            )
        with self.service.store.reading() as conn:
            return stored.history(conn, source=source, label=label, before=before, limit=limit)

    def page(self, limit: int = 20, before: str | None = None) -> tuple[list[AuditRun], str | None]:
        """One page of runs, newest first, and the cursor of the next (None: the last page);
        `before` is a `next_before` value (`time~audit id`) or a time with a zone."""
        cursor = page_request(limit, before, "fairness audit")
        a = t.fairness_audits.c
        query = select(a.audit_id).order_by(a.started_at.desc(), a.audit_id).limit(limit)
        if cursor is not None:
            moment, last = cursor
            query = query.where(
                a.started_at < moment
                if last is None
                else or_(a.started_at < moment, and_(a.started_at == moment, a.audit_id > last))
            )
        with self.service.store.reading() as conn:
            ids = conn.execute(query).scalars().all()
            runs = [run for key in ids if (run := stored.get(conn, str(key))) is not None]
        last_run = runs[-1] if len(runs) == limit else None
        following = (
            None if last_run is None else f"{last_run.started_at.isoformat()}~{last_run.audit_id}"
        )
        return runs, following

    def latest(self, source: str | None = None) -> AuditRun | None:
        with self.service.store.reading() as conn:
            return stored.latest(conn, source)

    def alerts(self) -> list[AuditRun]:
        """Runs whose alert nobody has acknowledged yet, newest first: the console's flag."""
        with self.service.store.reading() as conn:
            return stored.unacknowledged_alerts(conn)

    def acknowledge(self, audit_id: str, actor: str, note: str | None = None) -> AuditRun:
        """Mark a run's alert as seen and handled; NotFound for no such run, Conflict for a
        run without an alert or one acknowledged already."""
        key = _audit_key(audit_id)
        if note is not None and (len(note) > MAX_NOTE or "\x00" in note):
            raise InvalidInput(
                "The note is invalid.",
                [FieldError("note", f"at most {MAX_NOTE} characters, no NUL")],
            )
        with self.service.store.transaction() as conn:
            found = stored.get(conn, str(key))
            if found is None:
                raise NotFound(f"No fairness audit {audit_id}.")
            if not found.alert:
                raise Conflict(f"Fairness audit {audit_id} raised no alert to acknowledge.")
            now = self.service.clock()
            if not stored.acknowledge(conn, str(key), actor, now):
                raise Conflict(
                    f"Fairness audit {audit_id} was acknowledged already"
                    + (f" by {found.acknowledged_by}." if found.acknowledged_by else ".")
                )
            self.service.audit.append(
                conn,
                AuditAction.FAIRNESS_AUDIT_ACKNOWLEDGED,
                actor=actor,
                detail={"audit_id": str(key), "crossed": len(found.crossed), "note": note},
            )
            after = stored.get(conn, str(key))
        assert after is not None
        return after

    def report_html(self, audit_id: str) -> str:
        """The run's HTML report, with the trend over the earlier runs of its source and
        label (up to `TREND_RUNS`, started strictly before it).

        A report takes a second or two to draw and never changes once made: the result is
        stored once, and the trend holds only runs started before this one. So the last
        `REPORT_CACHE` reports made are kept, per service, by audit id."""
        from tactful.reports.audit import render_audit

        key = str(_audit_key(audit_id))
        reports = self._reports
        page = reports.get(key)
        if page is None:
            run = self.get(key)
            earlier = self.history(run.source, run.label, TREND_RUNS, before=run.started_at)
            page = render_audit(run.result, [r.result for r in earlier])
            reports.put(key, page)
        return page

    # -- the schedule ---------------------------------------------------------------------
    def schedule(self) -> Schedule | None:
        """The job `tactful serve` runs every `schedule.interval_hours` (None when 0): a store
        audit of the policy's window. The first run comes one interval after the last stored
        run (at once when that is overdue), so restarts do not postpone audits forever."""
        hours = self.service.audit_policy.schedule.interval_hours
        if hours <= 0:
            return None
        interval = hours * 3600.0
        last = self.latest("store")
        first = interval
        if last is not None:
            due = last.started_at + timedelta(seconds=interval)
            first = max(0.0, (due - self.service.clock()).total_seconds())
        return Schedule(
            self._scheduled_run,
            interval,
            "fairness-audit",
            first=first,
            claim=self.service.claim_job_run,
        )

    def _scheduled_run(self) -> None:
        run = self.run(actor=SCHEDULE_ACTOR)
        lists = run.result.get("counts", {}).get("lists", 0)
        if run.alert:
            log.warning(
                "scheduled fairness audit %s of %d lists crossed %d threshold(s); it stays on "
                "the console until acknowledged",
                run.audit_id,
                lists,
                len(run.crossed),
            )
        else:
            log.info("scheduled fairness audit %s of %d lists: no alert", run.audit_id, lists)


class _Reports:
    """The last `size` reports made, by audit id; safe to share between threads (two
    requests for the same new report may both draw it, and keep the same page)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: str, page: str) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


def run_view(run: AuditRun, *, result: bool = False) -> dict[str, Any]:
    """A run as the API and the CLI show it: the summary, and with `result` its figures."""
    view = run.summary()
    view["crossed_count"] = len(run.crossed)
    if result:
        view["result"] = run.result
    return view


def _audit_key(audit_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(audit_id)
    except ValueError:
        raise InvalidInput(
            "Not a fairness audit id.", [FieldError("audit_id", "must be a UUID")]
        ) from None


def _run_detail(run: AuditRun) -> dict[str, Any]:
    return {
        "audit_id": run.audit_id,
        "source": run.source,
        "label": run.label,
        "window": run.summary()["window"],
        "lists": int(run.result.get("counts", {}).get("lists", 0)),
        "alert": run.alert,
        "crossed": len(run.crossed),
    }


def _alert_detail(run: AuditRun) -> dict[str, Any]:
    return {
        "audit_id": run.audit_id,
        "crossed": len(run.crossed),
        "checks": [
            {
                "check": check.get("check"),
                "scope": str(check.get("scope", ""))[:200],
                "value": _rounded(check.get("value")),
                "bound": check.get("bound"),
                "threshold": _rounded(check.get("threshold")),
            }
            for check in run.crossed[:ALERT_CHECKS]
        ],
    }


def _rounded(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value
