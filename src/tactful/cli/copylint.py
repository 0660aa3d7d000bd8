"""`tactful lint-copy`: the manipulative copy check on a text file, for writers and CI."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tactful.cli.common import console, fail
from tactful.errors import FieldError, InvalidInput, TactfulError
from tactful.guardrails.copy import Finding, check_copy


def _read(file: str) -> str:
    try:
        if file == "-":
            return sys.stdin.read()
        return Path(file).read_text("utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"Cannot read {file}: {exc.strerror or exc}.", [FieldError("file", "unreadable")]
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{file} is not UTF-8 text: {exc.reason}.", [FieldError("file", "not UTF-8")]
        ) from None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset, as editors count them."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def lint_copy(
    file: Annotated[str, typer.Argument(help="A text file with the copy, or - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Flag dark patterns in marketing copy; exit 0 if clean, 1 if findings, 2 on bad input."""
    try:
        text = _read(file)
        findings = check_copy(text)
    except TactfulError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps([_row(text, f) for f in findings], ensure_ascii=False, indent=2))
    else:
        for f in findings:
            line, col = _line_col(text, f.start)
            console.print(
                f"{line}:{col} [bold]{f.pattern.value}[/bold] "
                f"{escape(repr(f.text))}: {escape(f.why)}",
                highlight=False,
            )
        if not findings:
            console.print("[green]clean[/green]: no manipulative patterns found")
    if findings:
        raise typer.Exit(code=1)


def _row(text: str, finding: Finding) -> dict[str, object]:
    line, col = _line_col(text, finding.start)
    return {**finding.as_dict(), "line": line, "column": col}


def register(app: typer.Typer) -> None:
    app.command("lint-copy")(lint_copy)
