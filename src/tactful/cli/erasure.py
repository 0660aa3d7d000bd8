"""CLI commands for erasure and the rights-request register."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, open_service

requests_app = typer.Typer(help="Rights requests (access, rectification, erasure) and status.")


def erase(
    subject: str,
    data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Retrain the models now (default) or leave it to the running service.",
        ),
    ] = True,
) -> None:
    """Erase a subject: their key, every row about them, and (with --wait) the models'
    memory of them. Cannot be undone."""
    if not yes:
        typer.confirm(f"Erase everything held about {subject!r}? This cannot be undone", abort=True)
    with open_service(data_dir) as service:
        started = time.perf_counter()
        view = service.request_erasure(subject, via="cli", wait=wait)
        elapsed = time.perf_counter() - started
    console.print(f"erasure request [bold]{view['request_id']}[/bold]: {view['status']}")
    rows = view["detail"].get("rows_deleted", {})
    console.print(f"  rows deleted: {sum(rows.values())} ({_nonzero(rows)})")
    for model in view["detail"].get("models_retrained", []):
        console.print(f"  retrained {model['name']}: {model['version']}")
    if note := view["detail"].get("retraining_note"):
        console.print(f"  no retraining: {note}")
    console.print(f"  took {elapsed:.2f} s")


def readmit(subject: str, data_dir: DataDir = None) -> None:
    """Allow an erased subject's id to be imported again (recorded in the audit log)."""
    with open_service(data_dir) as service:
        removed = service.readmit(subject)
    console.print("readmitted" if removed else f"{subject!r} was not erased; nothing to do")


@requests_app.command("list")
def requests_list(
    data_dir: DataDir = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    kind: Annotated[str | None, typer.Option(help="access, rectification or erasure.")] = None,
    overdue: Annotated[bool, typer.Option(help="Only open requests past due.")] = False,
    limit: Annotated[int, typer.Option(help="How many (1-200).")] = 50,
) -> None:
    """List rights requests, newest first."""
    with open_service(data_dir) as service:
        page = service.rights_requests(status=status, kind=kind, overdue=overdue, limit=limit)
    table = Table("request", "kind", "status", "received", "due", "completed")
    for r in page["requests"]:
        due = r["due_at"][:10] + (" [red]overdue[/red]" if r["overdue"] else "")
        table.add_row(
            r["request_id"],
            r["kind"],
            r["status"],
            r["received_at"][:19],
            due,
            (r["completed_at"] or "")[:19],
        )
    console.print(table)


@requests_app.command("show")
def requests_show(request_id: str, data_dir: DataDir = None) -> None:
    """One request with its steps."""
    with open_service(data_dir) as service:
        view = service.rights_request(request_id)
    console.print_json(json.dumps(view))


@requests_app.command("process")
def requests_process(data_dir: DataDir = None) -> None:
    """Finish erasures left waiting (rows of a stopped process, then retraining)."""
    with open_service(data_dir) as service:
        done = service.process_erasures()
    console.print(f"{done} erasure requests completed")


def _nonzero(counts: dict[str, Any]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items() if n) or "none"


def register(app: typer.Typer) -> None:
    app.command("erase")(erase)
    app.command("readmit")(readmit)
    app.add_typer(requests_app, name="requests")
