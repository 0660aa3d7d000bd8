"""(being written) `tactful audit run` and the other fairness audit commands."""

from __future__ import annotations

import typer


def add_commands(audit_app: typer.Typer) -> None:
    """Add the fairness audit commands to `tactful audit`."""
