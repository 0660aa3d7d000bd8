"""The Spark back end, in Spark local mode on the small shop: the model Spark trains is
Tactful's own ALS model, served by the normal path, and learns only from consented data.

One Spark session for the module (Java and pyspark required: under CI=true their absence
fails the run). Every run happens in the module fixtures; the tests only read results.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tactful.candidates.als import ALSConfig, ALSRecommender
from tactful.candidates.base import History
from tactful.candidates.registry import load_model
from tactful.errors import InvalidInput, TactfulError
from tactful.service import Tactful
from tactful.services.external_training import (
    consented_interactions,
    export_interactions,
    spark_source,
    train_als_on_spark,
)
from tactful.settings import Settings
from tactful.storage.repository import ModelVersion
from tactful.training import spark_als
from tactful.training.parquet import read_export
from tests import shop
from tests.clock import Clock
from tests.conftest import need_service
from tests.trained_shop import T0

# One group, so that `pytest -n --dist loadgroup` keeps the module on one worker (one JVM).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

CONFIG = ALSConfig(factors=8, regularization=1.0, iterations=5, seed=7)
WITHDRAWN = "crowd-3"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        need_service("pyspark is not installed (Tactful's spark extra)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        need_service("no Java runtime for Spark (java on PATH or JAVA_HOME)")
    session = spark_als.start_spark("local[2]")
    yield session
    session.stop()


def _store(root: Path, template: Path) -> Tactful:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, root / "tactful.db")
    settings = Settings(
        data_dir=root / "var",
        database_url=f"sqlite:///{root / 'tactful.db'}",
        api_key="test-operator-key-0123456789abcdef",  # type: ignore[arg-type]
        personal_model="als",
    )
    return Tactful(settings, clock=Clock(T0))


@dataclass(frozen=True)
class Runs:
    service: Tactful
    export: Path
    from_export: ModelVersion  # trained on the export, before anyone withdrew
    from_store: ModelVersion  # the same data, read from the store
    after_withdrawal: ModelVersion  # the same export, after WITHDRAWN withdrew


@pytest.fixture(scope="module")
def runs(
    spark: Any, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("spark-shop")
    service = _store(root, sqlite_template)
    clock = service.clock
    assert isinstance(clock, Clock)
    shop.populate(service)
    service.train(["popularity"])
    export_interactions(service, root / "export")
    from_export = train_als_on_spark(service, spark, CONFIG, spark_source(service, root / "export"))
    clock.advance(60)
    from_store = train_als_on_spark(service, spark, CONFIG, spark_source(service))
    clock.advance(60)
    service.record_consents(
        WITHDRAWN,
        {
            "choices": [
                {"purpose": "personalization.explicit", "status": "withdrawn"},
                {"purpose": "personalization.behavioral", "status": "withdrawn"},
            ]
        },
    )
    clock.advance(60)
    after = train_als_on_spark(service, spark, CONFIG, spark_source(service, root / "export"))
    yield Runs(service, root / "export", from_export, from_store, after)
    service.close()


def _model(runs: Runs, version: ModelVersion) -> ALSRecommender:
    model = load_model(runs.service.settings.models_dir / version.path)
    assert isinstance(model, ALSRecommender)
    return model


def test_the_served_model_is_the_one_spark_trained(runs: Runs) -> None:
    record = runs.service.recommend("alice", k=5)
    assert record["model"]["version"] == runs.after_withdrawal.version
    assert runs.after_withdrawal.trained_on["engine"] == "spark"
    # alice bought three running things; the crowd buys within one category.
    top = [item["item_id"] for item in record["items"][:3]]
    assert all(item.startswith("running-") for item in top), top
    assert not {"running-0", "running-1", "running-2"} & set(top)


def test_items_bought_together_rank_above_unrelated_ones(runs: Runs) -> None:
    model = _model(runs, runs.from_store)
    assert model.item_ids is not None
    ids = model.item_ids.tolist()
    for category in shop.CATEGORIES:
        seen = np.array([ids.index(f"{category}-{n}") for n in range(3)], dtype=np.int64)
        scores = model.score(History(seen, np.ones(3, dtype=np.float32)))
        scores[seen] = -np.inf
        top = [ids[n] for n in np.argsort(-scores, kind="stable")[:3]]
        assert all(item.startswith(f"{category}-") for item in top), (category, top)


def test_the_model_files_are_tactfuls_own_als(runs: Runs) -> None:
    version = runs.from_store
    directory = runs.service.settings.models_dir / version.path
    assert sorted(p.name for p in directory.iterdir()) == ["arrays.npz", "config.json"]
    model = _model(runs, version)
    assert model.config == CONFIG
    assert version.config == CONFIG.model_dump(mode="json")
    arrays = model.arrays()
    data, _ = read_export(runs.export)  # what this run trained on (see the next test)
    assert model.item_ids is not None
    assert model.item_ids.tolist() == sorted(i["item_id"] for i in shop.items())
    assert arrays["item_factors"].shape == (len(shop.items()), CONFIG.factors)
    # Items no consented interaction touches get zero factors, as `implicit` gives them.
    touched = np.asarray(data.matrix.sum(axis=0) > 0).ravel()
    never = ~touched
    assert never.any()
    assert not arrays["item_factors"][never].any()
    assert np.abs(arrays["item_factors"][touched]).sum(axis=1).min() > 0
    t = version.trained_on
    import pyspark

    assert (t["engine"], t["spark_version"], t["master"]) == (
        "spark",
        pyspark.__version__,
        "local[2]",
    )
    assert t["partitions"] == 2
    assert t["reg_param"] == pytest.approx(
        CONFIG.regularization * t["subjects"] / t["interactions"]
    )


def test_the_export_and_the_store_give_spark_the_same_model(runs: Runs, spark: Any) -> None:
    a, b = _model(runs, runs.from_export), _model(runs, runs.from_store)
    np.testing.assert_array_equal(a.arrays()["item_factors"], b.arrays()["item_factors"])
    assert runs.from_export.trained_on["source"] == "parquet"
    assert runs.from_store.trained_on["source"] == "store"
    # What Spark reads from the export is exactly what pyarrow reads back.
    written, _ = read_export(runs.export)
    cells = spark.read.parquet(str(runs.export / "interactions.parquet")).toArrow()
    cells = cells.sort_by([("subject", "ascending"), ("item", "ascending")])
    coo = written.matrix.tocoo()
    order = np.lexsort((coo.col, coo.row))
    assert cells.column("subject").to_pylist() == coo.row[order].tolist()
    assert cells.column("item").to_pylist() == coo.col[order].tolist()
    assert cells.column("weight").to_pylist() == coo.data[order].tolist()


def test_a_subject_who_withdrew_after_the_export_is_left_out(runs: Runs) -> None:
    before, after = runs.from_export.trained_on, runs.after_withdrawal.trained_on
    written, _ = read_export(runs.export)
    row = written.subject_ids.tolist().index(WITHDRAWN)
    their_cells = int((written.matrix[[row]].toarray() > 0).sum())
    assert their_cells > 0
    assert after["subjects_left_out"] == 1
    assert after["subjects"] == before["subjects"] - 1
    assert after["interactions"] == before["interactions"] - their_cells
    # And the store no longer hands them over at all.
    assert WITHDRAWN not in consented_interactions(runs.service).subject_ids.tolist()


def test_bad_data_and_spark_failures_are_readable_errors(spark: Any) -> None:
    items = np.array(["a", "b"], dtype=np.str_)
    out_of_range = spark.createDataFrame(
        pa.table(
            {
                "subject": pa.array([0, 1], pa.int32()),
                "item": pa.array([0, 5], pa.int32()),
                "weight": pa.array([1.0, 1.0], pa.float32()),
            }
        )
    )
    with pytest.raises(InvalidInput, match="out of range"):
        spark_als.fit_on_spark(spark, out_of_range, items, CONFIG)
    with pytest.raises(InvalidInput, match="No consented interaction"):
        spark_als.fit_on_spark(spark, out_of_range.where("weight < 0"), items, CONFIG)
    with (
        pytest.raises(TactfulError, match="Spark failed to read"),
        spark_als.spark_errors("read"),
    ):
        spark.sql("SELECT no_such_column FROM range(1)").collect()


def test_the_command_trains_on_spark(
    spark: Any,
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tactful.cli import app

    service = _store(tmp_path, sqlite_template)
    shop.populate(service)
    service.train(["popularity"])
    settings = service.settings
    service.close()
    # The module's session, kept running when the command stops it.
    monkeypatch.setattr(spark_als, "start_spark", lambda master: spark)
    monkeypatch.setattr(spark, "stop", lambda: None)
    env = {
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_PERSONAL_MODEL": "als",
        "COLUMNS": "200",
    }
    config = '{"als": {"factors": 8, "regularization": 1.0, "iterations": 1}}'
    done = CliRunner().invoke(app, ["train", "--engine", "spark", "--config", config], env=env)
    assert done.exit_code == 0, done.output
    assert "spark 4" in done.output
    assert "local[2]" in done.output
    again = Tactful(settings)
    try:
        assert again.recommend("alice")["model"]["name"] == "als"
    finally:
        again.close()


def test_without_java_or_pyspark_spark_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_als.shutil, "which", lambda _name: None)
    with pytest.raises(TactfulError, match=r"Java runtime|spark extra"):
        spark_als.start_spark()
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(TactfulError, match="spark extra"):
        spark_als.start_spark()
