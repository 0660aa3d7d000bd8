"""What every CLI command shares: the consoles, the data-dir option, errors and settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tactful.errors import InvalidInput, TactfulError
from tactful.settings import Settings, load_settings

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
