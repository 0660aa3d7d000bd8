"""`tactful evaluate`: run an offline evaluation protocol and write its results.

Everything that can be checked is checked before any work: the protocol name, the model
names and the dataset files. On any error nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from tactful.datasets.movielens import default_datasets_dir
from tactful.errors import FieldError, InvalidInput
from tactful.evaluation import report
from tactful.evaluation.protocols import get_protocol
from tactful.evaluation.runner import check_dataset, check_models, evaluate


def parse_models(models: str | None) -> list[str]:
    """`ease,als` -> ["ease", "als"]; None or blank -> [] (every registered model)."""
    if models is None or not models.strip():
        return []
    names = [name.strip() for name in models.split(",")]
    if any(not name for name in names):
        raise InvalidInput("--models has an empty name.", [FieldError("models", models)])
    return names


def default_out(protocol: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path("var") / "evaluations" / f"{protocol}-{stamp}"


def run_evaluation(
    protocol_name: str,
    models: str | None,
    *,
    out: Path | None,
    tune: bool,
    datasets: Path | None,
    seed: int,
    console: Console,
    err_console: Console,
) -> Path:
    """Check, evaluate, write `results.json` and `results.md`, print the table; the folder."""
    protocol = get_protocol(protocol_name)
    names = check_models(parse_models(models))
    datasets_dir = datasets if datasets is not None else default_datasets_dir()
    check_dataset(protocol, datasets_dir)
    with err_console.status("evaluating") as status:
        result = evaluate(
            protocol,
            names,
            datasets_dir=datasets_dir,
            tune=tune,
            seed=seed,
            progress=status.update,
        )
    folder = out if out is not None else default_out(protocol.name)
    json_path, md_path = report.write(result, folder)
    console.print(report.results_table(result), markup=False, highlight=False, soft_wrap=True)
    err_console.print(f"wrote {json_path} and {md_path} ({result.seconds:.1f} s)")
    return folder
