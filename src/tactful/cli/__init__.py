"""The `tactful` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tactful.cli import (
    accounts,
    auditing,
    complaints,
    consenting,
    copylint,
    erasure,
    keys,
    messaging,
    migrating,
    protections,
    reports,
    rights,
    training,
)
from tactful.cli.common import DataDir, console, err_console, fail, progress, settings_for
from tactful.errors import TactfulError
from tactful.settings import Settings

app = typer.Typer(
    name="tactful",
    help="Consent-gated personalization: every decision explained and recorded.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import items, subjects, events or a MovieLens dataset.")
app.add_typer(import_app, name="import")
consenting.register(app)
accounts.register(app, import_app)
for _module in (
    rights,
    erasure,
    complaints,
    auditing,
    keys,
    copylint,
    messaging,
    protections,
    reports,
    migrating,
    training,
):
    _module.register(app)


def _settings(data_dir: Path | None) -> Settings:
    return settings_for(data_dir)


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (in production, only on a store `tactful migrate` brought current)."""
    from tactful.cli.serving import run_server

    settings = _settings(data_dir)
    try:
        run_server(settings, host or settings.host, port or settings.port, workers)
    except TactfulError as exc:
        fail(exc)


@app.command()
def demo(
    data_dir: DataDir = None,
    rebuild: Annotated[
        bool, typer.Option(help="Throw away the demo store and build it anew.")
    ] = False,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve when built.")
    ] = True,
    small: Annotated[bool, typer.Option(help="A small store, for a quick look.")] = False,
) -> None:
    """Build the demo store if absent, train, and serve."""
    from tactful.cli.demo import run_demo

    try:
        run_demo(_settings(data_dir), rebuild=rebuild, serve=serve_after, small=small)
    except TactfulError as exc:
        fail(exc)


@import_app.command("items")
def import_items(
    path: Path,
    data_dir: DataDir = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl or csv")] = None,
) -> None:
    """Import catalog items (atomic: a bad row stores nothing)."""
    _import_file("items", path, fmt, data_dir)


@import_app.command("subjects")
def import_subjects(
    path: Path,
    data_dir: DataDir = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl or csv")] = None,
) -> None:
    """Import subjects and their attributes."""
    _import_file("subjects", path, fmt, data_dir)


@import_app.command("events")
def import_events(
    path: Path,
    data_dir: DataDir = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl or csv")] = None,
) -> None:
    """Import events; those no granted purpose covers are counted, not stored."""
    _import_file("events", path, fmt, data_dir)


def _import_file(kind: str, path: Path, fmt: str | None, data_dir: Path | None) -> None:
    from tactful.cli.importing import import_file

    try:
        result = import_file(_settings(data_dir), kind, path, fmt)
    except TactfulError as exc:
        fail(exc)
        return
    console.print_json(json.dumps(result.as_dict()))


@import_app.command("movielens")
def import_movielens(
    path: Path,
    data_dir: DataDir = None,
    consent: Annotated[
        bool,
        typer.Option(
            "--consent/--no-consent",
            help="Record consent to personalization from ratings for every imported subject "
            "(method: import). Without it, ratings are not kept: nobody agreed to their use.",
        ),
    ] = False,
) -> None:
    """Import ml-100k or ml-latest-small from PATH."""
    from tactful.cli.importing import import_movielens as run

    try:
        summary = run(_settings(data_dir), path, consent=consent, progress=progress())
    except TactfulError as exc:
        fail(exc)
        return
    console.print_json(json.dumps(summary))


@app.command()
def train(
    data_dir: DataDir = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Model(s) to train.")
    ] = None,
    config: Annotated[
        str | None, typer.Option(help='JSON per model, e.g. \'{"ease": {"l2": 300}}\'.')
    ] = None,
    tune: Annotated[
        bool,
        typer.Option(
            "--tune",
            help="Choose each model's hyperparameters on a validation split of the training "
            "data (models given a --config keep it).",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the validation split.")] = 42,
    engine: Annotated[
        str, typer.Option(help="local (this process) or spark (Apache Spark; the als model).")
    ] = "local",
    parquet: Annotated[
        Path | None,
        typer.Option(help="Spark: train on this export (tactful export-interactions)."),
    ] = None,
    master: Annotated[
        str | None, typer.Option(help="Spark: the master URL (default local[2]).")
    ] = None,
) -> None:
    """Train new model versions on the consented signals in the store."""
    from tactful.service import Tactful

    try:
        configs = json.loads(config) if config else None
    except json.JSONDecodeError as exc:
        err_console.print(f"[red]error:[/red] --config is not valid JSON: {exc.msg}")
        raise typer.Exit(code=2) from None
    if configs is not None and not isinstance(configs, dict):
        err_console.print("[red]error:[/red] --config must be a JSON object of model: config")
        raise typer.Exit(code=2)
    if engine != "local" or parquet is not None or master is not None:
        from tactful.cli.training import train_with_engine

        train_with_engine(
            data_dir, engine=engine, models=model, configs=configs, tune=tune,
            parquet=parquet, master=master,
        )  # fmt: skip
        return
    service = Tactful(_settings(data_dir))
    try:
        with err_console.status("training") as status:
            versions = service.train(
                model, configs, progress=lambda m: status.update(m), tune=tune, seed=seed
            )
    except TactfulError as exc:
        fail(exc)
        return
    finally:
        service.close()
    table = Table("version", "model", "subjects", "items", "interactions", "config", "tuned")
    for v in versions:
        tuning = v.trained_on.get("tuning")
        table.add_row(
            v.version,
            v.name,
            str(v.trained_on["subjects"]),
            str(v.trained_on["items"]),
            str(v.trained_on["interactions"]),
            json.dumps(v.config, sort_keys=True),
            f"{tuning['metric']} {tuning['validation_score']} over {tuning['trials']} trials"
            if tuning
            else "no",
        )
    console.print(table)


@app.command()
def recommend(
    subject: str,
    data_dir: DataDir = None,
    k: Annotated[int, typer.Option(help="How many items.")] = 10,
    surface: Annotated[str, typer.Option(help="Where they will be shown.")] = "home",
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision record.")] = False,
) -> None:
    """Decide what to show SUBJECT and say why."""
    from tactful.service import Tactful

    service = Tactful(_settings(data_dir))
    try:
        record = service.recommend(subject, k=k, surface=surface)
    except TactfulError as exc:
        fail(exc)
        return
    finally:
        service.close()
    if as_json:
        console.print_json(json.dumps(record))
        return
    console.print(
        f"[bold]{subject}[/bold]: level [bold]{record['level']}[/bold] - {record['level_reason']}"
    )
    console.print(
        f"model {record['model']['version']}; purposes relied on: "
        f"{', '.join(record['purposes']) or 'none'}"
    )
    table = Table("#", "item", "category", "why")
    for item in record["items"]:
        table.add_row(
            str(item["rank"]), item["title"], item["category"], item["explanation"]["reason"]
        )
    console.print(table)
    console.print(record["disclosure"]["label"])
    console.print(f"decision {record['decision_id']}")


@app.command()
def evaluate(
    protocol: Annotated[
        str,
        typer.Argument(help="msr-ml100k, msr-ml100k-by-user, ml100k-folds or ml-latest-small."),
    ],
    models: Annotated[
        str | None, typer.Option(help="Comma-separated, e.g. ease,als (default: all).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: var/evaluations/NAME-TIME).")
    ] = None,
    tune: Annotated[
        bool, typer.Option("--tune/--no-tune", help="Grid-search on a validation split.")
    ] = True,
    datasets: Annotated[
        Path | None, typer.Option(help="Folder of dataset folders (default: $TACTFUL_DATASETS).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split and of tuning.")] = 42,
) -> None:
    """Evaluate recommenders offline under a named protocol: results.json and results.md."""
    from tactful.cli.evaluating import run_evaluation

    try:
        run_evaluation(
            protocol, models, out=out, tune=tune, datasets=datasets, seed=seed,
            console=console, err_console=err_console,
        )  # fmt: skip
    except TactfulError as exc:
        fail(exc)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
