"""Scale run: a synthetic shop of 1M subjects, 50k items and 20M events, end to end.

    .venv/bin/python bench/scale.py [--subjects 1000000] [--items 50000] [--events 20000000]
        [--data-dir bench/out/scale] [--reuse] [--json FILE] [--model als]

Generates the shop in batches (numpy, one seed), loads it through the real Python API
(`Tactful.ingest_items`, `ingest_subjects`, `import_consents`, then events through
`Tactful.ingest_events` and `Tactful.add_events`: both are timed on a sample and the faster
one loads the rest), withdraws some grants after the events are stored, trains with
`Tactful.train` (popularity and the personal model) and times `Tactful.recommend` in-process
for random subjects. Peak memory is the resident-set high-water mark (VmHWM), reset before
each phase, plus the children's (getrusage). Small runs (`--subjects 20000 --items 2000
--events 400000`) make a smoke test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import (
    ANALYTICS_AGGREGATE,
    MARKETING_EMAIL,
    PERSONALIZATION_BEHAVIORAL,
    PERSONALIZATION_EXPLICIT,
    sensitive_purpose_code,
)
from tactful.service import IngestResult, Tactful
from tactful.settings import Settings

IntArray = npt.NDArray[np.int64]
SEED = 20261201
# Plain categories, then sensitive ones (category, sensitive category): about a tenth.
PLAIN = (
    "books", "music", "games", "electronics", "kitchen", "home", "garden", "toys", "baby",
    "fashion", "beauty", "sports", "outdoors", "office", "automotive", "pet_supplies",
    "grocery", "stationery", "tools", "travel",
)  # fmt: skip
SENSITIVE = (
    ("pharmacy", "health"),
    ("wine_spirits", "alcohol"),
    ("betting", "gambling"),
    ("slimming", "weight_loss"),
    ("intimacy", "sexual_wellness"),
)
AGE_BANDS = ("under_18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", None)
AGE_P = (0.03, 0.14, 0.24, 0.21, 0.16, 0.12, 0.08, 0.02)
# Consent classes, as in the demo: no choice, denial, basic, full.
NONE, DENY, BASIC, FULL = 0, 1, 2, 3
CLASS_P = (0.35, 0.15, 0.20, 0.30)
CLASS_ACTIVITY = np.array([1.0, 0.9, 1.2, 1.4])
TYPES = (
    EventType.VIEW,
    EventType.CLICK,
    EventType.ADD_TO_CART,
    EventType.PURCHASE,
    EventType.RATING,
    EventType.SEARCH,
)
TYPE_P = (0.62, 0.18, 0.08, 0.06, 0.03, 0.03)
STARS = np.arange(1, 11) / 2.0
STARS_P = np.array([1, 1, 2, 2, 4, 5, 9, 12, 14, 10], dtype=float)
BATCH = 10_000
DAYS = 180


# --------------------------------------------------------------------------- the shop


@dataclass(frozen=True)
class Shop:
    """Everything drawn once; events are drawn batch by batch from it."""

    n_events: int
    batch: int  # rows per ingestion call
    item_ids: list[str]
    item_category: IntArray  # index into PLAIN + SENSITIVE
    item_cum: npt.NDArray[np.float64]  # cumulative popularity, items grouped by category
    category_bounds: npt.NDArray[np.float64]  # cumulative mass where each category starts
    subject_ids: list[str]
    age: IntArray  # index into AGE_BANDS
    consent_class: IntArray
    favourites: IntArray  # (n_subjects, 2) category indices
    activity_cum: npt.NDArray[np.float64]
    opt_in: IntArray  # sensitive category index opted into, or -1
    self_excluded: IntArray  # sensitive category index denied, or -1
    u: npt.NDArray[np.float64]  # (n_subjects, 4) uniforms for the consent draws
    start: datetime


def make_shop(
    n_subjects: int, n_items: int, n_events: int, batch: int = BATCH, seed: int = SEED
) -> Shop:
    rng = np.random.default_rng(seed)
    n_cat = len(PLAIN) + len(SENSITIVE)
    sensitive_share = 0.1
    cat_p = np.concatenate(
        [
            np.full(len(PLAIN), (1 - sensitive_share) / len(PLAIN)),
            np.full(len(SENSITIVE), sensitive_share / len(SENSITIVE)),
        ]
    )
    category = np.sort(rng.choice(n_cat, n_items, p=cat_p))
    rank = rng.permutation(n_items)
    popularity = 1.0 / (rank + 10.0) ** 0.9
    popularity[category >= len(PLAIN)] *= 0.3  # sensitive items are niche
    item_cum = np.cumsum(popularity)
    starts = np.searchsorted(category, np.arange(n_cat + 1))
    bounds = np.concatenate([[0.0], item_cum])[starts]
    width = len(str(n_items))
    age = rng.choice(len(AGE_BANDS), n_subjects, p=AGE_P)
    minor = age == 0
    cls = rng.choice(4, n_subjects, p=CLASS_P)
    cls = np.where(minor & (cls == BASIC), DENY, cls)
    cls = np.where(minor & (cls == FULL), NONE, cls)
    activity = rng.lognormal(0.0, 1.1, n_subjects) * CLASS_ACTIVITY[cls]
    adult_granting = (cls == BASIC) | (cls == FULL)
    extra = rng.random(n_subjects)
    which = rng.integers(0, len(SENSITIVE), n_subjects)
    opt_in = np.where(adult_granting & (extra < 0.06), which, -1)
    self_excluded = np.where(adult_granting & (extra >= 0.06) & (extra < 0.085), which, -1)
    favourites = rng.choice(len(PLAIN), (n_subjects, 2))
    favourites[opt_in >= 0, 1] = len(PLAIN) + opt_in[opt_in >= 0]
    swidth = len(str(n_subjects))
    return Shop(
        n_events=n_events,
        batch=batch,
        item_ids=[f"i{n:0{width}d}" for n in range(n_items)],
        item_category=category.astype(np.int64),
        item_cum=item_cum,
        category_bounds=bounds,
        subject_ids=[f"s{n:0{swidth}d}" for n in range(n_subjects)],
        age=age.astype(np.int64),
        consent_class=cls.astype(np.int64),
        favourites=favourites.astype(np.int64),
        activity_cum=np.cumsum(activity),
        opt_in=opt_in.astype(np.int64),
        self_excluded=self_excluded.astype(np.int64),
        u=rng.random((n_subjects, 4)),
        start=datetime.now(UTC).replace(microsecond=0) - timedelta(days=DAYS + 1),
    )


def item_rows(shop: Shop) -> Iterator[list[dict[str, Any]]]:
    names = PLAIN + tuple(c for c, _ in SENSITIVE)
    rng = np.random.default_rng(SEED + 1)
    editorial = rng.random(len(shop.item_ids)) < 0.002
    for start in range(0, len(shop.item_ids), shop.batch):
        rows = []
        for n in range(start, min(start + shop.batch, len(shop.item_ids))):
            c = int(shop.item_category[n])
            sensitive = [SENSITIVE[c - len(PLAIN)][1]] if c >= len(PLAIN) else []
            rows.append(
                {
                    "item_id": shop.item_ids[n],
                    "title": f"{names[c].replace('_', ' ').title()} item {n}",
                    "category": names[c],
                    "provider": f"maker-{n % 97}",
                    "tags": [names[c]],
                    "sensitive": sensitive,
                    "editorial": bool(editorial[n]) and not sensitive,
                }
            )
        yield rows


def subject_rows(shop: Shop) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(shop.subject_ids), shop.batch):
        end = min(start + shop.batch, len(shop.subject_ids))
        yield [
            {"subject_id": shop.subject_ids[n], "age_band": AGE_BANDS[int(shop.age[n])]}
            for n in range(start, end)
        ]


def consent_records(shop: Shop, notice: str, *, withdrawals: bool) -> Iterator[ConsentRecord]:
    """The choices made at sign-up (or, with `withdrawals`, the grants withdrawn later)."""
    g, d, w = ConsentStatus.GRANTED, ConsentStatus.DENIED, ConsentStatus.WITHDRAWN
    web = ConsentMethod.WEB_FORM
    at = shop.start - timedelta(days=1)
    later = shop.start + timedelta(days=DAYS)
    for n, sid in enumerate(shop.subject_ids):
        cls = int(shop.consent_class[n])
        u = shop.u[n]
        if withdrawals:
            if cls in (BASIC, FULL) and u[3] < 0.08:
                purpose = PERSONALIZATION_EXPLICIT if u[3] < 0.04 else ANALYTICS_AGGREGATE
                if cls == FULL and u[3] < 0.015:
                    purpose = PERSONALIZATION_BEHAVIORAL
                yield ConsentRecord(sid, purpose, w, notice, web, later)
            continue
        if cls == NONE:
            continue
        choices: list[tuple[str, ConsentStatus]]
        if cls == DENY:
            choices = [(PERSONALIZATION_EXPLICIT, d), (PERSONALIZATION_BEHAVIORAL, d)]
            if u[0] < 0.25 and shop.age[n] != 0:
                choices.append((ANALYTICS_AGGREGATE, g))
        else:
            choices = [
                (PERSONALIZATION_EXPLICIT, g),
                (PERSONALIZATION_BEHAVIORAL, g if cls == FULL else d),
            ]
            yes, no = (0.8, 0.9) if cls == FULL else (0.6, 0.75)
            if u[0] < no:
                choices.append((ANALYTICS_AGGREGATE, g if u[0] < yes else d))
            if u[1] < (0.35 if cls == FULL else 0.2):
                choices.append((MARKETING_EMAIL, g))
        if shop.opt_in[n] >= 0:
            choices.append((sensitive_purpose_code(SENSITIVE[int(shop.opt_in[n])][1]), g))
        if shop.self_excluded[n] >= 0:
            choices.append((sensitive_purpose_code(SENSITIVE[int(shop.self_excluded[n])][1]), d))
        for purpose, status in choices:
            yield ConsentRecord(sid, purpose, status, notice, web, at)


@dataclass(frozen=True)
class EventBatch:
    subject: IntArray
    item: IntArray
    kind: IntArray
    value: npt.NDArray[np.float64]
    seconds: IntArray  # since shop.start

    def as_rows(self, shop: Shop) -> list[dict[str, Any]]:
        """As an operator would post them: JSON-ready dicts with ISO timestamps."""
        rows = []
        for s, i, k, v, t in zip(
            self.subject.tolist(),
            self.item.tolist(),
            self.kind.tolist(),
            self.value.tolist(),
            self.seconds.tolist(),
            strict=True,
        ):
            row = {
                "subject_id": shop.subject_ids[s],
                "event_type": TYPES[k].value,
                "timestamp": (shop.start + timedelta(seconds=t)).isoformat(),
                "item_id": shop.item_ids[i],
            }
            if k == 4:
                row["value"] = v
            rows.append(row)
        return rows

    def as_events(self, shop: Shop) -> list[Event]:
        return [
            Event(
                shop.subject_ids[s],
                TYPES[k],
                shop.start + timedelta(seconds=t),
                shop.item_ids[i],
                v if k == 4 else None,
            )
            for s, i, k, v, t in zip(
                self.subject.tolist(),
                self.item.tolist(),
                self.kind.tolist(),
                self.value.tolist(),
                self.seconds.tolist(),
                strict=True,
            )
        ]


def event_batches(shop: Shop) -> Iterator[EventBatch]:
    """The event stream in time order: each event's subject drawn by activity."""
    rng = np.random.default_rng(SEED + 2)
    span = DAYS * 86_400
    for start in range(0, shop.n_events, shop.batch):
        n = min(shop.batch, shop.n_events - start)
        total = shop.activity_cum[-1]
        subject = np.searchsorted(shop.activity_cum, rng.random(n) * total, side="right")
        subject = np.minimum(subject, len(shop.subject_ids) - 1)
        favourite = rng.random(n) < 0.6
        category = shop.favourites[subject, rng.integers(0, 2, n)]
        lo = np.where(favourite, shop.category_bounds[category], 0.0)
        hi = np.where(favourite, shop.category_bounds[category + 1], shop.item_cum[-1])
        item = np.searchsorted(shop.item_cum, lo + rng.random(n) * (hi - lo), side="right")
        item = np.minimum(item, len(shop.item_ids) - 1)
        kind = rng.choice(len(TYPES), n, p=TYPE_P)
        value = rng.choice(STARS, n, p=STARS_P / STARS_P.sum())
        seconds = ((start + np.sort(rng.random(n)) * n) * span / shop.n_events).astype(np.int64)
        yield EventBatch(subject, item, kind.astype(np.int64), value, seconds)


# --------------------------------------------------------------------------- measuring


def reset_peak() -> None:
    """Reset this process's RSS high-water mark (Linux), so each phase has its own peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def batches(records: Iterator[ConsentRecord], size: int) -> Iterator[list[ConsentRecord]]:
    chunk: list[ConsentRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Tally:
    received: int = 0
    stored: int = 0
    dropped: int = 0
    seconds: float = 0.0

    def add(self, result: IngestResult, seconds: float) -> None:
        self.received += result.received
        self.stored += result.stored
        self.dropped += sum(result.dropped.values())
        self.seconds += seconds

    @property
    def rate(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0


def load(service: Tactful, shop: Shop, sample: int, report: dict[str, Any]) -> None:
    """Load the shop; the first batches alternate between the two event entry points."""
    started = time.perf_counter()
    for rows in item_rows(shop):
        service.ingest_items(rows)
    for rows in subject_rows(shop):
        service.ingest_subjects(rows)
    notice = service.notice_version
    n_consents = 0
    for chunk in batches(consent_records(shop, notice, withdrawals=False), shop.batch):
        n_consents += service.import_consents(chunk)
    report["catalog_subjects_consents_seconds"] = round(time.perf_counter() - started, 1)
    report["consent_records"] = n_consents
    say(f"items, subjects and {n_consents:,} consent records loaded")

    convert: dict[str, Callable[[EventBatch], Any]] = {
        "ingest_events": lambda b: b.as_rows(shop),
        "add_events": lambda b: b.as_events(shop),
    }
    call: dict[str, Callable[[Any], IngestResult]] = {
        "ingest_events": service.ingest_events,
        "add_events": service.add_events,
    }
    samples = {name: Tally() for name in call}
    sample_batches = 2 * max(1, -(-sample // shop.batch))
    chosen = "add_events"
    overall = Tally()
    mark = time.perf_counter()
    for n, batch in enumerate(event_batches(shop)):
        name = ("ingest_events", "add_events")[n % 2] if n < sample_batches else chosen
        rows = convert[name](batch)
        began = time.perf_counter()
        result = call[name](rows)
        took = time.perf_counter() - began
        overall.add(result, took)
        if n < sample_batches:
            samples[name].add(result, took)
        if n == sample_batches - 1:
            chosen = max(samples, key=lambda k: samples[k].rate)
            say(
                "sample rates: "
                + ", ".join(f"{k} {t.rate:,.0f} events/s" for k, t in samples.items())
                + f"; loading the rest with {chosen}"
            )
        if (n + 1) % 100 == 0:
            say(
                f"{overall.received:,} events offered, {overall.stored:,} stored, "
                f"{overall.rate:,.0f} events/s in the service, "
                f"{time.perf_counter() - mark:,.0f} s in all"
            )
    withdrawn = 0
    for chunk in batches(consent_records(shop, notice, withdrawals=True), shop.batch):
        withdrawn += service.import_consents(chunk)
    report["ingestion"] = {
        "entry_point": f"Tactful.{chosen} (batches of {shop.batch})",
        "events_offered": overall.received,
        "events_stored": overall.stored,
        "events_dropped_by_minimisation": overall.dropped,
        "events_per_second": round(overall.rate),
        "seconds_in_service": round(overall.seconds, 1),
        "seconds_generating": round(time.perf_counter() - mark - overall.seconds, 1),
        "sample_events_per_second": {k: round(t.rate) for k, t in samples.items()},
        "sample_events": {k: t.received for k, t in samples.items()},
        "withdrawals_after_events": withdrawn,
    }


def train(service: Tactful, report: dict[str, Any]) -> None:
    steps: list[tuple[str, float]] = []

    def progress(message: str) -> None:
        steps.append((message, time.perf_counter()))
        say(message)

    started = time.perf_counter()
    versions = service.train(progress=progress)
    ended = time.perf_counter()
    marks = [t for _, t in steps] + [ended]
    report["training"] = {
        "seconds": round(ended - started, 1),
        "steps_seconds": {m: round(marks[n + 1] - t, 1) for n, (m, t) in enumerate(steps)},
        "models": {v.name: v.trained_on for v in versions},
    }


def decisions(service: Tactful, n: int, report: dict[str, Any]) -> None:
    rng = np.random.default_rng(SEED + 3)
    with service.store.reading() as conn:
        count = service.store.count(conn, "subjects")
    width = len(str(count))
    sample = [f"s{int(i):0{width}d}" for i in rng.integers(0, count, n + 50)]
    for subject in sample[:50]:  # load the models and the catalog
        service.recommend(subject, k=10)
    times: list[float] = []
    personalized = 0
    for subject in sample[50:]:
        began = time.perf_counter()
        record = service.recommend(subject, k=10)
        times.append((time.perf_counter() - began) * 1000)
        personalized += bool(record["personalized"])
    report["decisions"] = {
        "entry_point": "Tactful.recommend(subject, k=10), in-process",
        "count": n,
        "personalized_share": round(personalized / n, 3),
        "median_ms": round(statistics.median(times), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/scale"))
    parser.add_argument("--reuse", action="store_true", help="keep the store if it exists")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--model",
        default=os.environ.get("TACTFUL_PERSONAL_MODEL", "als"),
        help="personal model (default: $TACTFUL_PERSONAL_MODEL or als)",
    )
    parser.add_argument("--decisions", type=int, default=2000, help="decisions to time")
    parser.add_argument(
        "--sample", type=int, default=100_000, help="events timed per entry point, at least"
    )
    parser.add_argument("--batch", type=int, default=BATCH, help="rows per ingestion call")
    args = parser.parse_args(argv)

    settings = Settings(data_dir=args.data_dir, personal_model=args.model)
    marker = args.data_dir / "scale-loaded.json"
    shape = {"subjects": args.subjects, "items": args.items, "events": args.events}
    report: dict[str, Any] = {"shape": shape, "model": args.model, "cpus": os.cpu_count()}
    peaks: dict[str, float] = {}
    if args.reuse and marker.exists():
        loaded = json.loads(marker.read_text())
        if loaded["shape"] != shape:
            parser.error(f"{args.data_dir} holds a store of shape {loaded['shape']}")
        report["ingestion"] = loaded["ingestion"]
        report["reused_store"] = True
    else:
        if args.data_dir.exists():
            shutil.rmtree(args.data_dir)
        reset_peak()
        service = Tactful(settings)
        say(f"generating and loading {shape} into {args.data_dir}")
        shop = make_shop(args.subjects, args.items, args.events, args.batch)
        load(service, shop, args.sample, report)
        service.close()
        del shop
        marker.write_text(json.dumps({"shape": shape, "ingestion": report["ingestion"]}))
        peaks["ingestion"] = peak_mb()

    service = Tactful(settings)
    reset_peak()
    train(service, report)
    peaks["training"] = peak_mb()
    reset_peak()
    decisions(service, args.decisions, report)
    peaks["decisions"] = peak_mb()
    service.close()
    report["peak_rss_mb"] = {k: round(v) for k, v in peaks.items()}
    report["peak_rss_mb"]["process"] = round(max(peaks.values()))
    report["peak_rss_mb"]["children"] = round(children_peak_mb())
    report["store_bytes"] = sum(p.stat().st_size for p in args.data_dir.glob("tactful.db*"))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return report


def print_report(report: dict[str, Any]) -> None:
    ingestion, training, latency = report["ingestion"], report["training"], report["decisions"]
    peak = report["peak_rss_mb"]
    print(f"shape: {report['shape']}, personal model: {report['model']}")
    print(
        f"ingestion rate: {ingestion['events_per_second']:,} events/s "
        f"through {ingestion['entry_point']} "
        f"({ingestion['events_offered']:,} offered, {ingestion['events_stored']:,} stored)"
    )
    print(
        "ingestion sample rates: "
        + ", ".join(f"{k} {v:,} events/s" for k, v in ingestion["sample_events_per_second"].items())
    )
    print(f"training time: {training['seconds']} s {training['steps_seconds']}")
    print(
        f"peak memory (RSS high-water): {peak['process']} MB process "
        f"(ingestion {peak.get('ingestion', '-')}, training {peak['training']}, "
        f"decisions {peak['decisions']}), children {peak['children']} MB"
    )
    print(
        f"decision latency: median {latency['median_ms']} ms, p99 {latency['p99_ms']} ms "
        f"over {latency['count']} subjects ({latency['personalized_share']:.0%} personalized)"
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
