"""Turn a raw batch into validated rows, or reject the whole batch naming every bad row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tactful.errors import BatchRejected, FieldError

M = TypeVar("M", bound=BaseModel)


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(row)"


def check_size(rows: Sequence[Any], max_rows: int, kind: str) -> None:
    if not rows:
        raise BatchRejected(f"The {kind} batch is empty.", [FieldError(kind, "at least 1 row")])
    if len(rows) > max_rows:
        raise BatchRejected(
            f"The {kind} batch has {len(rows)} rows; the limit is {max_rows}.",
            [FieldError(kind, f"at most {max_rows} rows per batch")],
        )


def parse_rows(
    rows: Sequence[Any], model: type[M], *, kind: str, max_rows: int, id_field: str | None
) -> list[M]:
    """Validate every row; raise `BatchRejected` listing all problems, or return the rows."""
    check_size(rows, max_rows, kind)
    parsed: list[M] = []
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        try:
            row = model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                errors.append(FieldError(_location(err["loc"]), err["msg"], row=index))
            continue
        check = getattr(row, "check_shape", None)
        if check is not None:
            for field, message in check():
                errors.append(FieldError(field, message, row=index))
        if id_field is not None:
            key = str(getattr(row, id_field))
            if key in seen:
                errors.append(
                    FieldError(id_field, f"duplicate id {key!r}, first at row {seen[key]}", index)
                )
            else:
                seen[key] = index
        parsed.append(row)
    if errors:
        raise BatchRejected(
            f"{len({e.row for e in errors})} of {len(rows)} {kind} rows are invalid; "
            "nothing was stored.",
            errors,
        )
    return parsed


def reject_unknown(
    kind: str, field: str, refs: Sequence[tuple[int, str | None]], known: set[str]
) -> None:
    """Reject the batch if any row refers to an id that does not exist."""
    errors = [
        FieldError(field, f"unknown {field.removesuffix('_id')} {ref!r}", row=index)
        for index, ref in refs
        if ref is not None and ref not in known
    ]
    if errors:
        raise BatchRejected(
            f"{len(errors)} {kind} rows refer to unknown ids; nothing was stored.", errors
        )
