"""Shared by the ml-100k bench scripts: the msr-ml100k split, model fitting, per-user
ranking and re-ranking, the metrics every section reports, and the figures' style.

The split is the one `tactful evaluate msr-ml100k` makes (75/25 stratified by item, seed 42,
`tactful.evaluation`), so every bench figure sits on the same footing as section 1 of
docs/benchmarks.md. The MovieLens files are read in place, never copied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure
from scipy import sparse

from tactful import metrics
from tactful.candidates.base import IndexArray, Interactions, Recommender, top_k
from tactful.candidates.registry import build
from tactful.evaluation.data import Dataset, load_dataset
from tactful.evaluation.experiment import Experiment, build_experiment, seeded_config
from tactful.evaluation.protocols import Protocol, get_protocol
from tactful.evaluation.splits import stratified_split

K = 10
PROTOCOL = "msr-ml100k"
ATTRIBUTES = ("gender", "age_band")
GROUP_MIN_USERS = 20  # as `tactful evaluate` (protocol.group_min_users) reports gaps
Scores = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

# Okabe and Ito's colour-blind-safe palette (https://jfly.uni-koeln.de/color/), in an order
# whose neighbours stay distinct in grey.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Bench:
    """The msr-ml100k split of ml-100k, with what the bench scripts need beside it."""

    protocol: Protocol
    dataset: Dataset
    experiment: Experiment
    # Every training rating, as a cell of experiment.train.matrix, with its stars.
    train_rows: IndexArray
    train_cols: IndexArray
    train_stars: FloatArray
    users: IndexArray  # evaluated users (positions in experiment.eval_rows), maybe a sample
    sampled: bool
    popularity: FloatArray  # per item column: training users who rated it
    long_tail: Mask  # per item column (`metrics.long_tail_mask`, head share 0.2)
    seed: int

    @property
    def n_items(self) -> int:
        return self.experiment.train.n_items

    @property
    def rows(self) -> IndexArray:
        """Rows of the training matrix of the evaluated users."""
        return self.experiment.eval_rows[self.users]

    @property
    def relevant(self) -> sparse.csr_array:
        return sparse.csr_array(self.experiment.relevant[self.users])

    @property
    def history(self) -> sparse.csr_array:
        """Every training rating of the evaluated users: what they watched."""
        return sparse.csr_array(self.experiment.train.matrix[self.rows])

    def labels(self, attribute: str) -> list[str | None]:
        every = self.experiment.labels[attribute]
        return [every[int(n)] for n in self.users]


def load_bench(datasets: Path, seed: int = 42, users: int = 0) -> Bench:
    """Split ml-100k as msr-ml100k does; `users` > 0 evaluates a seeded sample of them."""
    protocol = get_protocol(PROTOCOL)
    dataset = load_dataset(protocol, datasets)
    ratings = dataset.ratings("u.data")
    # The stars, in the same file order as `ratings` (which holds only users and movies).
    stars = np.loadtxt(dataset.folder / "u.data", delimiter="\t", usecols=(2,), ndmin=1)
    split = stratified_split(
        ratings.users, ratings.items, protocol.ratio, seed, by=protocol.stratify_by
    )
    train = ratings.take(split.train)
    experiment = build_experiment(train, ratings.take(split.test), dataset, ATTRIBUTES)
    # The cells of the training matrix, found as build_experiment finds them.
    rows = np.searchsorted(np.unique(train.users), train.users)
    cols = np.searchsorted(np.unique(train.items), train.items)
    everyone = np.arange(len(experiment.eval_rows))
    chosen = everyone
    if 0 < users < len(everyone):
        chosen = np.sort(np.random.default_rng(seed).choice(everyone, users, replace=False))
    popularity = metrics.item_popularity(experiment.train.matrix)
    return Bench(
        protocol=protocol,
        dataset=dataset,
        experiment=experiment,
        train_rows=rows.astype(np.int64),
        train_cols=cols.astype(np.int64),
        train_stars=stars[split.train].astype(np.float64),
        users=chosen.astype(np.int64),
        sampled=len(chosen) < len(everyone),
        popularity=popularity,
        long_tail=metrics.long_tail_mask(popularity),
        seed=seed,
    )


def interactions(
    bench: Bench, rows: IndexArray, cols: IndexArray, weights: FloatArray
) -> Interactions:
    """A training matrix over the experiment's rows and columns; a repeated cell keeps its
    largest weight, as Tactful's training does (`tactful.training.matrix`)."""
    train = bench.experiment.train
    n_cols = train.n_items
    key = rows.astype(np.int64) * n_cols + cols.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key, values = key[order], weights[order].astype(np.float32)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else key
    if len(key):
        values = np.maximum.reduceat(values, starts)
        key = key[starts]
    matrix = sparse.csr_array(
        (values, (key // n_cols, key % n_cols)), shape=(len(train.subject_ids), n_cols)
    )
    return Interactions(train.subject_ids, train.item_ids, matrix)


def fit(name: str, data: Interactions, seed: int) -> Recommender[Any]:
    """The registered model `name` with its default config (seeded), fitted on `data`."""
    return build(name, seeded_config(name, seed)).fit(data)


def rank(scores: Scores, exclude: Mask | None) -> IndexArray:
    """Per user, the top K columns (Tactful's `top_k`), padded with -1."""
    table = np.full((scores.shape[0], K), -1, dtype=np.int64)
    for n in range(scores.shape[0]):
        chosen = top_k(scores[n], K, None if exclude is None else exclude[n])
        table[n, : len(chosen)] = chosen
    return table


# ranker(one user's scores, their exclusion mask, their history columns, their row) -> list
Ranker = Callable[[Scores, Mask, IndexArray, int], IndexArray]


def rerank(
    scores: Scores, exclude: Mask, history: sparse.csr_array, ranker: Ranker
) -> tuple[IndexArray, float]:
    """Per user, `ranker`'s list (padded with -1), and the milliseconds it took per user."""
    table = np.full((scores.shape[0], K), -1, dtype=np.int64)
    started = time.perf_counter()
    for n in range(scores.shape[0]):
        seen = history.indices[history.indptr[n] : history.indptr[n + 1]].astype(np.int64)
        chosen = ranker(scores[n], exclude[n], seen, n)
        table[n, : len(chosen)] = chosen
    return table, 1000.0 * (time.perf_counter() - started) / max(1, scores.shape[0])


def accuracy(bench: Bench, table: IndexArray) -> dict[str, FloatArray]:
    """Per-user nDCG, precision, recall, MAP, MRR and hit rate at K (NaN: nothing relevant)."""
    return metrics.per_user_ranking(table, bench.relevant, K)


def beyond(
    bench: Bench, table: IndexArray, history: sparse.csr_array | None = None
) -> dict[str, float]:
    """Coverage, ARP, long-tail share, ILD, novelty and miscalibration (genres) of `table`.

    Miscalibration is measured against `history` (default: everything the users watched in
    training), so that it means the same whatever signals a model was given.
    """
    genres = bench.experiment.genres
    seen = bench.history if history is None else history
    return {
        "coverage": metrics.catalog_coverage(table, bench.n_items),
        "arp": metrics.average_popularity(table, bench.popularity),
        "long_tail": metrics.long_tail_share(table, bench.long_tail),
        "ild": metrics.intra_list_diversity(table, genres),
        "novelty": metrics.novelty(table, bench.popularity, bench.experiment.train.matrix.shape[0]),
        "miscalibration": metrics.miscalibration(table, seen, genres),
    }


def by_group(bench: Bench, per_user: Mapping[str, FloatArray]) -> dict[str, Any]:
    """Per attribute, `metrics.by_group` of the per-user metrics, as a JSON-ready dict."""
    return {
        attribute: metrics.by_group(
            per_user, bench.labels(attribute), attribute, min_users=GROUP_MIN_USERS
        ).as_dict()
        for attribute in ATTRIBUTES
    }


def mean(values: FloatArray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


@contextmanager
def timed(into: dict[str, float], name: str) -> Iterator[None]:
    """Adds the wall-clock seconds of the block to `into[name]`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        into[name] = round(into.get(name, 0.0) + time.perf_counter() - started, 3)


def style(figure: Figure) -> None:
    """Readable defaults for a bench figure: larger type, light grid, no top/right spines."""
    for ax in figure.axes:
        ax.tick_params(labelsize=10)
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)


def save(figure: Figure, path: Path, also: Sequence[Path] = ()) -> list[Path]:
    """Write the figure to `path` and to each of `also` (the format follows the suffix)."""
    written = []
    for target in (path, *also):
        target.parent.mkdir(parents=True, exist_ok=True)
        # A fixed date keeps an unchanged SVG byte for byte the same between runs.
        meta = {"Date": None} if target.suffix == ".svg" else {}
        with matplotlib.rc_context({"svg.hashsalt": "tactful-bench"}):
            figure.savefig(target, dpi=150, bbox_inches="tight", metadata=meta)
        written.append(target)
    return written


def finish(
    report: Mapping[str, Any],
    args: Any,
    tables: Callable[[Any], str],
    plot: Callable[[Any], Figure],
) -> None:
    """What every bench here does at the end: print the tables, write `--json` if asked,
    and save the figure to `--plot` (and `--png`)."""
    print(tables(report))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(clean(report), indent=2, allow_nan=False))
    save(plot(report), args.plot, [args.png] if args.png else [])


def clean(value: Any) -> Any:
    """`value` made JSON-ready: NaN and infinities become None, numpy numbers plain ones."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
