"""CLI commands for a person's protections, run by an operator at the person's request:
show them, add or extend a self-exclusion, set or clear the vulnerability flag.

There is no lift here: only the person lifts a self-exclusion (`POST /v1/me/...`). Each
command acts as "cli" in the audit log; showing is written there as a read of their data.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, open_service
from tactful.services.protections import MAX_DAYS, MIN_DAYS

protections_app = typer.Typer(
    help="A person's protections: self-exclusions from categories and the vulnerability flag.",
    no_args_is_help=True,
)

Subject = Annotated[str, typer.Argument(help="The subject id.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _day(iso: str | None) -> str:
    return "no end" if iso is None else iso[:16].replace("T", " ") + " UTC"


def _print(view: dict[str, Any], subject_id: str) -> None:
    if "outcome" in view:
        console.print(f"{view['outcome']}", markup=False)
    console.print(f"protections of {subject_id}", markup=False)
    if view["self_exclusions"]:
        table = Table("category", "status", "since", "ends", "lift asked")
        for x in view["self_exclusions"]:
            asked = "-" if x["lift_requested_at"] is None else _day(x["lift_requested_at"])
            table.add_row(
                f"{x['category']} ({x['title']})",
                x["status"],
                _day(x["since"]),
                _day(x["ends_at"]),
                asked,
            )
        console.print(table)
    else:
        console.print("  no self-exclusions")
    if view["vulnerable"]:
        kept = ", ".join(c["category"] for c in view["harm_prone"]) or "nothing"
        console.print(f"  vulnerable since {_day(view['vulnerable_since'])}: keeps away {kept}")
    else:
        console.print("  not flagged vulnerable")
    allowed = ", ".join(c["category"] for c in view["self_excludable"]) or "none"
    console.print(f"  self-excludable: {allowed}")


def _out(view: dict[str, Any], subject_id: str, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(view))
    else:
        _print(view, subject_id)


@protections_app.command("show")
def show(subject_id: Subject, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """The person's protections (the read is written to the audit log)."""
    with open_service(data_dir) as service:
        view = service.protections.of(subject_id)
        service.audit.record(
            "personal_data.read", subject_id=subject_id, detail={"what": "protections"}
        )
    _out(view, subject_id, as_json)


@protections_app.command("self-exclude")
def self_exclude(
    subject_id: Subject,
    category: Annotated[str, typer.Argument(help="A self-excludable category, e.g. gambling.")],
    days: Annotated[
        int | None,
        typer.Option(
            min=MIN_DAYS,
            max=MAX_DAYS,
            help="How many days; absent: no end (only the person can lift it, after the "
            "cooling-off days).",
        ),
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Exclude the person from a category at their request; one in force is extended,
    never shortened."""
    with open_service(data_dir) as service:
        view = service.protections.self_exclude(subject_id, category, days)
    _out(view, subject_id, as_json)


@protections_app.command("vulnerable")
def vulnerable(
    subject_id: Subject,
    flag: Annotated[bool, typer.Option("--on/--off", help="Set the flag, or clear it (at once).")],
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Set or clear the person's vulnerability flag at their request."""
    with open_service(data_dir) as service:
        view = service.protections.set_vulnerable(subject_id, flag)
    _out(view, subject_id, as_json)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.add_typer(protections_app, name="protections")
