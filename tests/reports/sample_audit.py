"""Audit results shaped like `AuditResult.as_dict()`, built with the real metrics.

The report is written against the result contract, so its tests need results of that
shape without running an audit: group breakdowns, provider exposure and targeting come
from `tactful.metrics` on seeded synthetic people, and the checks are derived from them
and the default policy the way the contract describes. `alert=True` plants a quality gap,
an under-exposed provider and a campaign that serves one age band far less.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from tactful.fairness.policy import DEFAULT_AUDIT_POLICY
from tactful.metrics import by_group, gini, group_exposure, targeting

METRICS = ("ndcg", "precision", "recall", "map", "mrr", "hit_rate")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
T0 = datetime.fromisoformat("2025-05-14T06:00:00+00:00")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _people(rng: np.random.Generator, n: int) -> dict[str, list[str | None]]:
    gender: list[str | None] = [str(g) for g in rng.choice(["F", "M"], size=n)]
    for i in range(12):  # a group too small to judge
        gender[i] = "nonbinary"
    gender[12] = None  # unknown
    age: list[str | None] = [str(a) for a in rng.choice(AGE_BANDS, size=n)]
    return {"gender": gender, "age_band": age}


def _per_person(
    rng: np.random.Generator, gender: list[str | None], gap: bool, shift: float
) -> dict[str, np.ndarray]:
    n = len(gender)
    base = np.clip(rng.normal(0.3 + shift, 0.1, n), 0.0, 1.0)
    if gap:
        base[[g == "F" for g in gender]] *= 0.6
    hit = (rng.random(n) < np.clip(base * 2.2, 0, 1)).astype(np.float64)
    out = {
        "ndcg": base,
        "precision": base * 0.5,
        "recall": base * 0.8,
        "map": base * 0.6,
        "mrr": base * 1.1,
        "hit_rate": hit,
    }
    nothing_relevant = rng.random(n) < 0.05
    for values in out.values():
        values[nothing_relevant] = np.nan
    return out


def _exposure(
    rng: np.random.Generator, provider: str, under: bool, nulls: bool
) -> tuple[dict[str, Any], float, int]:
    names = ["acme", provider, "indie", "small-press"] + (["empty-shelf"] if nulls else [])
    n_items = 240
    item_group = np.array([0] * 100 + [1] * 60 + [2] * 60 + [3] * 20, dtype=np.int64)
    if under:  # a long-tailed exposure, and one provider left out
        exposure = rng.pareto(1.5, n_items) + 0.1
        exposure[rng.random(n_items) < 0.3] = 0.0
        exposure[item_group == 3] *= 0.05
    else:
        exposure = rng.uniform(0.5, 1.5, n_items)
    grouped = group_exposure(exposure, item_group, len(names)).as_dict()
    order = np.argsort(-exposure, kind="stable")[:20]
    total = float(exposure.sum())
    top = [
        {"item_id": f"item-{i:04d}", "exposure": float(exposure[i]), "share": exposure[i] / total}
        for i in order
    ]
    value = gini(exposure)
    section = {
        "position_weights": "log",
        "k": 10,
        "gini": None if nulls else value,
        "providers": {"names": names, **grouped},
        "top_items": top,
    }
    return section, value, n_items


def _targeting(
    rng: np.random.Generator, people: dict[str, list[str | None]], alert: bool
) -> list[dict[str, Any]]:
    n = len(people["gender"])
    out: list[dict[str, Any]] = []
    for kind, segment in (("campaign", "spring-sale"), ("category", "books")):
        eligible = rng.random(n) < 0.9
        served = eligible & (rng.random(n) < (0.6 if alert else 0.95))
        if alert and segment == "spring-sale":
            older = np.array([a == "55-64" for a in people["age_band"]])
            served &= ~older | (rng.random(n) < 0.3)
        converted = served & (rng.random(n) < (0.2 if alert else 0.9))
        reports = {
            attribute: targeting(
                people[attribute], eligible, served, converted, attribute
            ).as_dict()
            for attribute in ("gender", "age_band")
        }
        out.append({"kind": kind, "segment": segment, "reports": reports})
    return out


def _check(
    name: str, scope: str, value: float | None, bound: str, threshold: float, what: str
) -> dict[str, Any]:
    crossed = value is not None and (value < threshold if bound == "min" else value > threshold)
    shown = "n/a" if value is None else f"{value:.3f}"
    side = "under the floor" if bound == "min" else "over the ceiling"
    verdict = f"{side} of {threshold:g}" if crossed else f"within the {threshold:g} bound"
    return {
        "check": name,
        "scope": scope,
        "value": value,
        "bound": bound,
        "threshold": threshold,
        "crossed": crossed,
        "message": f"{what} ({scope}) is {shown}, {verdict}.",
    }


def _checks(result: dict[str, Any]) -> list[dict[str, Any]]:
    bounds = DEFAULT_AUDIT_POLICY.thresholds.bounds()
    checks: list[dict[str, Any]] = []
    kind, limit = bounds["quality_ratio"]
    for attribute, breakdown in result["quality"].items():
        for metric, gap in breakdown["gaps"].items():
            checks.append(
                _check(
                    "quality_ratio",
                    f"{attribute}: {metric}",
                    gap["ratio"],
                    kind,
                    limit,
                    f"Worst/best {metric} ratio",
                )
            )
    providers = result["exposure"]["providers"]
    kind, limit = bounds["provider_exposure_ratio"]
    for name, ratio in zip(providers["names"], providers["ratio"], strict=True):
        checks.append(
            _check(
                "provider_exposure_ratio",
                f"provider: {name}",
                ratio,
                kind,
                limit,
                "Exposure/catalog share",
            )
        )
    for name, value in (
        ("exposure_gini", result["exposure"]["gini"]),
        ("coverage", result["popularity"]["coverage"]),
        ("long_tail_share", result["popularity"]["long_tail_share"]),
        ("miscalibration", result["popularity"]["miscalibration"]),
    ):
        kind, limit = bounds[name]
        checks.append(_check(name, "all lists", value, kind, limit, name.replace("_", " ")))
    kind, limit = bounds["adverse_impact_ratio"]
    for segment in result["targeting"]:
        for attribute, report in segment["reports"].items():
            for rate, impact in report["impact"].items():
                for group, entry in impact["groups"].items():
                    if entry["too_small"] or entry["ratio"] is None:
                        continue
                    scope = (
                        f"{segment['kind']} {segment['segment']} / {attribute} / {rate}: {group}"
                    )
                    checks.append(
                        _check(
                            "adverse_impact_ratio",
                            scope,
                            entry["ratio"],
                            kind,
                            limit,
                            "Adverse-impact ratio",
                        )
                    )
    return checks


def sample_result(
    *,
    alert: bool = True,
    started_at: datetime = T0,
    provider: str = "press-co",
    nulls: bool = False,
    shift: float = 0.0,
    seed: int = 7,
) -> dict[str, Any]:
    """One audit result. `nulls` leaves out figures that can be missing (a provider with no
    items, no Gini, no MRR, no miscalibration); `shift` moves nDCG, for a trend."""
    rng = np.random.default_rng(seed)
    people = _people(rng, 1200)
    per_person = _per_person(rng, people["gender"], alert, shift)
    min_size = DEFAULT_AUDIT_POLICY.measure.min_group_size
    quality = {
        attribute: by_group(per_person, labels, attribute, min_size).as_dict()
        for attribute, labels in people.items()
    }
    accuracy: dict[str, float | None] = {
        m: _finite(float(np.nanmean(v))) for m, v in per_person.items()
    }
    exposure, item_gini, n_items = _exposure(rng, provider, alert, nulls)
    popularity: dict[str, float | None] = {
        "average_popularity": 212.4 + 10 * shift,
        "long_tail_share": 0.08 - shift / 10,
        "coverage": 0.31 + shift / 5,
        "intra_list_diversity": 0.71,
        "novelty": 9.2,
        "miscalibration": None if nulls else 0.42,
    }
    if nulls:
        accuracy["mrr"] = None
    result: dict[str, Any] = {
        "audit_id": str(uuid.UUID(int=seed * 1000 + int(started_at.timestamp()) % 1000)),
        "source": "store",
        "label": "store",
        "window": {
            "start": (started_at - timedelta(days=30)).isoformat(),
            "end": started_at.isoformat(),
        },
        "started_at": started_at.isoformat(),
        "seconds": 3.25,
        "policy": {
            "measure": DEFAULT_AUDIT_POLICY.measure.model_dump(mode="json"),
            "thresholds": DEFAULT_AUDIT_POLICY.thresholds.model_dump(mode="json"),
        },
        "counts": {
            "lists": 1250,
            "people": 1200,
            "items": n_items,
            "providers": len(exposure["providers"]["names"]),
            "segments": 2,
            "decisions": 1250,
        },
        "accuracy": accuracy,
        "quality": quality,
        "exposure": exposure,
        "popularity": popularity,
        "targeting": _targeting(rng, people, alert),
    }
    del item_gini
    result["checks"] = _checks(result)
    result["alert"] = any(c["crossed"] for c in result["checks"])
    return result


def sample_history(runs: int, *, before: datetime = T0) -> list[dict[str, Any]]:
    """`runs` earlier results, one a day before `before`, newest first, drifting so the
    trend has something to show."""
    return [
        sample_result(
            alert=day % 3 == 0,
            started_at=before - timedelta(days=day),
            shift=0.02 * day,
            seed=100 + day,
        )
        for day in range(1, runs + 1)
    ]
