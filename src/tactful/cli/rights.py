"""CLI commands for access and rectification: export, rectify, forget-events.

Each runs as `cli` in the audit log and is registered as a completed rights request, as the
same action over HTTP would be.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, err_console, fail, open_service
from tactful.errors import FieldError, InvalidInput
from tactful.services.export import FORMATS, export_subject, render_export_html
from tactful.services.rectification import (
    ATTRIBUTE_FIELDS,
    IDENTITY_FIELDS,
    correct_profile,
    remove_events,
    remove_events_by_item,
)


def export(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    fmt: Annotated[str, typer.Option("--format", help="json or html.")] = "json",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (mode 600) instead of stdout."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Export everything held about a subject (GDPR Art. 15 and 20) as JSON or a page."""
    if fmt not in FORMATS:
        fail(InvalidInput("Unknown format.", [FieldError("format", "must be json or html")]))
    out = _open_output(output) if output is not None else None
    try:
        with open_service(data_dir) as service:
            made = export_subject(service, subject, format=fmt, via="cli")
    except BaseException:
        if out is not None and output is not None:
            out.close()
            output.unlink(missing_ok=True)
        raise
    text = render_export_html(made) if fmt == "html" else json.dumps(made, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    with out:
        out.write(text)
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in made["counts"].items())
    err_console.print(f"wrote the export of {subject!r} to {output} ({counts})")


def _open_output(path: Path) -> Any:
    """The file, created for its owner only: it holds a person's data."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        fail(
            InvalidInput(
                f"Cannot write {path}: {exc.strerror or exc}.", [FieldError("output", "unwritable")]
            )
        )
    return os.fdopen(fd, "w", encoding="utf-8")


def rectify(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="field=value (repeatable).", show_default=False),
    ] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", help="A field to clear (repeatable).", show_default=False),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Correct a subject's profile (GDPR Art. 16). Fields: age_band, region, gender,
    occupation, email, name, phone. Nothing is changed if any value is invalid."""
    changes = _changes(set_ or [], clear or [])
    with open_service(data_dir) as service:
        profile = correct_profile(service, subject, changes, via="cli")
    console.print(f"corrected {', '.join(sorted(changes))} of {subject!r}")
    table = Table("field", "value")
    identity = profile["identity"] or {}
    for name in ATTRIBUTE_FIELDS:
        table.add_row(name, _shown(profile["attributes"].get(name)))
    for name in IDENTITY_FIELDS:
        table.add_row(name, _shown(identity.get(name)))
    console.print(table)


def _changes(sets: list[str], clears: list[str]) -> dict[str, str | None]:
    errors: list[FieldError] = []
    changes: dict[str, str | None] = {}
    for n, pair in enumerate(sets):
        name, eq, value = pair.partition("=")
        name = name.strip()
        if not eq or not name:
            errors.append(FieldError(f"--set {n + 1}", f"{pair!r} is not field=value"))
        elif name in changes:
            errors.append(FieldError(name, "given more than once"))
        else:
            changes[name] = value
    for name in clears:
        if name in changes:
            errors.append(FieldError(name, "both set and cleared"))
        changes[name] = None
    if not changes and not errors:
        errors.append(FieldError("--set", "give at least one --set field=value or --clear field"))
    if errors:
        fail(InvalidInput("The correction is invalid; nothing was changed.", errors))
    return changes


def _shown(value: Any) -> str:
    return "-" if value is None else str(value)


def forget_events(
    subject: Annotated[str, typer.Argument(help="The subject id.")],
    event_ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="Ids of the subject's events (see `tactful export`).", show_default=False
        ),
    ] = None,
    item: Annotated[
        str | None, typer.Option("--item", help="Forget every event about this item instead.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Remove events from a subject's history: all of them, or none if any id is not theirs.
    The next decision no longer uses them."""
    ids = event_ids or []
    if bool(ids) == (item is not None):
        fail(InvalidInput("Give event ids or --item, not both and not neither."))
    parsed = _ints(ids)
    with open_service(data_dir) as service:
        if item is not None:
            done = remove_events_by_item(service, subject, item, via="cli")
        else:
            done = remove_events(service, subject, parsed, via="cli")
    console.print(
        f"removed {done['removed']} events from the history of {subject!r} "
        f"(request {done['request_id']}); {done['effective']}"
    )


def _ints(values: list[str]) -> list[int]:
    errors = [
        FieldError(f"event_ids.{n}", f"{v!r} is not an event id")
        for n, v in enumerate(values)
        if not (v.isascii() and v.isdigit())
    ]
    if errors:
        fail(InvalidInput("Event ids are whole numbers; nothing was removed.", errors))
    return [int(v) for v in values]


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("rectify")(rectify)
    app.command("forget-events")(forget_events)
