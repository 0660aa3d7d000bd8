"""CLI commands for the audit log: verify the chain, list entries, sign a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tactful.audit.chain import AuditAction
from tactful.cli import fairness
from tactful.cli.common import DataDir, console, err_console, open_service
from tactful.errors import FieldError, InvalidInput

if TYPE_CHECKING:
    pass

TAMPERED = 2

audit_app = typer.Typer(
    help="The tamper-evident audit log (verify, list, checkpoint) and fairness audits (run)."
)


@audit_app.command("verify")
def verify(
    data_dir: DataDir = None,
    jwks: Annotated[
        Path | None,
        typer.Option(help="Check checkpoints against this JWKS file (default: the local key)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check every entry, checkpoint and the head; exit 0 if intact, 2 if tampered with."""
    with open_service(data_dir) as service:
        keys = _read_jwks(jwks) if jwks is not None else None
        report = service.audit.verify(keys)
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
    elif report.ok:
        console.print(
            f"[green]intact[/green]: {report.entries} entries and "
            f"{report.checkpoints} signed checkpoints verified"
        )
    else:
        err_console.print(
            f"[red]tampered[/red]: {len(report.problems)} problem(s) in {report.entries} entries "
            f"and {report.checkpoints} checkpoints; first bad seq {report.first_bad_seq}"
        )
        for problem in report.problems:
            err_console.print(
                f"  seq {problem.seq}: {problem.kind.value} - {escape(problem.message)}"
            )
    if not report.ok:
        raise typer.Exit(code=TAMPERED)


def _read_jwks(path: Path) -> dict[str, object]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvalidInput(
            f"Cannot read {path}: {exc.strerror or exc}.", [FieldError("jwks", "unreadable")]
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}.", [FieldError("jwks", str(exc))]) from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{path} is not a JWKS.", [FieldError("jwks", "not a JSON object")])
    return document


@audit_app.command("log")
def log(
    data_dir: DataDir = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only entries about this subject id.")
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action", help=f"Only this action ({', '.join(a.value for a in AuditAction)})."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many entries (1-1000).")] = 50,
    before: Annotated[
        int | None, typer.Option("--before", help="Entries before this seq (next page).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """Entries newest first; a subject id is matched by its fingerprint, never stored."""
    with open_service(data_dir) as service:
        entries = service.audit.entries(
            subject_id=subject, action=action, limit=limit, before=before
        )
    if as_json:
        console.print_json(json.dumps([e.as_dict() for e in entries]))
        return
    if not entries:
        console.print("no entries")
        return
    table = Table("seq", "at (UTC)", "actor")
    table.add_column("action", no_wrap=True)
    table.add_column("subject")
    table.add_column("detail")
    for e in entries:
        table.add_row(
            str(e.seq),
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            escape(e.actor),
            e.action,
            e.subject_ref[:12] if e.subject_ref else "-",
            escape(json.dumps(dict(e.detail), sort_keys=True)),
        )
    console.print(table)
    if len(entries) == limit:
        console.print(f"more: --before {entries[-1].seq}")


@audit_app.command("checkpoint")
def checkpoint(data_dir: DataDir = None) -> None:
    """Sign a checkpoint of the chain now (over an entry saying who asked)."""
    with open_service(data_dir) as service:
        made = service.audit.checkpoint()
    console.print(f"signed checkpoint at seq {made.seq}: {made.hash}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`, with the fairness audit commands."""
    fairness.add_commands(audit_app)
    app.add_typer(audit_app, name="audit")
