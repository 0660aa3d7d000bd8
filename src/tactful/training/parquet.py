"""The consented training data as Parquet, for trainers that run beyond one machine.

An export is a directory of three files, written from the very `Interactions` a training
run would fit (`build_training_data`: only what each subject's consent allows today):

    interactions.parquet   subject (int32), item (int32), weight (float32): one row per
                           (subject, item) cell, sorted by subject then item
    subjects.parquet       index (int32), id (string): the subject of each row index
    items.parquet          index (int32), id (string): the item of each column index

so an id is stored once, not once per interaction. Every file carries the same metadata
under the Parquet key `tactful.export`: the format, which matrix (personal or aggregate),
the privacy notice version in force and the time of the export, and the three counts.

The files hold personal data (pseudonymous subject ids and what they did), so the
directory is made readable by its owner only, and an export is a snapshot: a consent
changed after it was made is not in it (`stale_subjects` says whose rows to leave out).

Pure apart from pyarrow: nothing here reads the store.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from scipy import sparse

from tactful.candidates.base import Interactions
from tactful.errors import FieldError, InvalidInput
from tactful.training.columns import SubjectConsents

FORMAT = "tactful-interactions/1"
MATRICES = ("personal", "aggregate")
METADATA_KEY = b"tactful.export"
INTERACTIONS = "interactions.parquet"
SUBJECTS = "subjects.parquet"
ITEMS = "items.parquet"

INTERACTION_SCHEMA = pa.schema(
    [
        pa.field("subject", pa.int32(), nullable=False),
        pa.field("item", pa.int32(), nullable=False),
        pa.field("weight", pa.float32(), nullable=False),
    ]
)
ID_SCHEMA = pa.schema(
    [pa.field("index", pa.int32(), nullable=False), pa.field("id", pa.string(), nullable=False)]
)


@dataclass(frozen=True)
class ExportInfo:
    """What an export holds and where it came from (the metadata of each of its files)."""

    matrix: str
    notice_version: str
    created_at: datetime
    subjects: int
    items: int
    interactions: int
    format: str = FORMAT

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["created_at"] = self.created_at.astimezone(UTC).isoformat()
        return out

    @classmethod
    def from_dict(cls, raw: Any, where: str) -> ExportInfo:
        fields = ("matrix", "notice_version", "created_at", "subjects", "items", "interactions")
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise InvalidInput(f"{where} is not a Tactful interactions export ({FORMAT}).")
        missing = [FieldError(f, "missing") for f in fields if f not in raw]
        if missing:
            raise InvalidInput(f"The export metadata of {where} is incomplete.", missing)
        try:
            created = datetime.fromisoformat(str(raw["created_at"]))
            counts = [int(raw[f]) for f in ("subjects", "items", "interactions")]
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"The export metadata of {where} is malformed: {exc}") from None
        if created.tzinfo is None or raw["matrix"] not in MATRICES or min(counts) < 0:
            raise InvalidInput(f"The export metadata of {where} is malformed.")
        subjects, items, interactions = counts
        return cls(
            matrix=str(raw["matrix"]),
            notice_version=str(raw["notice_version"]),
            created_at=created,
            subjects=subjects,
            items=items,
            interactions=interactions,
        )


@dataclass(frozen=True)
class Export:
    """An export's metadata and id lists, checked; the interactions stay on disk."""

    directory: Path
    info: ExportInfo
    subject_ids: npt.NDArray[np.str_]
    item_ids: npt.NDArray[np.str_]

    @property
    def interactions_path(self) -> Path:
        return self.directory / INTERACTIONS


def write_export(
    data: Interactions,
    directory: Path,
    *,
    matrix: str,
    notice_version: str,
    created_at: datetime,
) -> ExportInfo:
    """Write `data` as an export in `directory`, which must not exist yet or be empty.

    The files are written in a sibling directory first and moved into place at the end,
    so a failed export leaves no half-written directory behind.
    """
    if matrix not in MATRICES:
        raise InvalidInput("Unknown matrix.", [FieldError("matrix", "personal or aggregate")])
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InvalidInput(f"{directory} already exists and is not an empty directory.")
    if created_at.tzinfo is None:
        raise InvalidInput("The export time must be timezone-aware.")
    cells = sparse.coo_array(sparse.csr_array(data.matrix))
    order = np.lexsort((cells.col, cells.row))
    info = ExportInfo(
        matrix=matrix,
        notice_version=notice_version,
        created_at=created_at.astimezone(UTC),
        subjects=len(data.subject_ids),
        items=data.n_items,
        interactions=int(cells.nnz),
    )
    metadata = {METADATA_KEY: json.dumps(info.as_dict(), sort_keys=True).encode()}
    tables = {
        INTERACTIONS: pa.Table.from_arrays(
            [
                pa.array(cells.row[order].astype(np.int32)),
                pa.array(cells.col[order].astype(np.int32)),
                pa.array(cells.data[order].astype(np.float32)),
            ],
            schema=INTERACTION_SCHEMA.with_metadata(metadata),
        ),
        SUBJECTS: _id_table(data.subject_ids, metadata),
        ITEMS: _id_table(data.item_ids, metadata),
    }
    parent = directory.absolute().parent
    partial = parent / f".{directory.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        partial.mkdir(mode=0o700, parents=False)
        for name, table in tables.items():
            pq.write_table(table, partial / name)
            (partial / name).chmod(0o600)
        if directory.exists():
            directory.rmdir()
        os.replace(partial, directory)
    except OSError as exc:
        raise InvalidInput(
            f"Cannot write the export to {directory}: {exc.strerror or exc}"
        ) from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return info


def _id_table(ids: npt.NDArray[np.str_], metadata: dict[bytes, bytes]) -> pa.Table:
    return pa.Table.from_arrays(
        [pa.array(np.arange(len(ids), dtype=np.int32)), pa.array(ids.tolist(), pa.string())],
        schema=ID_SCHEMA.with_metadata(metadata),
    )


def open_export(directory: Path) -> Export:
    """The export in `directory`: its metadata and id lists, checked for consistency.

    Reads the schema of the interactions file, not its rows (a trainer reads those).
    """
    if not directory.is_dir():
        raise InvalidInput(f"{directory} is not a directory holding an interactions export.")
    info = _info(directory / INTERACTIONS, INTERACTION_SCHEMA)
    subjects = _ids(directory / SUBJECTS, info, info.subjects)
    items = _ids(directory / ITEMS, info, info.items)
    return Export(directory, info, subjects, items)


def read_export(directory: Path) -> tuple[Interactions, ExportInfo]:
    """The whole export back as the `Interactions` it was written from, checked."""
    export = open_export(directory)
    table = _read(export.interactions_path, INTERACTION_SCHEMA)
    rows, cols, weights = (table.column(n).to_numpy() for n in ("subject", "item", "weight"))
    info = export.info
    if len(rows) != info.interactions:
        raise InvalidInput(f"{INTERACTIONS} holds {len(rows)} rows; its metadata says otherwise.")
    if len(rows) and (
        rows.min() < 0 or rows.max() >= info.subjects or cols.min() < 0 or cols.max() >= info.items
    ):
        raise InvalidInput(f"{INTERACTIONS} has a subject or item index outside its id lists.")
    if not np.all(np.isfinite(weights)):
        raise InvalidInput(f"{INTERACTIONS} has a weight that is not a finite number.")
    matrix = sparse.csr_array(
        (weights, (rows.astype(np.int64), cols.astype(np.int64))),
        shape=(info.subjects, info.items),
        dtype=np.float32,
    )
    if matrix.nnz != len(rows):
        raise InvalidInput(f"{INTERACTIONS} names a (subject, item) cell more than once.")
    matrix.sort_indices()
    return Interactions(export.subject_ids, export.item_ids, matrix), info


def stale_subjects(export: Export, ledgers: Iterable[SubjectConsents]) -> npt.NDArray[np.int32]:
    """Row indices of the exported subjects whose rows may no longer be used.

    `ledgers` is every subject's consent ledger as the store holds it now. A subject who
    made any consent choice after the export was made (a withdrawal among them), or who no
    longer has a ledger at all (erased), is stale: their rows are left out, whatever the
    change was, until the next export judges them afresh.
    """
    since = export.info.created_at
    current: set[str] = set()
    changed: set[str] = set()
    for subject in ledgers:
        current.add(subject.subject_id)
        if any(record.recorded_at > since for record in subject.records):
            changed.add(subject.subject_id)
    stale = [
        n for n, s in enumerate(export.subject_ids.tolist()) if s in changed or s not in current
    ]
    return np.array(stale, dtype=np.int32)


def _read(path: Path, schema: pa.Schema) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InvalidInput(f"Cannot read {path} as Parquet: {exc}") from None
    _check_schema(path, table.schema, schema)
    return table


def _info(path: Path, schema: pa.Schema) -> ExportInfo:
    if not path.is_file():
        raise InvalidInput(f"The export has no {path.name} (looked in {path.parent}).")
    try:
        found = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise InvalidInput(f"Cannot read {path} as Parquet: {exc}") from None
    _check_schema(path, found, schema)
    raw = (found.metadata or {}).get(METADATA_KEY)
    try:
        parsed = json.loads(raw) if raw is not None else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        parsed = None
    return ExportInfo.from_dict(parsed, path.name)


def _ids(path: Path, info: ExportInfo, count: int) -> npt.NDArray[np.str_]:
    if _info(path, ID_SCHEMA) != info:
        raise InvalidInput(f"{path.name} belongs to another export than {INTERACTIONS}.")
    table = _read(path, ID_SCHEMA)
    index = table.column("index").to_numpy()
    ids = np.array(table.column("id").to_pylist(), dtype=np.str_)
    if len(ids) != count or not np.array_equal(index, np.arange(count)):
        raise InvalidInput(f"{path.name} does not list indices 0 to {count - 1} in order.")
    if len(np.unique(ids)) != len(ids):
        raise InvalidInput(f"{path.name} lists an id more than once.")
    return ids


def _check_schema(path: Path, found: pa.Schema, wanted: pa.Schema) -> None:
    got = [(f.name, f.type) for f in found]
    want = [(f.name, f.type) for f in wanted]
    if got != want:
        columns = ", ".join(f"{name} ({kind})" for name, kind in want)
        raise InvalidInput(f"{path.name} must have the columns {columns}.")
