"""`tactful audit run|runs|show|acknowledge`: fairness audits from the shell.

`audit run` audits the decisions recorded over the policy's window (or `--window-days`), or
with `--offline PROTOCOL` a model's top-k on a public dataset's test split; it stores the
run, writes `audit-<id>.json` and `audit-<id>.html` into `--out` (default `var/audits`
under the current directory, as `tactful evaluate` writes `var/evaluations`) and prints the
key figures and every crossed check.

Exit codes: 0 no threshold crossed; 3 at least one crossed (an alert, also written to the
audit log and shown on the console until acknowledged); 2 bad input, with nothing stored
nor written. 3 rather than the 1 that `lint-copy` and `messages decide` use for a finding:
an audit is meant for cron, and 1 is also what any crash of the interpreter exits with, so
an alert must not look like a failure to run.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from tactful.audit.context import current_actor
from tactful.cli.common import DataDir, console, err_console, fail, open_service
from tactful.errors import FieldError, InvalidInput
from tactful.services.fairness import run_view
from tactful.storage.fairness_audits import AuditRun

ALERT = 3
DEFAULT_OUT = Path("var") / "audits"

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def add_commands(audit_app: typer.Typer) -> None:
    """Add the fairness audit commands to `tactful audit`."""
    audit_app.command("run")(run)
    audit_app.command("runs")(runs)
    audit_app.command("show")(show)
    audit_app.command("acknowledge")(acknowledge)


def run(
    window_days: Annotated[
        int | None,
        typer.Option(
            "--window-days", help="Audit the decisions of this many days (default: the policy's)."
        ),
    ] = None,
    offline: Annotated[
        str | None,
        typer.Option("--offline", help="Audit an evaluation protocol instead (e.g. msr-ml100k)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="The model an offline audit ranks with (ease).")
    ] = None,
    datasets: Annotated[
        Path | None,
        typer.Option("--datasets", help="Where an offline audit finds its dataset."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the JSON and HTML (var/audits).")
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Run a fairness audit; exit 0 when no threshold is crossed, 3 when any is, 2 on bad
    input."""
    folder = out if out is not None else DEFAULT_OUT
    _check_out(folder)
    with open_service(data_dir) as service:
        found = service.fairness.run(
            actor=current_actor(),
            window_days=window_days,
            offline=offline,
            datasets_dir=datasets,
            model=model,
        )
        page = service.fairness.report_html(found.audit_id)
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / f"audit-{found.audit_id}.json"
    html_path = folder / f"audit-{found.audit_id}.html"
    json_path.write_text(json.dumps(found.result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    html_path.write_text(page, "utf-8")
    if as_json:
        view = run_view(found, result=True) | {"files": [str(json_path), str(html_path)]}
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        _print_run(found)
        err_console.print(f"wrote {json_path} and {html_path}", markup=False, highlight=False)
    if found.alert:
        raise typer.Exit(code=ALERT)


def runs(
    limit: Annotated[int, typer.Option("--limit", help="How many runs (1-1000).")] = 20,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Fairness audit runs, newest first, with their alert and who acknowledged it."""
    with open_service(data_dir) as service:
        found = service.fairness.history(limit=limit)
    if as_json:
        typer.echo(json.dumps([run_view(r) for r in found], ensure_ascii=False, indent=2))
        return
    if not found:
        console.print("no fairness audits yet: run `tactful audit run`")
        return
    table = Table("started (UTC)", "source", "window", "lists", "alert", "by")
    # An id is copied from here into `show` and `acknowledge`: never broken over lines.
    table.columns.insert(0, Column("audit id", no_wrap=True, min_width=36))
    for r in found:
        alert = "-"
        if r.alert:
            alert = f"{len(r.crossed)} crossed, " + (
                f"acknowledged by {r.acknowledged_by}" if r.acknowledged_at else "OPEN"
            )
        table.add_row(
            r.audit_id,
            f"{r.started_at:%Y-%m-%d %H:%M}",
            escape(r.label if r.source == "offline" else r.source),
            _window(r),
            str(r.result.get("counts", {}).get("lists", "-")),
            alert,
            escape(r.triggered_by),
        )
    console.print(table)


def show(
    audit_id: Annotated[str, typer.Argument(help="The run's id.")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the run's HTML report to this file.")
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """One run's key figures and crossed checks (--json: all its figures)."""
    with open_service(data_dir) as service:
        found = service.fairness.get(audit_id)
        page = service.fairness.report_html(audit_id) if html is not None else None
    if html is not None and page is not None:
        try:
            html.write_text(page, "utf-8")
        except OSError as exc:
            fail(
                InvalidInput(
                    f"Cannot write {html}: {exc.strerror or exc}.",
                    [FieldError("html", "not a file that can be written")],
                )
            )
    if as_json:
        typer.echo(json.dumps(run_view(found, result=True), ensure_ascii=False, indent=2))
    else:
        _print_run(found)
        if html is not None:
            err_console.print(f"wrote {html}", markup=False, highlight=False)


def acknowledge(
    audit_id: Annotated[str, typer.Argument(help="The alerting run's id.")],
    note: Annotated[
        str | None, typer.Option("--note", help="What was found or done (audit-logged).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Acknowledge a run's alert: it leaves the console's flag (written to the audit log)."""
    with open_service(data_dir) as service:
        done = service.fairness.acknowledge(audit_id, current_actor(), note)
    console.print(
        f"acknowledged {done.audit_id} ({len(done.crossed)} crossed checks) "
        f"at {done.acknowledged_at:%Y-%m-%d %H:%M:%S} UTC",
        markup=False,
        highlight=False,
    )


# -- printing ----------------------------------------------------------------------------------
def _check_out(folder: Path) -> None:
    """Refuse an --out that cannot be written before any work, so nothing is stored for a
    run whose files could not be written (the folder itself is made after the run)."""
    if folder.exists():
        usable = folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    else:
        parent = next((p for p in folder.absolute().parents if p.exists()), None)
        usable = parent is not None and parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)
    if not usable:
        fail(
            InvalidInput(
                f"Cannot write the audit's files to {folder}.",
                [FieldError("out", "not a folder that can be written")],
            )
        )


def _window(run: AuditRun) -> str:
    if run.window_start is None or run.window_end is None:
        return "-"
    return f"{run.window_start:%Y-%m-%d} .. {run.window_end:%Y-%m-%d}"


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, float):
        return "-" if not math.isfinite(value) else f"{value:.4g}"
    return str(value)


def _print_run(run: AuditRun) -> None:
    result = run.result
    counts = result.get("counts", {})
    accuracy = result.get("accuracy", {})
    popularity = result.get("popularity", {})
    exposure = result.get("exposure", {})
    figures = Table("figure", "value", title=f"Fairness audit {run.audit_id}")
    rows: list[tuple[str, Any]] = [
        ("source", run.label if run.source == "offline" else run.source),
        ("window (UTC)", _window(run)),
        ("lists", counts.get("lists")),
        ("people", counts.get("people")),
        ("items", counts.get("items")),
        ("segments", counts.get("segments")),
        (f"ndcg@{exposure.get('k', '')}", accuracy.get("ndcg")),
        ("hit rate", accuracy.get("hit_rate")),
        ("catalog coverage", popularity.get("coverage")),
        ("long-tail share", popularity.get("long_tail_share")),
        ("exposure Gini", exposure.get("gini")),
        ("miscalibration", popularity.get("miscalibration")),
        ("seconds", run.seconds),
    ]
    for name, value in rows:
        figures.add_row(name, escape(_number(value)))
    console.print(figures)
    if not run.crossed:
        console.print("[green]no threshold crossed[/green]")
        return
    crossed = Table("check", "scope", "value", "threshold", title="Crossed thresholds")
    for check in run.crossed:
        bound = "≥" if check.get("bound") == "min" else "≤"
        crossed.add_row(
            escape(str(check.get("check"))),
            escape(str(check.get("scope"))),
            _number(check.get("value")),
            f"{bound} {_number(check.get('threshold'))}",
        )
    console.print(crossed)
    state = (
        f"acknowledged by {run.acknowledged_by}"
        if run.acknowledged_at is not None
        else "open until acknowledged (`tactful audit acknowledge ID`)"
    )
    console.print(f"[red]alert[/red]: {len(run.crossed)} threshold(s) crossed; {escape(state)}")
