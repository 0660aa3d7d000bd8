"""`tactful messages decide` and `tactful campaigns add|list`: messaging decisions from the
shell, for trying a campaign's copy against a person before the sending system does.

`messages decide` exits 0 for send, 1 for hold and 2 for bad input (as `lint-copy` does),
so a script can branch on it; the decision is recorded like one made over HTTP.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tactful.cli.common import DataDir, console, fail, open_service
from tactful.cli.copylint import _read
from tactful.errors import FieldError, InvalidInput, TactfulError

messages_app = typer.Typer(help="Messaging decisions: send or hold, with reasons.")
campaigns_app = typer.Typer(help="Campaigns messages belong to: add, list.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@messages_app.command("decide")
def decide(
    subject_id: Annotated[str, typer.Argument(help="The person to message.")],
    channel: Annotated[str, typer.Option(help="email, sms or push.")],
    campaign: Annotated[str, typer.Option(help="The campaign id (see `tactful campaigns`).")],
    copy_file: Annotated[
        str, typer.Option("--copy-file", help="A UTF-8 text file with the copy, or - for stdin.")
    ],
    stock: Annotated[
        int | None, typer.Option(help="Real units left (a scarcity claim is then fair).")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option(help="Real end of the offer, ISO 8601 with a zone.")
    ] = None,
    generated: Annotated[
        bool, typer.Option("--generated", help="The copy was written by an AI system.")
    ] = False,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Send or hold one message, printing each reason; exit 0 send, 1 hold, 2 bad input."""
    try:
        copy = _read(copy_file)
        ends = _deadline(deadline)
    except TactfulError as exc:
        fail(exc)
    with open_service(data_dir) as service:
        answer = service.messaging.decide(
            subject_id, channel, campaign, copy, stock=stock, deadline=ends, generated=generated
        )
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        _print_decision(answer)
    if answer["decision"] != "send":
        raise typer.Exit(code=1)


def _deadline(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            "Not a deadline.", [FieldError("deadline", "must be ISO 8601 with a zone")]
        )
    return moment


def _print_decision(answer: dict[str, Any]) -> None:
    colour = "green" if answer["decision"] == "send" else "yellow"
    console.print(
        f"[{colour}]{answer['decision']}[/{colour}] {answer['channel']} to "
        f"{escape(answer['subject_id'])} ({escape(answer['campaign_id'])}), "
        f"message {answer['message_id']}",
        highlight=False,
    )
    for check in answer["checks"]:
        if not check["passed"]:
            console.print(
                f"  - {escape(check['name'])}: {escape(check['detail'])}", highlight=False
            )
    for finding in answer["copy_findings"]:
        console.print(
            f"  copy: {escape(finding['pattern'])} {escape(repr(finding['text']))}: "
            f"{escape(finding['why'])}",
            highlight=False,
        )
    if answer.get("retry_after"):
        console.print(f"  retry after {answer['retry_after']}", highlight=False)
    for name, value in answer.get("headers", {}).items():
        console.print(f"  {name}: {escape(value)}", highlight=False)


@campaigns_app.command("add")
def add_campaign(
    campaign_id: Annotated[str, typer.Argument(help="The campaign id.")],
    title: Annotated[str, typer.Option(help="Its title, shown to people in their messages.")],
    category: Annotated[
        str | None,
        typer.Option(help="What it offers: a catalog category or a sensitive category code."),
    ] = None,
    profiled: Annotated[
        bool, typer.Option("--profiled", help="Its audience was chosen by profiling.")
    ] = False,
    as_json: AsJson = False,
    data_dir: DataDir = None,
) -> None:
    """Add a campaign (the same one again changes nothing)."""
    with open_service(data_dir) as service:
        view, created = service.messaging.add_campaign(campaign_id, title, category, profiled)
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        said = "added" if created else "already there"
        console.print(f"campaign {escape(campaign_id)} {said}", highlight=False)


@campaigns_app.command("list")
def list_campaigns(as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """Every campaign, oldest first."""
    with open_service(data_dir) as service:
        rows = service.messaging.campaigns()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        console.print("no campaigns")
        return
    table = Table("campaign", "title", "category", "profiled", "added")
    for c in rows:
        table.add_row(
            escape(c["campaign_id"]),
            escape(c["title"]),
            escape(c["category"] or "-"),
            "yes" if c["profiled"] else "no",
            c["created_at"][:16].replace("T", " "),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(messages_app, name="messages")
    app.add_typer(campaigns_app, name="campaigns")
