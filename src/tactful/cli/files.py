"""Reading ingestion files (JSON Lines or CSV) into raw rows for validation."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Literal

from tactful.errors import BatchRejected, FieldError, InvalidInput

FileFormat = Literal["jsonl", "csv"]
# CSV cells holding lists use this separator ("outdoor|running").
LIST_COLUMNS = frozenset({"tags", "sensitive"})
BOOL_COLUMNS = frozenset({"editorial"})


def guess_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise InvalidInput(f"Cannot tell the format of {path.name}; pass --format jsonl or csv.")


def read_rows(path: Path, fmt: FileFormat) -> list[Any]:
    if not path.is_file():
        raise InvalidInput(f"No such file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start}).") from None
    return _read_jsonl(text) if fmt == "jsonl" else _read_csv(text)


def _read_jsonl(text: str) -> list[Any]:
    rows: list[Any] = []
    errors: list[FieldError] = []
    for number, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(FieldError("(line)", f"line {number + 1}: malformed JSON: {exc.msg}"))
    if errors:
        raise BatchRejected("The file has malformed lines; nothing was stored.", errors)
    return rows


def _read_csv(text: str) -> list[Any]:
    reader = csv.DictReader(text.splitlines())
    rows: list[Any] = []
    for record in reader:
        row: dict[str, Any] = {}
        for key, value in record.items():
            if key is None or value is None or value == "":
                continue
            if key in LIST_COLUMNS:
                row[key] = [v for v in value.split("|") if v]
            elif key in BOOL_COLUMNS:
                row[key] = value.strip().lower() in ("1", "true", "yes")
            else:
                row[key] = value
        rows.append(row)
    return rows
