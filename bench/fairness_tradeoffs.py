"""Accuracy against fairness: each mitigation re-ranker swept over its strength on ml-100k.

    .venv/bin/python bench/fairness_tradeoffs.py [--datasets ../shared/datasets]
        [--model ease] [--users 0] [--seed 42] [--json PATH]
        [--plot docs/img/fairness-tradeoffs.svg] [--png PATH]

The msr-ml100k split (seed 42, `bench/_ml100k.py`), the base model (`--model`, default
ease) with its default config fitted on the training part, every evaluated user's scores
over the films they have not rated, re-ranked to a top 10 from a pool of 100. For each
mitigation of `tactful.reranking`, nDCG@10 against the fairness figure it targets:

* FA*IR (`fair_exposure.fair_rerank`, alpha = 0.1 adjusted), sweeping p, with the long-tail
  films as the protected group (the films outside the short head that takes 20 % of the
  training ratings, `metrics.long_tail_mask`): their share of the position-weighted
  exposure (DCG weights) against their share of the catalog, and the Gini of item exposure.
  Release decade was considered as the protected attribute and rejected: the base model
  over-exposes films from before 1990 (exposure ratio about 1.4), so it has no
  under-exposed decade group to protect.
* Popularity de-biasing (`popularity.debias_popularity`), xQuAD in both of Abdollahpouri et
  al.'s variants, binary and smooth, sweeping lambda: long-tail share, average
  recommendation popularity (ARP), catalog coverage and long-tail coverage (the share of
  the long-tail films that appear in any list). The people's mean tolerance for the tail,
  P(tail|u), the long-tail share of their training history, is reported beside it: smooth
  xQuAD at lambda = 1 brings each list's share within one film of the person's own.
* Group-aware calibration (`group_calibration.group_calibrate`) over popularity bands (head,
  mid, tail by share of ratings), sweeping lambda with the person's own mix as the target
  (calibrated popularity) and with the catalog's band shares as the target: popularity
  miscalibration (Steck's KL over the bands, against the person's training history), and
  the worst-to-best ratio of nDCG@10 between genders and between age bands
  (`metrics.by_group`, groups of at least 20 users).

`--users N` evaluates a seeded sample of N users instead of all 943.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import _ml100k as ml
import numpy as np
from matplotlib.figure import Figure
from scipy import sparse

from tactful import metrics
from tactful.candidates.base import IndexArray
from tactful.reranking.fair_exposure import FairConfig, fair_rerank
from tactful.reranking.group_calibration import (
    BANDS,
    GroupCalibrationConfig,
    group_calibrate,
    popularity_bands,
)
from tactful.reranking.popularity import (
    PopularityDebiasConfig,
    Variant,
    debias_popularity,
    tail_tolerance,
)

POOL = 100
FAIR_P = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
DEBIAS_LAMBDA = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
CALIBRATION_LAMBDA = (0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.99)


@dataclass(frozen=True)
class Setting:
    mitigation: str  # "fair", "debias-binary", "debias-smooth", "calibrate-own", ...
    parameter: str  # the swept parameter's name
    value: float
    ranker: ml.Ranker


@dataclass(frozen=True)
class Context:
    """What every measurement needs beyond the lists themselves."""

    bench: ml.Bench
    history: sparse.csr_array  # the evaluated users' training ratings
    bands: IndexArray  # per column: head, mid, tail
    band_flags: sparse.csr_array  # items x bands, for Steck's miscalibration over bands
    weights: ml.FloatArray  # position weights (DCG)
    tolerance: ml.FloatArray  # per user: P(tail|u), the long-tail share of their history


def settings(bench: ml.Bench, bands: IndexArray) -> list[Setting]:
    tail = bench.long_tail

    def fair(p: float) -> ml.Ranker:
        config = FairConfig(p=p, alpha=0.1, pool=POOL)
        return lambda s, x, h, n: fair_rerank(s, tail, ml.K, config, x)

    def debias(lambda_: float, variant: Variant) -> ml.Ranker:
        config = PopularityDebiasConfig(lambda_=lambda_, pool=POOL, variant=variant)
        return lambda s, x, h, n: debias_popularity(s, tail, ml.K, config, h, x)

    def calibrate(lambda_: float, fairness_weight: float) -> ml.Ranker:
        config = GroupCalibrationConfig(lambda_=lambda_, fairness_weight=fairness_weight, pool=POOL)
        return lambda s, x, h, n: group_calibrate(s, bands, ml.K, config, h, x)

    out = [Setting("fair", "p", p, fair(p)) for p in FAIR_P]
    for variant in get_args(Variant):
        out += [
            Setting(f"debias-{variant}", "lambda", v, debias(v, variant)) for v in DEBIAS_LAMBDA
        ]
    out += [Setting("calibrate-own", "lambda", v, calibrate(v, 0.0)) for v in CALIBRATION_LAMBDA]
    out += [
        Setting("calibrate-catalog", "lambda", v, calibrate(v, 1.0)) for v in CALIBRATION_LAMBDA
    ]
    return out


def measure(ctx: Context, table: IndexArray) -> dict[str, Any]:
    bench = ctx.bench
    per_user = ml.accuracy(bench, table)
    exposure = metrics.item_exposure(table, bench.n_items, ctx.weights)
    tail = metrics.group_exposure(exposure, bench.long_tail.astype(np.int64), 2)
    shown = np.unique(table[table >= 0])
    # Each list's long-tail share against its person's own P(tail|u).
    filled = table >= 0
    in_tail = bench.long_tail[np.where(filled, table, 0)] & filled
    own_share = in_tail.sum(axis=1) / np.maximum(filled.sum(axis=1), 1)
    groups = ml.by_group(bench, {"ndcg": per_user["ndcg"]})
    row: dict[str, Any] = {
        "ndcg": ml.mean(per_user["ndcg"]),
        "tail_exposure_share": tail.exposure_share[1],
        "tail_catalog_share": tail.catalog_share[1],
        "tail_exposure_ratio": tail.ratio[1],
        "exposure_gini": metrics.gini(exposure),
        "long_tail": metrics.long_tail_share(table, bench.long_tail),
        "arp": metrics.average_popularity(table, bench.popularity),
        "coverage": metrics.catalog_coverage(table, bench.n_items),
        "tail_coverage": int(bench.long_tail[shown].sum()) / int(bench.long_tail.sum()),
        "tolerance_gap": float(np.mean(np.abs(own_share - ctx.tolerance))),
        "popularity_miscalibration": metrics.miscalibration(table, ctx.history, ctx.band_flags),
        "genre_miscalibration": metrics.miscalibration(table, ctx.history, bench.experiment.genres),
    }
    for attribute in ml.ATTRIBUTES:
        gap = groups[attribute]["gaps"].get("ndcg")
        row[f"{attribute}_ratio"] = math.nan if gap is None else gap["ratio"]
        row[f"{attribute}_worst"] = None if gap is None else gap["worst_group"]
    row["by_group"] = groups
    return row


def run(args: argparse.Namespace) -> dict[str, Any]:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with ml.timed(seconds, "split"):
        bench = ml.load_bench(args.datasets, args.seed, args.users)
    with ml.timed(seconds, "fit and score"):
        model = ml.fit(args.model, bench.experiment.train, args.seed)
        history = bench.history
        scores = model.score_batch(history)
    seen = history.toarray() != 0
    bands = popularity_bands(bench.popularity)
    band_flags = sparse.csr_array(
        (np.ones(len(bands)), (np.arange(len(bands)), bands)), shape=(len(bands), len(BANDS))
    )
    rated = np.split(history.indices, history.indptr[1:-1])
    tolerance = np.array([tail_tolerance(bench.long_tail, items) for items in rated])
    weights = metrics.position_weights(ml.K)
    ctx = Context(bench, history, bands, band_flags, weights, tolerance)
    rows: dict[str, list[dict[str, Any]]] = {}
    with ml.timed(seconds, "re-rank and measure"):
        for setting in settings(bench, bands):
            table, ms = ml.rerank(scores, seen, history, setting.ranker)
            row = measure(ctx, table)
            row.update({"parameter": setting.parameter, "value": setting.value, "ms_per_user": ms})
            rows.setdefault(setting.mitigation, []).append(row)
    seconds["total"] = round(time.perf_counter() - started, 3)
    return {
        "protocol": bench.protocol.name,
        "model": args.model,
        "model_config": model.config.model_dump(mode="json"),
        "seed": args.seed,
        "users": len(bench.users),
        "sampled": bench.sampled,
        "k": ml.K,
        "pool": POOL,
        "protected_group": "long tail (outside the short head of 20 % of training ratings)",
        "band_items": {name: int((bands == n).sum()) for n, name in enumerate(BANDS)},
        "mean_tail_tolerance": float(tolerance.mean()),
        "results": rows,
        "seconds": seconds,
    }


def _f(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


# Per mitigation: (heading, [(column title, key, digits)]).
TABLES: dict[str, tuple[str, list[tuple[str, str, int]]]] = {
    "fair": (
        "FA*IR (protected: long-tail films, alpha = 0.1)",
        [
            ("tail exposure share", "tail_exposure_share", 4),
            ("exposure / catalog share", "tail_exposure_ratio", 3),
            ("exposure Gini", "exposure_gini", 4),
            ("long-tail share", "long_tail", 4),
            ("gap to own tail share", "tolerance_gap", 4),
        ],
    ),
    **{
        f"debias-{variant}": (
            f"Popularity de-biasing ({variant} xQuAD)",
            [
                ("long-tail share", "long_tail", 4),
                ("ARP", "arp", 1),
                ("coverage", "coverage", 4),
                ("long-tail coverage", "tail_coverage", 4),
                ("gap to own tail share", "tolerance_gap", 4),
            ],
        )
        for variant in get_args(Variant)
    },
    "calibrate-own": (
        "Group-aware calibration over popularity bands, target: the person's own mix",
        [
            ("popularity miscalibration", "popularity_miscalibration", 4),
            ("worst/best nDCG, gender", "gender_ratio", 3),
            ("worst/best nDCG, age band", "age_band_ratio", 3),
            ("long-tail share", "long_tail", 4),
        ],
    ),
    "calibrate-catalog": (
        "Group-aware calibration over popularity bands, target: the catalog's band shares",
        [
            ("tail exposure / catalog share", "tail_exposure_ratio", 3),
            ("exposure Gini", "exposure_gini", 4),
            ("popularity miscalibration", "popularity_miscalibration", 4),
            ("worst/best nDCG, gender", "gender_ratio", 3),
            ("worst/best nDCG, age band", "age_band_ratio", 3),
            ("long-tail share", "long_tail", 4),
        ],
    ),
}


def tables(report: dict[str, Any]) -> str:
    lines = [
        f"Fairness mitigations on ml-100k ({report['protocol']} split, {report['model']}, "
        f"{report['users']} users, k = {report['k']}, pool {report['pool']})",
        f"mean P(tail|u) over the people's histories: {report['mean_tail_tolerance']:.4f}",
    ]
    for mitigation, (heading, columns) in TABLES.items():
        found = report["results"][mitigation]
        parameter = found[0]["parameter"]
        lines += ["", heading, ""]
        lines.append(
            f"| {parameter} | nDCG@10 | " + " | ".join(c[0] for c in columns) + " | ms/user |"
        )
        lines.append("| ---: | ---: |" + " ---: |" * len(columns) + " ---: |")
        for row in found:
            cells = [_f(row[key], digits) for _, key, digits in columns]
            lines.append(
                f"| {row['value']:g} | {_f(row['ndcg'])} | "
                + " | ".join(cells)
                + f" | {row['ms_per_user']:.2f} |"
            )
    lines += ["", "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report["seconds"].items())]
    return "\n".join(lines)


# Per panel: title, x label, [(mitigation, key, series label, colour, marker, every)];
# `every`: label every point with its parameter, or only the strongest setting.
Series = tuple[str, str, str, str, str, bool]
FAIR = ("fair", "FA*IR, label: p", ml.PALETTE[0], "o")
BINARY = ("debias-binary", "binary xQuAD, label: λ", ml.PALETTE[5], "s")
SMOOTH = ("debias-smooth", "smooth xQuAD, label: λ", ml.PALETTE[1], "v")
OWN = ("calibrate-own", "calibration to own mix, label: λ", ml.PALETTE[2], "^")
CATALOG = ("calibrate-catalog", "calibration to catalog shares, label: λ", ml.PALETTE[3], "D")


def _series(kind: tuple[str, str, str, str], key: str, *, every: bool = True) -> Series:
    return (kind[0], key, kind[1], kind[2], kind[3], every)


PANELS: list[tuple[str, str, list[Series]]] = [
    (
        "Fair exposure of the long tail",
        "long-tail exposure share / catalog share (1 = proportional)",
        [_series(FAIR, "tail_exposure_ratio"), _series(CATALOG, "tail_exposure_ratio")],
    ),
    (
        "Popularity de-biasing (xQuAD; FA*IR for comparison)",
        "long-tail share of the lists",
        [
            _series(BINARY, "long_tail"),
            _series(SMOOTH, "long_tail"),
            _series(FAIR, "long_tail", every=False),
        ],
    ),
    (
        "Calibrated popularity (group-aware calibration)",
        "popularity miscalibration against own history (KL)",
        [_series(OWN, "popularity_miscalibration")],
    ),
    (
        "Inequality of item exposure",
        "Gini of item exposure (lower is more equal)",
        [_series(FAIR, "exposure_gini"), _series(CATALOG, "exposure_gini")],
    ),
    (
        "Every mitigation on one scale (labels: strongest setting)",
        "average recommendation popularity (ARP, raters per film)",
        [
            _series(FAIR, "arp", every=False),
            _series(BINARY, "arp", every=False),
            _series(SMOOTH, "arp", every=False),
            _series(OWN, "arp", every=False),
            _series(CATALOG, "arp", every=False),
        ],
    ),
    (
        "Users' groups under group-aware calibration",
        "worst/best nDCG@10 ratio between age bands",
        [_series(OWN, "age_band_ratio"), _series(CATALOG, "age_band_ratio")],
    ),
]
# A panel's reference line, drawn vertically: (report key, legend label).
REFERENCES = {
    "Popularity de-biasing (xQuAD; FA*IR for comparison)": (
        "mean_tail_tolerance",
        "people's mean P(tail|u)",
    ),
}
# Where a panel's legend goes when matplotlib's "best" would cover points.
LEGEND_AT = {"Popularity de-biasing (xQuAD; FA*IR for comparison)": "lower left"}


def plot(report: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(15, 10), layout="constrained")
    axes = figure.subplots(2, 3)
    for ax, (title, xlabel, series) in zip(axes.ravel(), PANELS, strict=True):
        for n, (mitigation, key, label, colour, marker, every) in enumerate(series):
            found = report["results"][mitigation]
            xs = [row[key] for row in found]
            ys = [row["ndcg"] for row in found]
            ax.plot(xs, ys, marker=marker, color=colour, label=label, markersize=6, linewidth=1.5)
            # Alternate sides so that two series' labels do not sit on each other.
            if not every:  # a crowded panel: only the strongest setting is named
                found, xs, ys = found[-1:], xs[-1:], ys[-1:]
            _label_points(ax, found, xs, ys, colour, left=n % 2 == 1)
        if title in REFERENCES:
            key, label = REFERENCES[title]
            ax.axvline(report[key], color="#777777", linestyle="--", linewidth=1)
            ax.text(
                report[key],
                0.72,
                label + " ",
                transform=ax.get_xaxis_transform(),  # x in data, y in axes fractions
                rotation=90,
                ha="right",
                va="center",
                fontsize=9,
                color="#555555",
            )
        ax.margins(x=0.06, y=0.08)  # room for the labels of the points at the edges
        ax.set_title(title, fontsize=11.5)
        ax.set_xlabel(xlabel, fontsize=11)
        ax.set_ylabel("nDCG@10", fontsize=11)
        ax.legend(fontsize=9, loc=LEGEND_AT.get(title, "best"))
    figure.suptitle(
        f"Accuracy against fairness on ml-100k ({report['model']}, {report['users']} users, "
        f"k = {report['k']}, re-ranking the {report['pool']} best); each point is one setting, "
        "labelled with its parameter",
        fontsize=13,
    )
    ml.style(figure)
    return figure


def _label_points(
    ax: Any,
    rows: list[dict[str, Any]],
    xs: list[float],
    ys: list[float],
    colour: str,
    *,
    left: bool,
) -> None:
    """Label each point with its parameter; settings that give the same point share one
    label ("0-0.2"), and a point too close to the previous label is left unlabelled."""
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    runs: list[tuple[float, float, list[float]]] = []
    for row, x, y in zip(rows, xs, ys, strict=True):
        if runs and math.isclose(runs[-1][0], x) and math.isclose(runs[-1][1], y):
            runs[-1][2].append(row["value"])
        else:
            runs.append((x, y, [row["value"]]))
    last: tuple[float, float] | None = None
    for x, y, values in runs:
        if (
            last is not None
            and abs(x - last[0]) / span_x < 0.05
            and abs(y - last[1]) / span_y < 0.05
        ):
            continue
        last = (x, y)
        text = f"{values[0]:g}" if len(values) == 1 else f"{values[0]:g}-{values[-1]:g}"
        ax.annotate(
            text,
            (x, y),
            textcoords="offset points",
            xytext=(-6, -13) if left else (6, 4),
            ha="right" if left else "left",
            fontsize=9,
            color=colour,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--model", default="ease")
    parser.add_argument("--users", type=int, default=0, help="seeded sample size (0: all)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=Path("docs/img/fairness-tradeoffs.svg"))
    parser.add_argument("--png", type=Path, default=None, help="also write the figure as PNG")
    args = parser.parse_args()

    ml.finish(run(args), args, tables, plot)


if __name__ == "__main__":
    main()
