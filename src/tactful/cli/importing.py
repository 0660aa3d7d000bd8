"""File and dataset imports, shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from rich.progress import Progress

from tactful.cli.files import FileFormat, guess_format, read_rows
from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.purposes import ANALYTICS_AGGREGATE, PERSONALIZATION_EXPLICIT
from tactful.errors import BatchRejected, FieldError, InvalidInput
from tactful.ingestion.batches import parse_rows
from tactful.ingestion.schemas import EventIn, ItemIn, SubjectIn
from tactful.service import IngestResult, Tactful
from tactful.settings import Settings

T = TypeVar("T")
SCHEMAS: dict[str, tuple[type[Any], str | None]] = {
    "items": (ItemIn, "item_id"),
    "subjects": (SubjectIn, "subject_id"),
    "events": (EventIn, None),
}


def _chunks(rows: Sequence[T], size: int) -> list[Sequence[T]]:
    return [rows[n : n + size] for n in range(0, len(rows), size)]


def import_file(settings: Settings, kind: str, path: Path, fmt: str | None) -> IngestResult:
    """Validate the whole file first, then store it in one transaction."""
    if fmt is not None and fmt not in ("jsonl", "csv"):
        raise InvalidInput(f"Unknown format {fmt!r}; use jsonl or csv.")
    rows = read_rows(path, cast(FileFormat, fmt) if fmt else guess_format(path))
    model, id_field = SCHEMAS[kind]
    parsed: list[Any] = []
    errors: list[FieldError] = []
    size = settings.max_batch_rows
    if not rows:
        raise BatchRejected(f"{path.name} holds no rows.", [FieldError(kind, "at least 1 row")])
    for offset, chunk in enumerate(_chunks(rows, size)):
        try:
            parsed += parse_rows(chunk, model, kind=kind, max_rows=size, id_field=id_field)
        except BatchRejected as exc:
            errors += [
                FieldError(e.field, e.message, None if e.row is None else e.row + offset * size)
                for e in exc.errors
            ]
    if id_field is not None:
        seen: dict[str, int] = {}
        for index, row in enumerate(parsed):
            key = getattr(row, id_field)
            if key in seen and seen[key] // size != index // size:
                errors.append(FieldError(id_field, f"duplicate id {key!r}", index))
            seen.setdefault(key, index)
    if errors:
        raise BatchRejected(
            f"{len({e.row for e in errors})} rows of {path.name} are invalid; nothing was stored.",
            errors,
        )
    service = Tactful(settings)
    try:
        domain = [row.to_domain() for row in parsed]
        if kind == "items":
            return service.add_items(domain)
        if kind == "subjects":
            return service.add_subjects(domain)
        return service.add_events(domain)
    finally:
        service.close()


def import_movielens(
    settings: Settings, path: Path, *, consent: bool, progress: Progress
) -> dict[str, Any]:
    from tactful.datasets.movielens import read_movielens

    with progress:
        task = progress.add_task("reading", total=4)
        data = read_movielens(path)
        progress.advance(task)
        service = Tactful(settings)
        try:
            progress.update(task, description="items")
            service.add_items(data.items)
            progress.advance(task)
            progress.update(task, description="subjects and consents")
            service.add_subjects(data.subjects)
            if consent:
                now = datetime.now(UTC)
                service.import_consents(
                    [
                        ConsentRecord(
                            s.subject_id,
                            purpose,
                            ConsentStatus.GRANTED,
                            service.notice_version,
                            ConsentMethod.IMPORT,
                            now,
                        )
                        for s in data.subjects
                        for purpose in (PERSONALIZATION_EXPLICIT, ANALYTICS_AGGREGATE)
                    ]
                )
            progress.advance(task)
            progress.update(task, description="ratings")
            result = service.add_events(data.events)
            progress.advance(task)
        finally:
            service.close()
    return {
        "dataset": data.name,
        "items": len(data.items),
        "subjects": len(data.subjects),
        "consent_recorded": consent,
        "events": result.as_dict(),
    }
