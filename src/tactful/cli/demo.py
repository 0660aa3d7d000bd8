"""`tactful demo`: build the synthetic store once, train, and serve with a guided tour."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from rich.console import Console

from tactful.consent.ledger import ConsentRecord
from tactful.demo.vocabulary import REGIONS
from tactful.service import Tactful
from tactful.settings import Settings

T = TypeVar("T")
console = Console(stderr=True)
BATCH = 10_000


def _batches(rows: Sequence[T]) -> list[Sequence[T]]:
    return [rows[n : n + BATCH] for n in range(0, len(rows), BATCH)]


def build_demo(
    settings: Settings, *, small: bool = False, now: datetime | None = None
) -> dict[str, float]:
    """Generate the demo store into an empty data directory, train, play a month of traffic
    and audit it; returns timings.

    The build runs on its own clock: the store is loaded and trained a month ago, then the
    clock moves through the month's decisions (`demo.traffic`) and stops now, where one
    fairness audit of the month is run, so the console has a run (and its alert) to show.
    `now` is the end of that month (default: the wall clock's now).
    """
    from tactful.cli.common import progress
    from tactful.demo.accounts import demo_accounts
    from tactful.demo.generator import DemoConfig, generate
    from tactful.demo.traffic import PEOPLE, WINDOW, DemoClock, record_traffic

    timings: dict[str, float] = {}
    started = time.perf_counter()
    config = DemoConfig(n_items=400, n_subjects=600, n_events=20_000) if small else DemoConfig()
    store = generate(config)
    timings["generate"] = time.perf_counter() - started
    now = now or datetime.now(UTC)
    clock = DemoClock(now - WINDOW)
    service = Tactful(settings, clock=clock)
    try:
        with progress() as bar:
            task = bar.add_task(
                "loading demo store",
                total=len(store.items)
                + len(store.subjects)
                + len(store.consents)
                + len(store.events),
            )
            for items in _batches(store.items):
                service.add_items(items)
                bar.advance(task, len(items))
            for subjects in _batches(store.subjects):
                service.add_subjects(subjects)
                bar.advance(task, len(subjects))
            # Consent comes before the events it covers, as on a real site.
            records = [
                ConsentRecord(
                    c.subject_id,
                    c.purpose,
                    c.status,
                    service.notice_version,
                    c.method,
                    c.recorded_at,
                )
                for c in sorted(store.consents, key=lambda c: c.recorded_at)
            ]
            for consents in _batches(records):
                service.import_consents(consents)
                bar.advance(task, len(consents))
            for events in _batches(store.events):
                service.add_events(events)
                bar.advance(task, len(events))
            _guardrails_demo(service)
            # Organisations for the account level: their history ends when the month begins.
            accounts, account_events = demo_accounts(store.items, now - WINDOW)
            service.accounts.ingest_accounts(accounts)
            for batch in _batches(account_events):
                service.accounts.ingest_events(batch)
        timings["load"] = time.perf_counter() - started - timings["generate"]
        mark = time.perf_counter()
        with console.status("training models"):
            service.train()
        timings["train"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with console.status("recording a month of decisions and engagement"):
            record_traffic(service, store, clock, now, people=PEOPLE // 4 if small else PEOPLE)
        timings["traffic"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with console.status("auditing the month's decisions"):
            service.fairness.run(actor="demo")
        timings["audit"] = time.perf_counter() - mark
    finally:
        service.close()
    timings["total"] = time.perf_counter() - started
    return timings


# Campaigns a marketer would have set up: a weekly newsletter for everyone who agreed to
# email, a running campaign whose audience comes from profiling, and a gambling offer.
DEMO_CAMPAIGNS: tuple[tuple[str, str, str | None, bool], ...] = (
    ("weekly-picks", "This week's picks", None, False),
    ("autumn-running", "Autumn running gear", "sports", True),
    ("lucky-spin", "Lucky Spin weekend", "betting_lottery", False),
)


def _guardrails_demo(service: Tactful) -> None:
    """erin's self-exclusions (she asked, in the privacy center) and the demo campaigns."""
    for excluded in ("gambling", "alcohol"):
        service.protections.self_exclude("erin", excluded, None)
    for campaign_id, title, offers, profiled in DEMO_CAMPAIGNS:
        service.messaging.add_campaign(campaign_id, title, offers, profiled)


def _center_link(settings: Settings, subject_id: str, base: str) -> str:
    """A day-long link to one demo person's Privacy Center."""
    service = Tactful(settings)
    try:
        token = service.issue_token(subject_id, 86_400)["token"]
    finally:
        service.close()
    return f"{base}/privacy-center?token={token}"


def run_demo(settings: Settings, *, rebuild: bool, serve: bool, small: bool) -> None:
    if not settings.aggregate_regions:
        # The demo shop's regions are the cohorts' (the trends-only level); an operator
        # declares theirs with TACTFUL_AGGREGATE_REGIONS.
        settings = settings.model_copy(update={"aggregate_regions": list(REGIONS)})
    marker = settings.data_dir / "demo-built"
    if rebuild and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    if not marker.exists():
        if settings.data_dir.exists() and any(settings.data_dir.iterdir()):
            console.print(
                f"[yellow]{settings.data_dir} holds data that is not a demo store; "
                "use --rebuild or another --data-dir.[/yellow]"
            )
            return
        console.print(f"Building the demo store in {settings.data_dir} ...")
        timings = build_demo(settings, small=small)
        marker.write_text("built\n")
        console.print(
            f"Built in {timings['total']:.1f} s (generate {timings['generate']:.1f} s, "
            f"load {timings['load']:.1f} s, train {timings['train']:.1f} s, "
            f"traffic {timings['traffic']:.1f} s, audit {timings['audit']:.1f} s)."
        )
    key = settings.operator_api_key()
    base = f"http://{settings.host}:{settings.port}"
    alice = _center_link(settings, "alice", base)
    console.print(
        f"""
[bold]Tactful demo[/bold] on {base}   (OpenAPI document: {base}/openapi.json)
Operator API key: [bold]{key}[/bold]

Try:
  curl -s -H 'X-API-Key: {key}' '{base}/v1/subjects/alice/recommendations?k=5'
  curl -s -H 'X-API-Key: {key}' '{base}/v1/subjects/bob/recommendations?k=5'
  curl -s -H 'X-API-Key: {key}' '{base}/v1/subjects/alice/consents'
  curl -s -H 'X-API-Key: {key}' '{base}/v1/accounts/org-hospitality-01/recommendations?k=5'

Web pages:
  Operator Console (sign in with the key above): {base}/console
  alice's Privacy Center (the link her account page would hold; valid 24 hours):
    {alice}
  Another person's link: .venv/bin/tactful token SUBJECT --link
""",
        soft_wrap=True,
    )
    if serve:
        from tactful.cli.serving import run_server

        run_server(settings, settings.host, settings.port)
