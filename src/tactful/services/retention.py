"""Retention: each event lives as long as the longest retention among the purposes that
justified storing it (as the notice in force states them now, so a shortened retention
applies to what is already held); decision records (a person's or an account's) and
messaging decisions live `decision_retention_days`, and so do protections after they ended."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tactful.domain.purposes import PurposeCatalog
from tactful.storage import accounts as stored_accounts
from tactful.storage import messages as stored_messages
from tactful.storage import protections as stored_protections
from tactful.storage import retention as stored
from tactful.storage.repository import Store

log = logging.getLogger("tactful.retention")


@dataclass
class RetentionReport:
    ran_at: datetime
    dry_run: bool
    events: list[dict[str, Any]] = field(default_factory=list)
    decisions: int = 0
    account_decisions: int = 0
    messages: int = 0
    protections: int = 0

    @property
    def events_total(self) -> int:
        return sum(int(e["count"]) for e in self.events)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ran_at": self.ran_at.isoformat(),
            "dry_run": self.dry_run,
            "events_deleted" if not self.dry_run else "events_expired": self.events_total,
            "events": self.events,
            "decisions_deleted" if not self.dry_run else "decisions_expired": self.decisions,
            "account_decisions_deleted"
            if not self.dry_run
            else "account_decisions_expired": self.account_decisions,
            "messages_deleted" if not self.dry_run else "messages_expired": self.messages,
            "protections_deleted" if not self.dry_run else "protections_expired": self.protections,
        }


def retention_days(purposes: list[str], catalog: PurposeCatalog) -> int:
    """The longest retention among the purposes still declared; 0 when none is (a purpose
    retired from the notice justifies keeping nothing)."""
    return max((catalog.by_code[p].retention_days for p in purposes if p in catalog), default=0)


def run_retention(
    store: Store,
    catalog: PurposeCatalog,
    now: datetime,
    decision_retention_days: int,
    *,
    dry_run: bool = False,
) -> RetentionReport:
    report = RetentionReport(now, dry_run)
    with store.transaction() as conn:
        for purposes in stored.purpose_sets(conn):
            days = retention_days(purposes, catalog)
            cutoff = now - timedelta(days=days)
            count = (
                stored.expired_events(conn, purposes, cutoff)
                if dry_run
                else stored.delete_events(conn, purposes, cutoff)
            )
            if count:
                report.events.append(
                    {
                        "purposes": purposes,
                        "retention_days": days,
                        "before": cutoff.isoformat(),
                        "count": count,
                    }
                )
        cutoff = now - timedelta(days=decision_retention_days)
        report.decisions = (
            stored.expired_decisions(conn, cutoff)
            if dry_run
            else stored.delete_decisions(conn, cutoff)
        )
        report.account_decisions = (
            stored_accounts.expired_decisions(conn, cutoff)
            if dry_run
            else stored_accounts.delete_expired_decisions(conn, cutoff)
        )
        report.messages = (
            stored_messages.expired(conn, cutoff)
            if dry_run
            else stored_messages.delete_expired(conn, cutoff)
        )
        report.protections = (
            stored_protections.ended_before(conn, cutoff)
            if dry_run
            else stored_protections.delete_ended_before(conn, cutoff)
        )
    if not dry_run:
        log.info(
            "retention: deleted %d events, %d decision records, %d account decision records, "
            "%d messaging decisions and %d ended protections",
            report.events_total,
            report.decisions,
            report.account_decisions,
            report.messages,
            report.protections,
        )
    return report


class Schedule:
    """Runs `job` every `interval` seconds on a daemon thread named `tactful-<name>` until
    stopped, the first time after `first` seconds (default: one interval). A failing run is
    logged and retried at the next interval: a job never stops the schedule nor the server.

    With `claim`, a run goes ahead only when `claim(name, slot)` says this process won it,
    the slot being the wall-clock interval the run falls in: with several serving processes
    (`tactful serve --workers N`, or several hosts) each job then runs once per interval.
    Processes whose timers straddle a slot boundary may both run; with the first run timed
    from the last stored one, that takes timers a whole slot apart, which start-up skew of a
    few seconds is not.
    """

    def __init__(
        self,
        job: Callable[[], object],
        interval: float,
        name: str = "retention",
        *,
        first: float | None = None,
        claim: Callable[[str, int], bool] | None = None,
    ) -> None:
        self.job = job
        self.claim = claim
        self.interval = interval
        self.name = name
        self.first = interval if first is None else first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"tactful-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        logger = logging.getLogger(f"tactful.{self.name}")
        wait = self.first
        while not self._stop.wait(wait):
            try:
                slot = int(time.time() // self.interval)
                if self.claim is None or self.claim(self.name, slot):
                    self.job()
                else:
                    logger.info("%s run of slot %d taken by another process", self.name, slot)
            except Exception:
                logger.exception("%s run failed; retrying at the next interval", self.name)
            wait = self.interval


class RetentionSchedule(Schedule):
    """The retention job's schedule (`TACTFUL_RETENTION_INTERVAL_SECONDS`)."""

    def __init__(
        self,
        job: Callable[[], object],
        interval: float,
        claim: Callable[[str, int], bool] | None = None,
    ) -> None:
        super().__init__(job, interval, "retention", claim=claim)
