"""`tactful export-interactions` and `tactful train --engine spark`.

The export writes the consented training data as Parquet for trainers beyond one machine;
`train --engine spark` trains the ALS model on Apache Spark, from the store or from such an
export, and publishes it like any other training run. Both act as `cli` in the audit log;
bad input, a missing Java runtime or a failed Spark job end with a message and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, err_console, fail, open_service
from tactful.errors import FieldError, InvalidInput

ENGINES = ("local", "spark")


def export_interactions(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            help="Directory to write (new or empty): interactions, subjects and items as "
            "Parquet, readable by its owner only.",
        ),
    ],
    matrix: Annotated[
        str,
        typer.Option(
            help="personal (what ALS and the other personal models learn from) or aggregate "
            "(what popularity counts)."
        ),
    ] = "personal",
    data_dir: DataDir = None,
) -> None:
    """Export the consented training data as Parquet: exactly what `tactful train` would
    learn from today, nothing any consent leaves out."""
    from tactful.services.external_training import export_interactions as export

    with open_service(data_dir) as service:
        info = export(service, parquet, matrix)
    console.print_json(json.dumps({"directory": str(parquet), **info.as_dict()}))


def train_with_engine(
    data_dir: Path | None,
    *,
    engine: str,
    models: list[str] | None,
    configs: dict[str, Any] | None,
    tune: bool,
    parquet: Path | None,
    master: str | None,
) -> None:
    """`tactful train` with an engine other than this process (or with Spark's options)."""
    from tactful.candidates.als import ALSConfig
    from tactful.candidates.registry import build

    errors = []
    if engine not in ENGINES:
        errors.append(FieldError("engine", "local or spark"))
    elif engine == "local":
        errors += [
            FieldError(name, "only with --engine spark")
            for name, given in (("parquet", parquet), ("master", master))
            if given is not None
        ]
    else:
        if models and models != ["als"]:
            errors.append(FieldError("model", "Spark trains the als model only"))
        if tune:
            errors.append(FieldError("tune", "not available on Spark"))
        if configs and set(configs) != {"als"}:
            errors.append(FieldError("config", "Spark takes a config for als only"))
    if errors:
        fail(InvalidInput("These options do not go together.", errors))
    try:
        config = build("als", (configs or {}).get("als")).config
    except InvalidInput as exc:
        fail(exc)
    assert isinstance(config, ALSConfig)
    _train_on_spark(data_dir, config, parquet, master)


def _train_on_spark(
    data_dir: Path | None, config: Any, parquet: Path | None, master: str | None
) -> None:
    from tactful.services.external_training import spark_source, train_als_on_spark
    from tactful.training.spark_als import DEFAULT_MASTER, spark_errors, start_spark

    with open_service(data_dir) as service:
        with err_console.status("reading consented signals" if parquet is None else "checking"):
            source = spark_source(service, parquet)
        with err_console.status("starting Spark"):
            spark = start_spark(master or DEFAULT_MASTER)
        try:
            with err_console.status(f"training als on Spark ({spark.sparkContext.master})"):
                version = train_als_on_spark(service, spark, config, source)
        finally:
            with spark_errors("stop"):
                spark.stop()
        served = service.settings.personal_model
    table = Table("version", "engine", "subjects", "items", "interactions", "seconds")
    t = version.trained_on
    table.add_row(
        version.version,
        f"spark {t['spark_version']} ({t['master']}, {t['partitions']} partitions)",
        str(t["subjects"]),
        str(t["items"]),
        str(t["interactions"]),
        str(t["seconds"]),
    )
    console.print(table)
    console.print(
        f"config: {json.dumps(version.config, sort_keys=True)}; Spark regParam "
        f"{t['reg_param']:.4g} (λ / {t['mean_positives_per_subject']} positives "
        "per subject)"
    )
    if t.get("subjects_left_out"):
        err_console.print(
            f"left out {t['subjects_left_out']} subject(s) whose consent changed since the export"
        )
    if served != "als":
        err_console.print(
            f"note: the personal model served is {served!r}; set TACTFUL_PERSONAL_MODEL=als "
            "to serve this one."
        )


def register(app: typer.Typer) -> None:
    app.command("export-interactions")(export_interactions)
