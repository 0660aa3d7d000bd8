"""CLI commands of the account level: import accounts and their events, decide, erase."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, open_service, settings_for
from tactful.cli.files import FileFormat, guess_format, read_rows
from tactful.errors import BatchRejected, FieldError, InvalidInput
from tactful.ingestion.accounts import AccountEventIn, AccountIn, parse_account_rows

Format = Annotated[str | None, typer.Option("--format", help="jsonl or csv")]


def _parse_file(path: Path, fmt: str | None, kind: str, data_dir: Path | None) -> list[Any]:
    """Every row validated (in batches of TACTFUL_MAX_BATCH_ROWS), or all problems at once."""
    if fmt is not None and fmt not in ("jsonl", "csv"):
        raise InvalidInput(f"Unknown format {fmt!r}; use jsonl or csv.")
    rows = read_rows(path, cast(FileFormat, fmt) if fmt else guess_format(path))
    if not rows:
        raise BatchRejected(f"{path.name} holds no rows.", [FieldError(kind, "at least 1 row")])
    size = settings_for(data_dir).max_batch_rows
    model = AccountIn if kind == "accounts" else AccountEventIn
    id_field = "account_id" if kind == "accounts" else None
    parsed: list[Any] = []
    errors: list[FieldError] = []
    detail = ""
    for offset in range(0, len(rows), size):
        try:
            parsed += parse_account_rows(
                rows[offset : offset + size], model, kind=kind, max_rows=size, id_field=id_field
            )
        except BatchRejected as exc:
            detail = detail or exc.detail
            errors += [
                FieldError(e.field, e.message, None if e.row is None else e.row + offset)
                for e in exc.errors
            ]
    if id_field is not None:
        seen: set[str] = set()
        for index, row in enumerate(parsed):
            if row.account_id in seen:
                errors.append(FieldError(id_field, f"duplicate id {row.account_id!r}", index))
            seen.add(row.account_id)
    if errors:
        raise BatchRejected(
            f"{len({e.row for e in errors})} rows of {path.name} are invalid; nothing was "
            f"stored. {detail}".strip(),
            errors,
        )
    return [row.to_domain() for row in parsed]


def import_accounts(path: Path, data_dir: DataDir = None, fmt: Format = None) -> None:
    """Import business accounts: account_id, industry, size_band, country (atomic; a
    person's field such as email or subject_id is refused)."""
    with open_service(data_dir) as service:
        batch = _parse_file(path, fmt, "accounts", data_dir)
        result = service.accounts.add_accounts(batch)
    console.print_json(json.dumps(result))


def import_account_events(path: Path, data_dir: DataDir = None, fmt: Format = None) -> None:
    """Import account events: account_id, item_id, event_type, timestamp, quantity."""
    with open_service(data_dir) as service:
        events = _parse_file(path, fmt, "account events", data_dir)
        result = service.accounts.add_events(events)
    console.print_json(json.dumps(result))


def recommend_account(
    account: str,
    data_dir: DataDir = None,
    k: Annotated[int, typer.Option(help="How many items.")] = 10,
    surface: Annotated[
        str | None, typer.Option(help="An account surface (default: the first configured).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision record.")] = False,
) -> None:
    """Decide what to show the business ACCOUNT on an account surface, and say why."""
    with open_service(data_dir) as service:
        record = service.accounts.recommend(account, k=k, surface=surface)
    if as_json:
        console.print_json(json.dumps(record))
        return
    segment = record["segment"]
    console.print(
        f"[bold]{account}[/bold] on {record['surface']}: level account, from "
        f"{'its history' if record['personalized'] else 'organisations like it'} "
        f"(industry {segment['industry'] or 'unknown'}, size {segment['size_band'] or 'unknown'})"
    )
    console.print(f"model {record['model']['version']}; no person's data used")
    table = Table("#", "item", "category", "why")
    for item in record["items"]:
        table.add_row(
            str(item["rank"]), item["title"], item["category"], item["explanation"]["reason"]
        )
    console.print(table)
    console.print(f"decision {record['decision_id']}")


def erase_account(
    account: str,
    data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete ACCOUNT, its events and decision records; retrain the account models."""
    if not yes:
        typer.confirm(f"Delete everything held about account {account!r}?", abort=True)
    with open_service(data_dir) as service:
        result = service.accounts.erase(account)
    console.print_json(json.dumps(result))


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    import_app.command("accounts")(import_accounts)
    import_app.command("account-events")(import_account_events)
    app.command("recommend-account")(recommend_account)
    app.command("erase-account")(erase_account)
