"""The price of privacy: what each personalization level serves on ml-100k, measured.

    .venv/bin/python bench/price_of_privacy.py [--datasets ../shared/datasets] [--model ease]
        [--rated-share 0.5] [--users 0] [--seed 42] [--json PATH]
        [--epsilon 1.0] [--min-cohort 50] [--max-items 20] [--candidates 50] [--releases 5]
        [--plot docs/img/price-of-privacy.svg] [--png PATH]

Tactful's levels differ by the data categories a decision may use (`consent/levels.py`,
`signals/selection.py`): `off` uses none and serves the popular list, the same for
everyone; `basic` uses explicit signals (purchases and ratings, every rating whatever its
stars, a rating below 2.5 weighing 1 instead of 4: `signals/weights.py`); `full` adds the
behavioural ones (views, clicks, carts, searches).

ml-100k holds one kind of record, a rating, and every film a user watched is rated, so
imported as it is (`tactful import movielens`) basic and full would train on the same
matrix. To see what the behavioural signals add, each rating is read as two signals a
service would record apart: the watching (a view, behavioural, weight 1) and the explicit
rating, which people give for only part of what they watch. Which part is not in the data;
the bench draws it at random, a seeded `--rated-share` of the training ratings (0.5 by
default; the variants table sweeps it, and tries "only ratings of 4 or 5 were given"). So:

* off: the popularity ranking of the training data (count of raters), no exclusion (at
  off Tactful reads no signal, so it cannot know what the person has seen);
* basic: the personal model (`--model`, default ease with its default config) trained on
  the explicit ratings with Tactful's weights; each list leaves out the rated films; a user
  with no rating left gets the off list, as Tactful falls back to popular;
* full: the same model trained on the ratings plus a view of every watched film; each list
  leaves out every watched film;
* aggregate: Tactful's cohort trends (`tactful.privacy`, the code serving uses: the public
  candidate set, contribution bounding, OpenDP's discrete Laplace, the noisy k-threshold,
  the population fallback). Only the first `--candidates` films of off's popular list are
  counted (0: every film); the others follow them in that list's order.
  Cohorts are a user's age band and region, the region being the first character of their
  zip code (a digit 0-9 for US zips: ten declared regions; the few Canadian and other
  postcodes start with a letter, so those users have no cohort and get the population's
  trends). Every adult's training ratings are counted, each as a rating with Tactful's
  weights, so a person's `--max-items` strongest are their best-rated films; minors are
  never counted, as Tactful never counts them, and are served the population's trends
  (Tactful would serve them off). Lists exclude nothing (as off: the level reads nothing
  of the person). DP noise is random and OpenDP cannot be seeded, so the level is released
  `--releases` times and the table gives the mean (the spread under it, and in the
  variants, which sweep epsilon, k and the candidates).

Each level is measured as if everyone chose it. Relevance is the same at every level:
every test rating of the msr-ml100k split (`bench/_ml100k.py`). Miscalibration is measured
against everything the person watched in training at every level.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import _ml100k as ml
import numpy as np
from matplotlib.figure import Figure
from scipy import sparse

from tactful.candidates.base import History, IndexArray, Interactions
from tactful.domain.events import EventType
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.evaluation.data import subject_id
from tactful.pipeline.models import FixedRanking
from tactful.privacy import CohortConfig, CohortTrends
from tactful.training.columns import TYPE_CODES
from tactful.training.policies import WeightTable

LEVELS = ("off", "aggregate", "basic", "full")
ACCURACY = ("ndcg", "precision", "recall", "hit_rate")
BEYOND = ("coverage", "arp", "long_tail", "ild", "novelty", "miscalibration")
TITLES = {
    "ndcg": "nDCG@10",
    "precision": "precision@10",
    "recall": "recall@10",
    "hit_rate": "hit rate@10",
    "coverage": "catalog coverage",
    "arp": "avg. rec. popularity (ARP)",
    "long_tail": "long-tail share",
    "ild": "intra-list diversity",
    "novelty": "novelty (bits)",
    "miscalibration": "miscalibration (genres)",
}
RATED_SHARES = (0.1, 0.25, 0.5, 0.75, 1.0)
EPSILONS = (0.1, 0.5, 1.0, 2.0, 8.0)
MIN_COHORTS = (20, 100)
CANDIDATES = (20, 50, 100, 200, 500, 0)
REGIONS = tuple(str(d) for d in range(10))  # a US zip code's first digit


class Signals:
    """The training signals each level may use, over the training matrix's cells."""

    def __init__(self, bench: ml.Bench, explicit: np.ndarray) -> None:
        self.bench = bench
        self.explicit = explicit  # per training rating: was it given as a rating?
        rating = np.full(len(explicit), TYPE_CODES[EventType.RATING.value], dtype=np.int8)
        self.rating_weights = WeightTable().weights(rating, bench.train_stars).astype(np.float64)

    def basic(self) -> ml.Interactions:
        keep = self.explicit
        b = self.bench
        return ml.interactions(b, b.train_rows[keep], b.train_cols[keep], self.rating_weights[keep])

    def full(self) -> ml.Interactions:
        b = self.bench
        keep = self.explicit
        view = WeightTable().weights(
            np.full(len(keep), TYPE_CODES[EventType.VIEW.value], dtype=np.int8),
            np.full(len(keep), np.nan),
        )
        rows = np.concatenate([b.train_rows[keep], b.train_rows])
        cols = np.concatenate([b.train_cols[keep], b.train_cols])
        weights = np.concatenate([self.rating_weights[keep], view.astype(np.float64)])
        return ml.interactions(b, rows, cols, weights)


def random_share(bench: ml.Bench, share: float) -> np.ndarray:
    """Each training rating given as a rating with probability `share` (seeded)."""
    draws = np.random.default_rng(bench.seed).random(len(bench.train_stars))
    flags: np.ndarray = draws < share
    return flags


def off_table(bench: ml.Bench, seen: sparse.csr_array | None = None) -> IndexArray:
    """The popular list (Tactful's popularity model, count of raters) for every user."""
    model = ml.fit("popularity", bench.experiment.train, bench.seed)
    scores = np.tile(model.score_batch(bench.history[:1]), (len(bench.users), 1))
    exclude = None if seen is None else seen.toarray() != 0
    return ml.rank(scores, exclude)


def personal_tables(
    bench: ml.Bench,
    model_name: str,
    data: ml.Interactions,
    excludes: list[sparse.csr_array],
    fallback: IndexArray,
) -> tuple[list[IndexArray], int]:
    """The personal model's lists, one table per exclusion rule, and how many users had no
    signal at all (they get `fallback`, the popular list, as Tactful serves them)."""
    model = ml.fit(model_name, data, bench.seed)
    histories = sparse.csr_array(data.matrix[bench.rows])
    scores = model.score_batch(histories)
    empty = np.diff(histories.indptr) == 0
    out = []
    for exclude in excludes:
        table = ml.rank(scores, exclude.toarray() != 0)
        table[empty] = fallback[empty]
        out.append(table)
    return out, int(empty.sum())


class Cohorts:
    """The aggregate level on ml-100k: who counts, each user's cohort, and the releases."""

    def __init__(self, bench: ml.Bench, explicit_weights: np.ndarray) -> None:
        self.bench = bench
        ages = _user_column(bench, 1)
        zips = _user_column(bench, 4)
        train = bench.experiment.train
        self.attributes = [
            SubjectAttributes(
                age_band=AgeBand.from_age(int(ages[str(s)])), region=zips[str(s)][:1] or None
            )
            for s in train.subject_ids
        ]
        adult = np.array([not a.is_minor for a in self.attributes])
        keep = adult[bench.train_rows]
        # Every adult's training ratings, weighted as ratings; minors are never counted.
        self.data = ml.interactions(
            bench, bench.train_rows[keep], bench.train_cols[keep], explicit_weights[keep]
        )
        self.signals = int(keep.sum())
        # The public candidate set's source: off's popular list, ranked as Tactful serves it.
        popular = ml.fit("popularity", train, bench.seed).score(History.empty())
        order = FixedRanking.of(popular).order
        self.public_order = [str(train.item_ids[c]) for c in order.tolist()]

    def release(
        self, epsilon: float, min_cohort: int, max_items: int, candidates: int
    ) -> tuple[IndexArray, int]:
        """One release, and every evaluated user's list from it (and how many got the
        population's trends)."""
        config = CohortConfig(
            epsilon=epsilon,
            min_cohort=min_cohort,
            max_items=max_items,
            regions=REGIONS,
            candidates=candidates,
        )
        spec = config.spec
        ids = self.data.subject_ids
        cohorts = {
            str(ids[n]): key
            for n, attributes in enumerate(self.attributes)
            if (key := spec.key_of(attributes)) is not None
        }
        # The rows of users with no rating left (all minors' rows) are simply empty.
        model = CohortTrends(config, cohorts, self.public_order).fit(
            Interactions(ids, self.data.item_ids, self.data.matrix)
        )
        table = np.full((len(self.bench.users), ml.K), -1, dtype=np.int64)
        lists: dict[object, IndexArray] = {}
        on_population = 0
        for n, row in enumerate(self.bench.rows.tolist()):
            key = spec.key_of(self.attributes[row])
            scores, basis = model.scores_for(key)
            on_population += basis != "cohort"
            found = lists.get(key if basis == "cohort" else None)
            if found is None:
                found = ml.rank(scores[None, :], None)[0]
                lists[key if basis == "cohort" else None] = found
            table[n] = found
        return table, on_population


def _user_column(bench: ml.Bench, column: int) -> dict[str, str]:
    """One field of u.user per training subject id (1: age, 4: zip code)."""
    out = {}
    for line in (bench.dataset.folder / "u.user").read_text(encoding="latin-1").splitlines():
        fields = line.split("|")
        if len(fields) >= 5:
            out[subject_id(int(fields[0]))] = fields[column].strip()
    return out


def measure_releases(
    bench: ml.Bench,
    cohorts: Cohorts,
    runs: int,
    epsilon: float,
    min_cohort: int,
    max_items: int,
    candidates: int,
) -> dict[str, Any]:
    """The mean of each metric over `runs` releases, their spread (standard deviation), and
    nDCG by group on each user's mean nDCG."""
    rows, per_user, on_population = [], [], []
    for _ in range(runs):
        table, population = cohorts.release(epsilon, min_cohort, max_items, candidates)
        rows.append(measure(bench, table, groups=False))
        per_user.append(ml.accuracy(bench, table)["ndcg"])
        on_population.append(population)
    names = (*ACCURACY, *BEYOND)
    out: dict[str, Any] = {m: float(np.mean([r[m] for r in rows])) for m in names}
    out["spread"] = {m: float(np.std([r[m] for r in rows])) for m in names}
    with np.errstate(invalid="ignore"):
        mean_ndcg = np.nanmean(np.vstack(per_user), axis=0) if runs > 1 else per_user[0]
    out["by_group"] = ml.by_group(bench, {"ndcg": mean_ndcg})
    out["signals"] = cohorts.signals
    out["users_without_signal"] = round(float(np.mean(on_population)))
    out["releases"] = runs
    out["epsilon"], out["min_cohort"], out["max_items"] = epsilon, min_cohort, max_items
    out["candidates"] = candidates
    return out


def aggregate_variants(
    args: argparse.Namespace,
    bench: ml.Bench,
    cohorts: Cohorts,
    main: dict[str, Any],
    variants: dict[str, dict[str, Any]],
) -> None:
    """The aggregate level swept over epsilon, k and the candidate set's size."""
    k, m, c, runs = args.min_cohort, args.max_items, args.candidates, args.releases

    def words(candidates: int) -> str:
        return f"{candidates} candidates" if candidates else "every film counted"

    for epsilon in EPSILONS:
        name = f"aggregate, \u03b5 = {epsilon:g} (k = {k}, {words(c)})"
        variants[name] = (
            main
            if epsilon == args.epsilon
            else measure_releases(bench, cohorts, runs, epsilon, k, m, c)
        )
    for candidates in CANDIDATES:
        if candidates != c:
            name = f"aggregate, {words(candidates)} (\u03b5 = {args.epsilon:g}, k = {k})"
            variants[name] = measure_releases(bench, cohorts, runs, args.epsilon, k, m, candidates)
    if args.epsilon != 2.0:
        name = f"aggregate, every film counted (\u03b5 = 2, k = {k})"
        variants[name] = measure_releases(bench, cohorts, runs, 2.0, k, m, 0)
    for size in MIN_COHORTS:
        variants[f"aggregate, k = {size} (\u03b5 = {args.epsilon:g}, {words(c)})"] = (
            measure_releases(bench, cohorts, runs, args.epsilon, size, m, c)
        )
    # Practically without noise (scale 0.5): what bounding and cohorts alone cost.
    variants[f"aggregate, \u03b5 = 100 (near no noise, {words(c)})"] = measure_releases(
        bench, cohorts, 1, 100.0, k, m, c
    )


def measure(bench: ml.Bench, table: IndexArray, groups: bool = True) -> dict[str, Any]:
    per_user = ml.accuracy(bench, table)
    row: dict[str, Any] = {name: ml.mean(per_user[name]) for name in ACCURACY}
    row.update(ml.beyond(bench, table))
    if groups:
        row["by_group"] = ml.by_group(bench, {"ndcg": per_user["ndcg"]})
    return row


def run(args: argparse.Namespace) -> dict[str, Any]:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with ml.timed(seconds, "split"):
        bench = ml.load_bench(args.datasets, args.seed, args.users)
    watched = bench.history
    results: dict[str, dict[str, Any]] = {}
    with ml.timed(seconds, "off"):
        off = off_table(bench)
        results["off"] = measure(bench, off)
        results["off"]["signals"] = 0
        results["off"]["users_without_signal"] = len(bench.users)
    with ml.timed(seconds, "aggregate"):
        everyone = np.ones(len(bench.train_stars), dtype=np.bool_)
        cohorts = Cohorts(bench, Signals(bench, everyone).rating_weights)
        c = args.candidates
        results["aggregate"] = measure_releases(
            bench, cohorts, args.releases, args.epsilon, args.min_cohort, args.max_items, c
        )

    def levels(explicit: np.ndarray) -> dict[str, dict[str, Any]]:
        signals = Signals(bench, explicit)
        basic_data, full_data = signals.basic(), signals.full()
        rated = sparse.csr_array(basic_data.matrix[bench.rows])
        (basic, basic_oracle), no_signal = personal_tables(
            bench, args.model, basic_data, [rated, watched], off
        )
        # Tactful's guardrails leave out only what the person bought or rated
        # (`guardrails.filters.owned_items`), so at full a watched film without a rating
        # can come back: the second table.
        (full, full_today), _ = personal_tables(bench, args.model, full_data, [watched, rated], off)
        out = {
            "basic": measure(bench, basic),
            "basic_watched_excluded": measure(bench, basic_oracle),
            "full": measure(bench, full),
            "full_rated_excluded": measure(bench, full_today),
        }
        for name, row in out.items():
            row["signals"] = int((basic_data if name.startswith("basic") else full_data).matrix.nnz)
            row["users_without_signal"] = no_signal if name.startswith("basic") else 0
        return out

    with ml.timed(seconds, "basic and full"):
        main = levels(random_share(bench, args.rated_share))
    results["basic"], results["full"] = main["basic"], main["full"]

    variants: dict[str, dict[str, Any]] = {}
    with ml.timed(seconds, "variants"):
        for share in RATED_SHARES:
            found = main if share == args.rated_share else levels(random_share(bench, share))
            variants[f"basic, rated share {share:g}"] = found["basic"]
        liked = levels(bench.train_stars >= 4)
        variants["basic, only ratings of 4-5 given"] = liked["basic"]
        variants["basic, if its unrated watched films could be excluded"] = main[
            "basic_watched_excluded"
        ]
        variants["full, only rated films excluded (Tactful's filter today)"] = main[
            "full_rated_excluded"
        ]
        seen_off = measure(bench, off_table(bench, watched))
        seen_off["signals"] = 0
        seen_off["users_without_signal"] = len(bench.users)
        variants["off, if watched films could be excluded"] = seen_off
    with ml.timed(seconds, "aggregate variants"):
        if not args.no_variants:
            aggregate_variants(args, bench, cohorts, results["aggregate"], variants)
    seconds["total"] = round(time.perf_counter() - started, 3)
    return {
        "protocol": bench.protocol.name,
        "model": args.model,
        "rated_share": args.rated_share,
        "aggregate": {
            "epsilon": args.epsilon,
            "min_cohort": args.min_cohort,
            "max_items": args.max_items,
            "candidates": args.candidates,
            "releases": args.releases,
            "regions": "first character of the zip code (0-9 declared)",
        },
        "seed": args.seed,
        "users": len(bench.users),
        "sampled": bench.sampled,
        "k": ml.K,
        "train_ratings": len(bench.train_stars),
        "levels": results,
        "variants": variants,
        "seconds": seconds,
    }


NONE = "-"


def _cell(value: float, digits: int = 4) -> str:
    return NONE if value is None or math.isnan(value) else f"{value:.{digits}f}"


def tables(report: dict[str, Any]) -> str:
    levels = report["levels"]
    lines = [
        f"Price of privacy on ml-100k ({report['protocol']} split, {report['model']}, "
        f"{report['users']} users, rated share {report['rated_share']:g})",
        "",
        "| level | training signals | nDCG@10 | P@10 | R@10 | hit rate | coverage | ARP "
        "| long tail | ILD | novelty | miscalibration |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in LEVELS:
        row = levels[level]
        if "status" in row:
            lines.append(f"| {level} | {row['status']} |" + " |" * 10)
            continue
        cells = [_cell(row[m]) for m in ACCURACY]
        cells += [_cell(row[m], 1 if m == "arp" else 4) for m in BEYOND]
        signals = f"{row['signals']:,}" if row["signals"] else "none"
        lines.append(f"| {level} | {signals} | " + " | ".join(cells) + " |")
    aggregate = levels["aggregate"]
    if "spread" in aggregate:
        spread = aggregate["spread"]
        lines += [
            "",
            f"aggregate: mean of {aggregate['releases']} releases (\u03b5 = "
            f"{aggregate['epsilon']:g}, k = {aggregate['min_cohort']}, at most "
            f"{aggregate['max_items']} items a person, {aggregate['candidates'] or 'every'} "
            "candidate films); standard deviation: "
            + ", ".join(f"{TITLES[m]} {_cell(spread[m], 4)}" for m in ("ndcg", "hit_rate"))
            + f", coverage {_cell(spread['coverage'], 4)}; users served the population's "
            f"trends: {aggregate['users_without_signal']} of {report['users']}",
        ]
    lines += ["", "nDCG@10 by group (groups of 20 users or more take part in the gap):", ""]
    for attribute in ml.ATTRIBUTES:
        groups = sorted(levels["off"]["by_group"][attribute]["groups"])
        lines.append(f"| {attribute} | " + " | ".join(LEVELS) + " |")
        lines.append("| --- |" + " ---: |" * len(LEVELS))
        for group in groups:
            cells = []
            for level in LEVELS:
                row = levels[level]
                if "status" in row:
                    cells.append(NONE)
                    continue
                stats = row["by_group"][attribute]["groups"][group]
                cells.append(f"{_cell(stats['metrics']['ndcg'])} ({stats['users']})")
            lines.append(f"| {group} | " + " | ".join(cells) + " |")
        gaps = []
        for level in LEVELS:
            gap = levels[level].get("by_group", {}).get(attribute, {}).get("gaps", {})
            gap = gap.get("ndcg")
            gaps.append(NONE if gap is None else f"{_cell(gap['ratio'], 3)} ({gap['worst_group']})")
        lines.append("| worst/best ratio | " + " | ".join(gaps) + " |")
        lines.append("")
    lines += [
        "Variants:",
        "",
        "| variant | training signals | users on the popular list | nDCG@10 | hit rate "
        "| coverage | long tail | miscalibration |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in report["variants"].items():
        signals = f"{row['signals']:,}" if row["signals"] else "none"
        ndcg = _cell(row["ndcg"])
        if row.get("releases", 1) > 1:
            ndcg += f" \u00b1 {_cell(row['spread']['ndcg'])}"
        lines.append(
            f"| {name} | {signals} | {row['users_without_signal']} "
            f"| {ndcg} | {_cell(row['hit_rate'])} "
            f"| {_cell(row['coverage'])} | {_cell(row['long_tail'])} "
            f"| {_cell(row['miscalibration'])} |"
        )
    seconds = report["seconds"]
    lines += ["", "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())]
    return "\n".join(lines)


def plot(report: dict[str, Any]) -> Figure:
    """One small panel per metric, a bar per level; below, nDCG@10 per age band and level."""
    levels = [lv for lv in LEVELS if "status" not in report["levels"][lv]]
    colours = {
        "off": ml.PALETTE[1],
        "aggregate": ml.PALETTE[2],
        "basic": ml.PALETTE[4],
        "full": ml.PALETTE[0],
    }
    figure = Figure(figsize=(13, 9.5), layout="constrained")
    grid = figure.add_gridspec(3, 5, height_ratios=(1, 1, 1.25))
    names = (*ACCURACY, *BEYOND)
    for n, name in enumerate(names):
        ax = figure.add_subplot(grid[n // 5, n % 5])
        values = [report["levels"][lv][name] for lv in levels]
        bars = ax.bar(levels, values, color=[colours[lv] for lv in levels], width=0.7)
        digits = 0 if name == "arp" else (2 if name == "novelty" else 3)
        ax.bar_label(bars, labels=[f"{v:.{digits}f}" for v in values], fontsize=9, padding=2)
        ax.set_title(TITLES[name], fontsize=11)
        ax.set_ylim(0, max(values) * 1.2)
        ax.tick_params(axis="x", labelsize=10, labelrotation=30)
    ax = figure.add_subplot(grid[2, :])
    groups = [("gender", g) for g in ("female", "male")]
    groups += [("age_band", b) for b in _BANDS]
    width = 0.8 / len(levels)
    x = np.arange(len(groups), dtype=np.float64)
    x[2:] += 0.6  # a gap between the gender and the age-band groups
    for n, lv in enumerate(levels):
        found = report["levels"][lv]["by_group"]
        values = [found[a]["groups"][g]["metrics"]["ndcg"] for a, g in groups]
        offset = (n - (len(levels) - 1) / 2) * width
        ax.bar(x + offset, values, width, label=lv, color=colours[lv])
    found = report["levels"]["off"]["by_group"]
    ticks = [f"{g.replace('_', ' ')}\n({found[a]['groups'][g]['users']} users)" for a, g in groups]
    ax.set_xticks(x, ticks)
    ax.set_ylabel("nDCG@10", fontsize=11)
    ax.set_title(
        "nDCG@10 by gender and age band (Tactful never profiles minors: under 18 gets off "
        "whatever they consent to)",
        fontsize=11,
    )
    ax.legend(title="level", fontsize=10, title_fontsize=10, ncols=4, loc="upper right")
    ax.set_ylim(0, 0.7)
    figure.suptitle(
        f"The price of privacy on ml-100k ({report['model']}, {report['users']} users, k = 10)\n"
        f"aggregate: cohort trends with differential privacy (\u03b5 = "
        f"{report['aggregate']['epsilon']:g}, k = {report['aggregate']['min_cohort']}, mean of "
        f"{report['aggregate']['releases']} releases); basic sees the ratings (given for a "
        f"random {report['rated_share']:.0%} of watched films), full also every watched film",
        fontsize=12,
    )
    ml.style(figure)
    return figure


_BANDS = ("under_18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--model", default="ease")
    parser.add_argument("--rated-share", type=float, default=0.5,
                        help="share of the watched films a person rates")  # fmt: skip
    parser.add_argument("--users", type=int, default=0, help="seeded sample size (0: all)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epsilon", type=float, default=1.0,
                        help="aggregate: privacy budget of one release")  # fmt: skip
    parser.add_argument("--min-cohort", type=int, default=50,
                        help="aggregate: noisy size a cohort needs (k)")  # fmt: skip
    parser.add_argument("--max-items", type=int, default=20,
                        help="aggregate: most items one person counts")  # fmt: skip
    parser.add_argument("--candidates", type=int, default=50,
                        help="aggregate: films counted, off's top (0: all)")  # fmt: skip
    parser.add_argument("--no-variants", action="store_true",
                        help="aggregate: skip its sweeps (epsilon, k, candidates)")  # fmt: skip
    parser.add_argument("--releases", type=int, default=5,
                        help="aggregate: releases averaged (the noise is random)")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=Path("docs/img/price-of-privacy.svg"))
    parser.add_argument("--png", type=Path, default=None, help="also write the figure as PNG")
    args = parser.parse_args()
    if not 0.0 < args.rated_share <= 1.0:
        parser.error("--rated-share must lie in (0, 1]")
    if not 0.0 < args.epsilon <= 100.0 or args.min_cohort < 1 or args.max_items < 1:
        parser.error("--epsilon must lie in (0, 100], --min-cohort and --max-items >= 1")
    if args.candidates < 0:
        parser.error("--candidates must be at least 0 (0: every film)")
    if args.releases < 1:
        parser.error("--releases must be at least 1")

    ml.finish(run(args), args, tables, plot)


if __name__ == "__main__":
    main()
