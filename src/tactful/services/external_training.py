"""Training outside `Tactful.train`: Parquet exports of the consented data, and Spark.

`consented_interactions` reads exactly what `Tactful.train` reads (the same builder over
the same bulk reads), so an export or a Spark run can never see a signal that the
single-machine trainer would have left out. `usable_export` is the check made before an
export is trained on: an export is a snapshot, and consent moves on after it. The model
Spark trains is published through `Tactful.publish_model`, like every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tactful.candidates.als import ALSConfig
from tactful.candidates.base import Interactions
from tactful.errors import FieldError, InvalidInput
from tactful.storage.bulk import iter_event_columns, iter_subject_consents
from tactful.storage.repository import ModelVersion
from tactful.training.interactions import build_training_data
from tactful.training.parquet import MATRICES, Export, ExportInfo, open_export, stale_subjects
from tactful.training.parquet import write_export as write_parquet

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from tactful.service import Tactful

SIGNALS = "profiling signals allowed by each subject's consent"

# An export older than this is refused: consent changes are caught subject by subject
# (`stale_subjects`), but a single event removed since (rectification, retention) is not.
MAX_EXPORT_AGE = timedelta(hours=24)


def consented_interactions(service: Tactful, matrix: str = "personal") -> Interactions:
    """The matrix `Tactful.train` would fit today: `personal` (the profiling signals each
    subject's consent allows) or `aggregate` (signals some granted purpose still covers)."""
    if matrix not in MATRICES:
        raise InvalidInput("Unknown matrix.", [FieldError("matrix", "personal or aggregate")])
    with service.store.reading() as conn:
        catalog = service.catalog(conn, force=True)
        data = build_training_data(
            iter_subject_consents(conn), iter_event_columns(conn), catalog, service.purposes
        )
    if not catalog:
        raise InvalidInput("The catalog is empty; import items before training.")
    return data.personal if matrix == "personal" else data.aggregate


def export_interactions(service: Tactful, directory: Path, matrix: str = "personal") -> ExportInfo:
    """Write the consented `matrix` as a Parquet export in `directory` (new or empty)."""
    # The notice version is read first: a newer notice published meanwhile makes the
    # export look older than it is, never newer, so `usable_export` refuses it.
    notice_version = service.notice_version
    created_at = service.clock()
    data = consented_interactions(service, matrix)
    info = write_parquet(
        data, directory, matrix=matrix, notice_version=notice_version, created_at=created_at
    )
    # Pseudonymous interaction data leaves the store: the audit log says when, where and
    # how much, so a privacy officer can find every copy to delete.
    service.audit.record(
        "training.exported",
        detail={"directory": str(directory.resolve()), **info.as_dict()},
    )
    return info


def usable_export(
    service: Tactful, directory: Path, matrix: str = "personal"
) -> tuple[Export, npt.NDArray[np.int32]]:
    """The export in `directory` if it may still be trained on, and the rows to leave out.

    Refused: an export of another matrix, one made under an earlier privacy notice, or
    one older than `MAX_EXPORT_AGE`. Left out: every subject whose consent changed since
    the export, or who has been erased (`stale_subjects`).
    """
    export = open_export(directory)
    info = export.info
    if info.matrix != matrix:
        raise InvalidInput(f"{directory} holds the {info.matrix} matrix, not the {matrix} one.")
    if info.notice_version != service.notice_version:
        raise InvalidInput(
            f"{directory} was exported under privacy notice {info.notice_version}; notice "
            f"{service.notice_version} is in force now. Export again."
        )
    age = service.clock() - info.created_at
    if age > MAX_EXPORT_AGE or age < -timedelta(minutes=5):
        raise InvalidInput(
            f"{directory} was exported at {info.created_at:%Y-%m-%d %H:%M} UTC; an export "
            f"may be trained on for {MAX_EXPORT_AGE.total_seconds() / 3600:.0f} hours. "
            "Export again."
        )
    with service.store.reading() as conn:
        stale = stale_subjects(export, iter_subject_consents(conn))
    return export, stale


@dataclass(frozen=True)
class SparkSource:
    """What a Spark run trains on, checked before Spark starts: the consented matrix read
    from the store, or a usable export with the rows of its stale subjects to leave out."""

    data: Interactions | None = None
    export: Export | None = None
    leave_out: npt.NDArray[np.int32] | None = None


def spark_source(service: Tactful, parquet: Path | None = None) -> SparkSource:
    """The personal matrix from the store, or the export in `parquet` if still usable."""
    if parquet is None:
        return SparkSource(data=consented_interactions(service, "personal"))
    export, stale = usable_export(service, parquet, "personal")
    return SparkSource(export=export, leave_out=stale)


def train_als_on_spark(
    service: Tactful, spark: SparkSession, config: ALSConfig, source: SparkSource
) -> ModelVersion:
    """Train the `als` model on Spark from `source` and publish it as the version served.

    The store's matrix is handed to Spark through the driver; an export is read by Spark
    itself, its stale subjects' rows left out.
    """
    from tactful.training.spark_als import fit_on_spark, frame_from_export, frame_from_interactions

    details: dict[str, object]
    if source.export is not None:
        frame = frame_from_export(spark, source.export, source.leave_out)
        item_ids = source.export.item_ids
        details = {
            "source": "parquet",
            "exported_at": source.export.info.as_dict()["created_at"],
            "subjects_left_out": 0 if source.leave_out is None else len(source.leave_out),
        }
    elif source.data is not None:
        frame = frame_from_interactions(spark, source.data)
        item_ids = source.data.item_ids
        details = {"source": "store"}
    else:
        raise InvalidInput("Nothing to train on: give the store's data or an export.")
    fit = fit_on_spark(spark, frame, item_ids, config)
    trained_on = {**fit.trained_on, **details, "signals": SIGNALS, "tuning": None}
    return service.publish_model("als", fit.recommender, trained_on)
