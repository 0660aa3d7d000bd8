"""Tactful's ALS trained on Apache Spark, for interaction data beyond one machine.

Spark (`pyspark.ml.recommendation.ALS`, implicit preferences) learns the item factors;
Tactful serves them with its own `ALSRecommender`, so the saved model (config.json +
arrays.npz) and the request-time fold-in are the single-machine model's, to the byte in
format. Spark's subject factors are never collected: they live in the cluster's memory
for the length of the job, and no vector learned from a person outlives it.

The config maps one to one except for the regularization:

* factors -> rank, iterations -> maxIter, alpha -> alpha, seed -> seed, and the weight
  Spark sees is the one `ALSRecommender.fit` confides in (1 if binarize, else the
  interaction's weight; cells with weight 0 or less are dropped). Spark's confidence is
  1 + alpha·r for r > 0: the same c = 1 + alpha·w as Tactful's.
* regularization: the `implicit` library (and Tactful's fold-in, which adds λI to YᵀY)
  regularizes every subject and item with the same λ. Spark scales it by each row's
  count of observed entries, as in ALS-WR (Zhou et al. 2008): λ_u = regParam·n_u. So
  regParam = λ / n̄, n̄ being the mean number of positive entries per subject: an average
  subject is regularized as in the single-machine model, and the fold-in (λ fixed) is
  what Spark did for that subject. Heavier subjects and popular items get more shrinkage
  on Spark than on one machine (the accuracy cost is measured in docs/benchmarks.md §12).

Items no consented interaction touches get zero factors, as `implicit` gives them (Spark
has no row for them at all). pyspark is imported inside the functions that need it, so
Tactful imports without the `spark` extra.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
from scipy import sparse

from tactful.candidates._factors import gram
from tactful.candidates.als import ALSConfig, ALSRecommender
from tactful.candidates.base import Interactions
from tactful.errors import InvalidInput, TactfulError
from tactful.training.parquet import Export

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MASTER = "local[2]"
APP_NAME = "tactful-als"


@dataclass(frozen=True)
class SparkFit:
    """The trained recommender and what the model version records about the run."""

    recommender: ALSRecommender
    trained_on: dict[str, Any]


def start_spark(master: str = DEFAULT_MASTER, app_name: str = APP_NAME) -> SparkSession:
    """A Spark session; in local mode bound to loopback. Never downloads anything.

    Cluster settings (driver address, executor memory, ...) come from Spark's own
    configuration (`$SPARK_CONF_DIR/spark-defaults.conf`) or from spark-submit.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise TactfulError(
            "Training on Spark needs pyspark: install Tactful with its spark extra "
            "(pip install 'tactful[spark]')."
        ) from None
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise TactfulError(
            "Spark needs a Java runtime (17 or later): none on PATH and JAVA_HOME is not set."
        )
    builder = SparkSession.builder.appName(app_name).master(master)
    builder = builder.config("spark.ui.enabled", "false").config(
        "spark.ui.showConsoleProgress", "false"
    )
    if master.startswith("local"):
        # Nothing listens beyond loopback: the driver, its block manager, and the address
        # Spark would otherwise pick from the network interfaces (SPARK_LOCAL_IP, read by
        # the JVM that pyspark launches).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            # One shuffle partition per local core, not Spark's default of 200.
            .config("spark.sql.shuffle.partitions", str(_local_cores(master)))
        )
    with spark_errors("start"), warnings.catch_warnings():
        # pyspark warns at start-up when a pandas it does not support is installed; it
        # does not use pandas here (Arrow only).
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def _local_cores(master: str) -> int:
    """The cores of a `local`, `local[N]` or `local[*]` master (N also in `local[N,F]`)."""
    inside = master.partition("[")[2].partition("]")[0].partition(",")[0]
    if inside.isdigit() and int(inside) > 0:
        return int(inside)
    return 1 if master == "local" else os.cpu_count() or 1


@contextmanager
def spark_errors(doing: str) -> Iterator[None]:
    """Spark's and the JVM bridge's exceptions as a `TactfulError` with a readable message."""
    from py4j.protocol import Py4JError  # type: ignore[import-untyped]
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JError) as exc:
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        hint = ""
        if "JAVA_GATEWAY_EXITED" in str(exc):
            hint = " (is a Java runtime, 17 or later, installed and JAVA_HOME right?)"
        raise TactfulError(f"Spark failed to {doing}: {first.strip()[:500]}{hint}") from None


def frame_from_interactions(spark: SparkSession, data: Interactions) -> DataFrame:
    """The cells of `data` as a DataFrame (subject, item, weight), sent through Arrow.

    The data passes through the driver, which already holds it; an export read by the
    executors themselves (`frame_from_export`) is the way past one machine's memory.
    """
    cells = sparse.coo_array(sparse.csr_array(data.matrix))
    table = pa.table(
        {
            "subject": pa.array(cells.row.astype(np.int32)),
            "item": pa.array(cells.col.astype(np.int32)),
            "weight": pa.array(cells.data.astype(np.float32)),
        }
    )
    with spark_errors("load the interactions"):
        return spark.createDataFrame(table)


def frame_from_export(
    spark: SparkSession, export: Export, leave_out: npt.NDArray[np.int32] | None = None
) -> DataFrame:
    """The export's interactions, read by Spark, minus the rows of the `leave_out` subjects.

    On a cluster the export's directory must be visible at the same path to every executor
    (a shared filesystem).
    """
    with spark_errors(f"read {export.interactions_path}"):
        # `open_export` has checked the file's schema on the driver.
        frame = spark.read.parquet(export.interactions_path.resolve().as_uri())
        if leave_out is not None and len(leave_out):
            gone = spark.createDataFrame(pa.table({"subject": pa.array(leave_out)}))
            frame = frame.join(gone, on="subject", how="left_anti")
    return frame


def fit_on_spark(
    spark: SparkSession,
    frame: DataFrame,
    item_ids: npt.NDArray[np.str_],
    config: ALSConfig,
    reg_param: float | None = None,
) -> SparkFit:
    """Train ALS on Spark from (subject, item, weight) cells; Tactful's recommender back.

    Repeated cells keep their largest weight, as Tactful's training matrix does.
    `reg_param` overrides Spark's regParam (default λ / mean positives per subject, see
    above); the served model's fold-in keeps the config's λ either way.
    """
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as F  # noqa: N812 (Spark's own convention)

    started = time.perf_counter()
    n_items = len(item_ids)
    with spark_errors("train ALS"):
        cells = (
            frame.where(F.col("weight") > 0)
            .groupBy("subject", "item")
            .agg(F.max("weight").cast("float").alias("weight"))
        )
        rating = F.lit(1.0).cast("float") if config.binarize else F.col("weight")
        cells = cells.select("subject", "item", rating.alias("rating")).cache()
        stats = cells.agg(
            F.count("*").alias("n"),
            F.count_distinct("subject").alias("subjects"),
            F.min("subject").alias("min_subject"),
            F.min("item").alias("min_item"),
            F.max("item").alias("max_item"),
        ).first()
        assert stats is not None  # an aggregate always has one row
        n, subjects = int(stats["n"]), int(stats["subjects"])
        if n == 0:
            cells.unpersist()
            raise InvalidInput("No consented interaction to train on.")
        if stats["min_subject"] < 0 or stats["min_item"] < 0 or stats["max_item"] >= n_items:
            cells.unpersist()
            raise InvalidInput("An interaction names a subject or item index out of range.")
        partitions = spark.sparkContext.defaultParallelism
        if reg_param is None:
            reg_param = config.regularization * subjects / n
        als = ALS(
            rank=config.factors,
            maxIter=config.iterations,
            regParam=reg_param,
            alpha=config.alpha,
            implicitPrefs=True,
            nonnegative=False,
            seed=config.seed,
            numUserBlocks=partitions,
            numItemBlocks=partitions,
            userCol="subject",
            itemCol="item",
            ratingCol="rating",
        )
        model = als.fit(cells)
        factors = model.itemFactors.toArrow()
        cells.unpersist()
    y = np.zeros((n_items, config.factors), dtype=np.float32)
    if factors.num_rows:
        ids = factors.column("id").to_numpy()
        y[ids] = np.array(factors.column("features").to_pylist(), dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise TactfulError("Spark's ALS returned factors that are not finite numbers.")
    recommender = ALSRecommender(config)
    recommender.item_ids = np.asarray(item_ids, dtype=np.str_).copy()
    recommender.restore({"item_factors": y, "gram": gram(y, config.regularization)})
    return SparkFit(
        recommender,
        {
            "engine": "spark",
            "spark_version": spark.version,
            "master": spark.sparkContext.master,
            "partitions": partitions,
            "reg_param": reg_param,
            "mean_positives_per_subject": round(n / subjects, 3),
            "subjects": subjects,
            "items": n_items,
            "items_with_factors": int(factors.num_rows),
            "interactions": n,
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
