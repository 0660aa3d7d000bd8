"""`tactful keys`: create, list and revoke operator API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, err_console, open_service

keys_app = typer.Typer(help="Operator API keys: create (shown once), list, revoke.")


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Who or what will use the key.")],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            help="ingest, recommend, analyst, privacy-officer or admin; repeat for several.",
        ),
    ],
    expires_in_days: Annotated[
        int | None,
        typer.Option("--expires-in-days", min=1, max=3650, help="Days until it stops working."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a key. It is printed once, on standard output; only its hash is kept."""
    with open_service(data_dir) as service:
        expires_at = service.clock() + timedelta(days=expires_in_days) if expires_in_days else None
        text, record = service.keys.create(name, scope, expires_at)
    # The key alone on stdout, so that it can be piped into a secret store; the rest on
    # stderr.
    err_console.print(
        f"created key [bold]{record['key_id']}[/bold] ({record['name']}): "
        f"{', '.join(record['scopes'])}"
        + (f", expires {record['expires_at']}" if record["expires_at"] else "")
    )
    err_console.print("Store it now: it cannot be shown again.")
    print(text)


@keys_app.command("list")
def list_keys(data_dir: DataDir = None) -> None:
    """Every key with its scopes and status (never the key itself)."""
    with open_service(data_dir) as service:
        keys = service.keys.list()
    table = Table("key id", "name", "scopes", "status", "created", "expires", "last used")
    for k in keys:
        table.add_row(
            k["key_id"],
            k["name"],
            ", ".join(k["scopes"]),
            k["status"],
            (k["created_at"] or "settings")[:19],
            (k["expires_at"] or "-")[:19],
            (k["last_used_at"] or "-")[:19],
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `tactful keys list`).")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key: refused at once here, by running servers within seconds."""
    with open_service(data_dir) as service:
        record = service.keys.revoke(key_id)
    console.print(f"key [bold]{record['key_id']}[/bold] ({record['name']}) revoked")


def register(app: typer.Typer) -> None:
    """Add `tactful keys` to `app`."""
    app.add_typer(keys_app, name="keys")
