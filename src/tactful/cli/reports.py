"""(being written) `tactful report ethics`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `tactful report` to the command line."""
