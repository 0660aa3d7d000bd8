"""`tactful report ethics`: the ethics report as a page to print, or its figures as JSON.

Acts as "cli" in the audit log, which records every report made and the period it covers.
Bad input (a period out of range, a file that cannot be written) ends with a readable
message and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tactful.cli.common import DataDir, err_console, open_service
from tactful.services.ethics import DEFAULT_WEEKS, MAX_WEEKS

report_app = typer.Typer(
    help="Reports for a regulator or an internal review.", no_args_is_help=True
)


@report_app.command("ethics")
def ethics(
    weeks: Annotated[
        int, typer.Option(help=f"Weeks covered, up to now (1-{MAX_WEEKS}).")
    ] = DEFAULT_WEEKS,
    out: Annotated[
        Path | None,
        typer.Option(
            help="File to write (default: <data dir>/reports/ethics-<date>.html; with --json, "
            "standard output)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The report's figures as JSON instead of a page.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """The ethics report: the latest fairness audit, consent rates per purpose week by week,
    rights requests and complaints with their handling times, guardrail activity and the
    recommenders' main parameters. Aggregates only."""
    with open_service(data_dir) as service:
        if out is None and not as_json:
            out = service.settings.data_dir / "reports" / f"ethics-{service.clock():%Y-%m-%d}.html"
        if out is not None:
            _writable(out)
        data, page = service.ethics.make(weeks, fmt="json" if as_json else "html")
    content = json.dumps(data, indent=2) + "\n" if page is None else page
    if out is None:
        typer.echo(content, nl=False)
        return
    try:
        out.write_text(content, encoding="utf-8")
    except OSError as exc:
        _refuse(f"cannot write {out}: {exc.strerror or exc}")
    period = data["period"]
    err_console.print(
        f"wrote {out} ({period['weeks']} weeks, {period['start'][:10]} to {period['end'][:10]})"
    )


def _writable(out: Path) -> None:
    """Refuse before any work when the file cannot be written where asked."""
    if out.is_dir():
        _refuse(f"--out {out} is a directory; give a file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _refuse(f"cannot create {out.parent}: {exc.strerror or exc}")


def _refuse(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    """Add `tactful report` to the command line."""
    app.add_typer(report_app, name="report")
