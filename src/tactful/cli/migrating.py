"""`tactful migrate`: bring the store's schema to this version, once, before the servers start.

In production `tactful serve` never migrates: it refuses a store whose schema is behind and
names this command. `--check` answers whether migrations are pending (exit 1) without
applying them, for a deployment script or a readiness probe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from tactful.cli.common import DataDir, console, err_console, fail, settings_for
from tactful.errors import TactfulError
from tactful.settings import Settings
from tactful.storage.database import (
    PoolOptions,
    head_revision,
    make_engine,
    migrate,
    pending_migrations,
    schema_revision,
)
from tactful.storage.keyring import Keyring


def register(app: typer.Typer) -> None:
    @app.command("migrate")
    def migrate_command(
        data_dir: DataDir = None,
        check: Annotated[
            bool,
            typer.Option(
                "--check",
                help="Apply nothing: exit 1 and say which migrations are pending, 0 when the "
                "schema is current.",
            ),
        ] = False,
    ) -> None:
        """Apply the store's pending schema migrations (run once before starting servers)."""
        try:
            code = run_migrate(settings_for(data_dir), check=check)
        except TactfulError as exc:
            fail(exc)
        if code:
            raise typer.Exit(code=code)


def run_migrate(settings: Settings, *, check: bool = False) -> int:
    """Migrate (or with `check`, only compare); the exit code: 1 when `check` finds
    migrations pending, else 0. StoreUnavailable when the store cannot be reached."""
    url = settings.resolved_database_url
    where = _readable(url)
    engine = make_engine(url, PoolOptions.of(settings))
    try:
        if check:
            pending = pending_migrations(engine)
            current = schema_revision(engine) or "empty"
            if pending:
                err_console.print(
                    f"{where}: schema at {current}, this Tactful is at {head_revision()}; "
                    f"{len(pending)} migration(s) pending ({', '.join(pending)}). "
                    "Run `tactful migrate`.",
                    soft_wrap=True,  # one line, whatever the terminal: logs are grepped
                )
                return 1
            console.print(f"{where}: schema at {current}, current.", soft_wrap=True)
            return 0
        done = migrate(engine)
    finally:
        engine.dispose()
    # The keyring's one table, so that workers starting together find it made.
    Keyring.open(settings.resolved_keyring_url, PoolOptions.of(settings)).close()
    if done.changed:
        console.print(
            f"{where}: schema migrated from {done.before or 'empty'} to {done.after}.",
            soft_wrap=True,
        )
    else:
        console.print(f"{where}: schema at {done.after}, nothing to apply.", soft_wrap=True)
    return 0


def _readable(url: str) -> str:
    """The store as an operator recognises it, never with its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {Path(parsed.database or ':memory:')}"
    return parsed.render_as_string(hide_password=True)
