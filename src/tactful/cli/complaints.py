"""CLI commands for the complaint queue: list, show, assign, resolve, reject.

Each command acts as "cli" in the audit log; showing a complaint opens the person's text,
so it is written there as a read of their data.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, open_service

if TYPE_CHECKING:
    pass

complaints_app = typer.Typer(
    help="The complaint queue: list, show, assign, resolve or reject complaints.",
    no_args_is_help=True,
)

ComplaintId = Annotated[str, typer.Argument(help="The complaint id (a UUID).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _print_json(value: Any) -> None:
    console.print_json(json.dumps(value, default=str))


def _day(iso: str | None) -> str:
    return "-" if iso is None else iso[:16].replace("T", " ")


@complaints_app.command("list")
def list_complaints(
    status: Annotated[
        list[str] | None,
        typer.Option(help="Only this status: open, in_review, resolved, rejected (repeatable)."),
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past due.")] = False,
    owner: Annotated[str | None, typer.Option(help="Only those this person owns.")] = None,
    limit: Annotated[int, typer.Option(help="How many (1-100).")] = 50,
    after: Annotated[str | None, typer.Option(help="Continue after this cursor.")] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """The queue, soonest due first (the person's text is not shown here)."""
    with open_service(data_dir) as service:
        page = service.complaints.queue(
            status=status or (), overdue=overdue, owner=owner, limit=limit, after=after
        )
    if as_json:
        _print_json(page)
        return
    if not page["complaints"]:
        console.print("no complaints")
        return
    table = Table("complaint", "status", "due", "reason", "about", "owner", "subject")
    for c in page["complaints"]:
        due = _day(c["due_at"]) + (" [red]overdue[/red]" if c["overdue"] else "")
        table.add_row(
            c["complaint_id"],
            c["status"],
            due,
            c["reason"],
            c["about"]["kind"],
            c["owner"] or "-",
            c["subject_id"],
        )
    console.print(table)
    if page["next_after"]:
        console.print(f"more: --after {page['next_after']}")


@complaints_app.command("show")
def show_complaint(
    complaint_id: ComplaintId, as_json: AsJson = False, data_dir: DataDir = None
) -> None:
    """One complaint with the person's text (the read is written to the audit log)."""
    with open_service(data_dir) as service:
        found = service.complaints.get(complaint_id)
        service.audit.record(
            "personal_data.read", subject_id=found["subject_id"], detail={"what": "complaint"}
        )
    if as_json:
        _print_json(found)
        return
    _print_complaint(found)
    console.print("text:")
    console.print(found["text"] if found["text"] is not None else "  (none)", markup=False)


def _print_complaint(c: dict[str, Any]) -> None:
    about = c["about"]
    target = about["message_ref"] or " ".join(
        part for part in (about["decision_id"], about["item_id"]) if part
    )
    console.print(f"complaint [bold]{c['complaint_id']}[/bold]: {c['status']}")
    console.print(f"  subject:  {c['subject_id']}", markup=False)
    console.print(f"  about:    {about['kind']} {target}", markup=False)
    console.print(f"  reason:   {c['reason']}")
    console.print(f"  owner:    {c['owner'] or '-'}", markup=False)
    overdue = " (overdue)" if c["overdue"] else ""
    console.print(f"  filed:    {_day(c['created_at'])}; due {_day(c['due_at'])}{overdue}")
    if c["resolved_at"]:
        console.print(f"  closed:   {_day(c['resolved_at'])}")
        console.print(f"  answer:   {c['resolution']}", markup=False)


@complaints_app.command("assign")
def assign_complaint(
    complaint_id: ComplaintId,
    owner: Annotated[str, typer.Option(help="Who handles it.")],
    data_dir: DataDir = None,
) -> None:
    """Give a complaint an owner; it moves to in_review."""
    with open_service(data_dir) as service:
        changed = service.complaints.assign(complaint_id, owner)
    _print_complaint(changed)


@complaints_app.command("resolve")
def resolve_complaint(
    complaint_id: ComplaintId,
    resolution: Annotated[str, typer.Option(help="The answer the person will read.")],
    data_dir: DataDir = None,
) -> None:
    """Resolve a complaint with an answer (final)."""
    with open_service(data_dir) as service:
        changed = service.complaints.resolve(complaint_id, resolution)
    _print_complaint(changed)


@complaints_app.command("reject")
def reject_complaint(
    complaint_id: ComplaintId,
    reason: Annotated[str, typer.Option(help="Why it is not upheld; the person will read it.")],
    data_dir: DataDir = None,
) -> None:
    """Reject a complaint, saying why (final)."""
    with open_service(data_dir) as service:
        changed = service.complaints.reject(complaint_id, reason)
    _print_complaint(changed)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.add_typer(complaints_app, name="complaints")
