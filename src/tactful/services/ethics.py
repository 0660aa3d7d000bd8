"""The ethics report's figures, gathered from the store for a regulator or an internal review.

One document answers "is this system used fairly and lawfully?" over a period (the last
`weeks` weeks up to `now`): the latest fairness audit, the consent rates per purpose week by
week, the rights requests and complaints with their handling times, the guardrails' activity
and the recommenders' main parameters. Everything is an aggregate: a count, a share, a
duration. No subject id, name, email or free text of anyone is read into it, so the report
can leave the building.

This module orchestrates: in one transaction it reads the counts through `storage.ethics`
(a few grouped queries, none per person, so the report stays fast on a store of many
thousands of people) and the latest audit run, and hands them to `services.ethics_sections`,
which assembles the audit, rights, complaints and guardrail sections. The consent section
is worked out here, as it weighs each week's counts against the notice history (a grant
under a notice since widened is stale), and so is the recommenders' section, read from the
service's configuration.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection

from tactful.audit.chain import AuditAction
from tactful.consent.ledger import ConsentStatus
from tactful.errors import FieldError, InvalidInput
from tactful.services.ethics_sections import (
    MAX_WEEKS,
    Period,
    audit_section,
    complaints_section,
    decisions_figures,
    messages_figures,
    pick,
    protections_figures,
    rights_section,
    share,
    sorted_counts,
)
from tactful.storage import ethics as queries
from tactful.storage import fairness_audits

if TYPE_CHECKING:
    from tactful.consent.notice import PublishedNotice
    from tactful.service import Tactful

__all__ = ["DEFAULT_WEEKS", "MAX_WEEKS", "EthicsReports", "Format"]

DEFAULT_WEEKS = 26
Format = Literal["html", "json"]


SECTIONS = ("audit", "consent", "rights", "complaints", "guardrails", "recommenders")


class EthicsReports:
    """`gather` the figures (JSON-ready), `render` them as one printable page, or `make` a
    report for someone, which the audit log records."""

    def __init__(self, service: Tactful) -> None:
        self.service = service

    def gather(
        self,
        weeks: int = DEFAULT_WEEKS,
        now: datetime | None = None,
        sections: Collection[str] = SECTIONS,
    ) -> dict[str, Any]:
        """Every figure of the report for the `weeks` weeks up to `now` (default: the
        service clock); or only the `sections` a page shows (the guardrail figures read
        every decision record of the period, which a page about consent need not pay)."""
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            raise InvalidInput(f"Unknown ethics report sections: {', '.join(sorted(unknown))}.")
        svc = self.service
        period = Period.of(weeks, now if now is not None else svc.clock())
        history = svc.notices.history()
        published = history[-1]
        with svc.store.reading() as conn:
            catalog = svc.notices.catalog(conn)
            purposes = [(p.code, p.title, p.sensitive_category is not None) for p in catalog]
            data: dict[str, Any] = {
                "report": "ethics",
                "version": 1,
                "generated_at": svc.clock().astimezone(UTC).isoformat(),
                "period": period.as_dict(),
                "controller": published.notice.controller.name,
                "notice_version": published.notice.version,
            }
            if "audit" in sections:
                data["audit"] = audit_section(fairness_audits.latest(conn))
            if "consent" in sections:
                data["consent"] = consent_section(conn, period, purposes, history)
            if "rights" in sections:
                data["rights"] = rights_section(
                    period,
                    svc.settings.rights_request_days,
                    queries.rights_requests_open_within(conn, period.start, period.end),
                )
            if "complaints" in sections:
                data["complaints"] = complaints_section(
                    period,
                    svc.settings.complaint_days,
                    queries.complaints_open_within(conn, period.start, period.end),
                )
            if "guardrails" in sections:
                data["guardrails"] = guardrails_section(conn, period)
        if "recommenders" in sections:
            data["recommenders"] = recommenders_section(svc)
        return data

    def render(self, data: Mapping[str, Any]) -> str:
        """The gathered figures as one self-contained, printable HTML page."""
        from tactful.reports.ethics import render_ethics

        return render_ethics(data)

    def make(
        self, weeks: int = DEFAULT_WEEKS, *, fmt: Format = "html", now: datetime | None = None
    ) -> tuple[dict[str, Any], str | None]:
        """A report made for someone (CLI or HTTP): the figures, the page when `fmt` is
        html, and an `ethics_report.made` entry naming the current actor and the period."""
        if fmt not in ("html", "json"):
            raise InvalidInput(
                "Unknown report format.", [FieldError("format", "must be html or json")]
            )
        data = self.gather(weeks, now)
        page = self.render(data) if fmt == "html" else None
        period = data["period"]
        self.service.audit.record(
            AuditAction.ETHICS_REPORT_MADE,
            detail={
                "start": period["start"],
                "end": period["end"],
                "weeks": period["weeks"],
                "format": fmt,
            },
        )
        return data, page


# -- consent rates per purpose, week by week ---------------------------------------------------
def consent_section(
    conn: Connection,
    period: Period,
    purposes: Sequence[tuple[str, str, bool]],
    history: Sequence[PublishedNotice],
) -> dict[str, Any]:
    """For each purpose of the notice in force and each week end: how many people had
    granted it, refused or withdrawn it, or made no choice yet, by their latest choice at
    that moment. Grants made against a notice that has since widened the purpose count as
    `stale` (not granted: the person must choose again), as decisions count them.
    `changes` are the choices recorded in the period: how refusals and withdrawals arrived
    (a person's own form, a Global Privacy Control signal, a TCF string, an unsubscribe
    link, an import)."""
    population = queries.population_by_week(conn, period.week_ends)
    latest = queries.latest_choices_by_week(conn, period.week_ends)
    recorded = queries.choices_recorded(conn, period.start, period.end)
    weeks = len(period.week_ends)
    codes = [code for code, _, _ in purposes]
    declared = set(codes)
    zero = {code: [0] * weeks for code in codes}
    granted, refused, stale = ({k: list(v) for k, v in zero.items()} for _ in range(3))
    latest_methods: dict[str, dict[str, dict[str, int]]] = {
        code: {"granted": {}, "refused": {}} for code in codes
    }
    renewals = [_renewals(history, moment) for moment in period.week_ends]
    for (purpose, status, version, method), counts in latest.items():
        if purpose not in declared:
            continue  # a purpose the notice in force no longer declares
        kind = "granted" if status == ConsentStatus.GRANTED else "refused"
        for week, count in enumerate(counts):
            if kind == "refused":
                refused[purpose][week] += count
                continue
            order, renewed = renewals[week]
            since = renewed.get(purpose)
            is_stale = since is not None and order.get(version, 0) < since
            (stale if is_stale else granted)[purpose][week] += count
        if counts[-1]:
            bucket = latest_methods[purpose][kind]
            bucket[method] = bucket.get(method, 0) + counts[-1]
    series = []
    for code, title, sensitive in purposes:
        no_choice = [
            population[w] - granted[code][w] - refused[code][w] - stale[code][w]
            for w in range(weeks)
        ]
        shares = [share(granted[code][w], population[w]) for w in range(weeks)]
        series.append(
            {
                "purpose": code,
                "title": title,
                "sensitive": sensitive,
                "granted": granted[code],
                "refused": refused[code],
                "stale": stale[code],
                "no_choice": no_choice,
                "granted_share": shares,
                "latest": {
                    "subjects": population[-1],
                    "granted": granted[code][-1],
                    "refused": refused[code][-1],
                    "stale": stale[code][-1],
                    "no_choice": no_choice[-1],
                    "granted_share": shares[-1],
                    "granted_by_method": sorted_counts(latest_methods[code]["granted"]),
                    "refused_by_method": sorted_counts(latest_methods[code]["refused"]),
                },
            }
        )
    return {
        "subjects": population,
        "purposes": series,
        "changes": [
            {"purpose": r.purpose, "status": r.status, "method": r.method, "count": r.records}
            for r in recorded
            if r.purpose in declared
        ],
    }


def _renewals(
    history: Sequence[PublishedNotice], moment: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """The notice versions' order, and per purpose the version that last added to or widened
    it, among the versions published by `moment` (see `PurposeCatalog.is_stale`)."""
    order = {p.notice.version: p.sequence for p in history}
    renewed: dict[str, int] = {}
    for published in sorted(history, key=lambda p: p.sequence):
        if published.published_at <= moment:
            for code in published.changes:
                renewed[code] = published.sequence
    return order, renewed


# -- guardrail activity ------------------------------------------------------------------------
def guardrails_section(conn: Connection, period: Period) -> dict[str, Any]:
    """What the guardrails held back in the period (items from decisions, messages), and the
    protections people had in force at its end. Counts only."""
    start, end = period.start, period.end
    return {
        "decisions": decisions_figures(
            queries.decisions_by_level(conn, start, end),
            queries.items_held_back(conn, start, end),
        ),
        "messages": messages_figures(
            queries.messages_by_outcome(conn, start, end),
            queries.failed_checks_of_held_messages(conn, start, end),
        ),
        "protections": protections_figures(
            queries.protections_in_force(conn, end),
            queries.objections_in_force(conn, end),
            queries.minors(conn),
        ),
    }


# -- the recommenders' main parameters ---------------------------------------------------------
def recommenders_section(service: Tactful) -> dict[str, Any]:
    """What the transparency document says (models in use, levels, re-rankers per surface),
    with each model's training data, the guardrail policy and the audit policy."""
    parameters = service.main_parameters()
    with service.store.reading() as conn:
        trained_on = {
            entry["name"]: dict(mv.trained_on)
            for entry in parameters["recommenders"]
            if (mv := service.store.latest_model(conn, entry["name"])) is not None
        }
    models = [
        pick(entry, ("name", "roles", "summary", "status", "version", "trained_at"))
        | {
            "parameters": list(entry.get("parameters", [])),
            "trained_on": trained_on.get(entry["name"]),
        }
        for entry in parameters["recommenders"]
    ]
    levels = [
        {
            "level": level["level"],
            "recommender": level["recommender"],
            "based_on_profiling": level["based_on_profiling"],
            "turned_on_by": [p["purpose"] for p in level.get("turned_on_by", [])],
        }
        for level in parameters.get("levels", [])
    ]
    policy = service.guardrails
    unlocks = {
        p.sensitive_category: p.code for p in service.purposes if p.sensitive_category is not None
    }
    messaging = policy.messaging
    audit = service.audit_policy
    return {
        "models": models,
        "levels": levels,
        "surfaces": [
            {"surface": surface} | dict(described)
            for surface, described in sorted(parameters.get("surfaces", {}).items())
        ],
        "guardrails": {
            "sensitive": [
                {
                    "code": s.code,
                    "title": s.title,
                    "catalog_categories": list(s.catalog_categories),
                    "unlocked_by": unlocks.get(s.code),
                }
                for s in policy.sensitive
            ],
            "self_excludable": list(policy.protection.self_excludable),
            "harm_prone": list(policy.protection.harm_prone),
            "cooling_off_days": policy.protection.self_exclusion_cooling_off_days,
            "messaging": {
                "copy_check": messaging.copy_check,
                "quiet_hours": f"{messaging.quiet_hours.start:%H:%M}"
                f"-{messaging.quiet_hours.end:%H:%M}",
                "overall_cap": messaging.overall.model_dump(mode="json"),
                "fatigue": messaging.fatigue.model_dump(mode="json"),
                "fewer_messages_per_week": messaging.fewer_messages_per_week,
                "channels": {
                    str(channel): {"purpose": c.purpose, "cap": c.cap.model_dump(mode="json")}
                    for channel, c in sorted(messaging.channels.items())
                },
            },
        },
        "audit_policy": {
            "schedule": audit.schedule.model_dump(mode="json"),
            "measure": audit.measure.model_dump(mode="json"),
            "thresholds": [
                {"check": name, "bound": bound, "value": value}
                for name, (bound, value) in audit.thresholds.bounds().items()
            ],
        },
    }
