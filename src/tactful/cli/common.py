"""What every CLI command shares: the consoles, the data-dir option, errors and settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tactful.audit.context import acting_as
from tactful.errors import InvalidInput, TactfulError
from tactful.settings import Settings, load_settings

if TYPE_CHECKING:
    from tactful.service import Tactful

console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $TACTFUL_DATA_DIR or ./var)."),
]


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return load_settings(**overrides)


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    )


def fail(exc: TactfulError) -> NoReturn:
    err_console.print(f"[red]error:[/red] {exc.detail}")
    if isinstance(exc, InvalidInput):
        for error in exc.errors[:50]:
            where = f"row {error.row}: " if error.row is not None else ""
            err_console.print(f"  - {where}{error.field}: {error.message}")
        if len(exc.errors) > 50:
            err_console.print(f"  ... and {len(exc.errors) - 50} more")
    raise typer.Exit(code=2)


@contextmanager
def open_service(data_dir: Path | None, **overrides: Any) -> Iterator[Tactful]:
    """The service for one command, acting as `cli` in the audit log; a TactfulError from
    opening or using it ends the command with its message (exit 2)."""
    from tactful.service import Tactful

    with acting_as("cli"):
        try:
            service = Tactful(settings_for(data_dir, **overrides))
        except TactfulError as exc:
            fail(exc)
        try:
            yield service
        except TactfulError as exc:
            fail(exc)
        finally:
            service.close()
