"""The offline audit on the real ml-100k, read in place, checked against the evaluation harness."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tactful.errors import InvalidInput
from tactful.evaluation import evaluate, get_protocol
from tactful.fairness.audit import AuditResult, run_audit
from tactful.fairness.data import AuditData
from tactful.fairness.offline import offline_audit_data
from tactful.fairness.policy import DEFAULT_AUDIT_POLICY
from tests.conftest import DATASETS, need_service


@pytest.fixture(scope="module")
def datasets() -> Path:
    if not (DATASETS / "ml-100k" / "u.data").is_file():
        need_service(f"MovieLens ml-100k not found in {DATASETS}")
    return DATASETS


@pytest.fixture(scope="module")
def data(datasets: Path) -> AuditData:
    return offline_audit_data("msr-ml100k", datasets_dir=datasets)


@pytest.fixture(scope="module")
def result(data: AuditData) -> AuditResult:
    return run_audit(data, DEFAULT_AUDIT_POLICY)


@pytest.mark.slow
def test_counts_and_shape(data: AuditData, result: AuditResult) -> None:
    out = result.as_dict()
    counts = out["counts"]
    assert (out["source"], out["label"]) == ("offline", "msr-ml100k/ease")
    assert out["window"] == {"start": None, "end": None}
    assert counts["train_ratings"] + counts["test_ratings"] == 100_000
    assert counts["lists"] == counts["people"] == counts["evaluated_users"] == 943
    assert counts["items"] == counts["train_items"] + counts["test_only_items"]
    assert counts["segments"] == 18  # ml-100k's genres, "unknown" not being one
    assert int(data.relevant.sum()) == counts["test_ratings"]
    assert int(data.history.sum()) == counts["train_ratings"]  # every user is evaluated
    assert data.popularity.sum() == counts["train_ratings"]
    assert data.lists.shape == (943, 10)
    json.dumps(out, allow_nan=False)


@pytest.mark.slow
def test_decades_stand_in_for_providers(result: AuditResult) -> None:
    providers = result.as_dict()["exposure"]["providers"]
    assert all(re.fullmatch(r"(1[89]|20)\d0s|unknown", name) for name in providers["names"])
    assert {"1990s", "unknown"} <= set(providers["names"])  # u.item lacks one film's date
    assert sum(providers["items"]) == result.counts["items"]
    assert sum(providers["exposure_share"]) == pytest.approx(1.0, abs=1e-12)
    assert sum(providers["catalog_share"]) == pytest.approx(1.0, abs=1e-12)
    # Ten slots with the DCG discount, for each of 943 lists.
    assert sum(providers["exposure"]) == pytest.approx(943 * sum(1 / np.log2(np.arange(2, 12))))
    assert 0 < result.as_dict()["exposure"]["gini"] < 1
    assert len(result.as_dict()["exposure"]["top_items"]) == 20


@pytest.mark.slow
def test_quality_by_every_ml100k_attribute(result: AuditResult) -> None:
    quality = result.as_dict()["quality"]
    assert list(quality) == ["gender", "age_band", "occupation"]  # ml-100k has no region
    assert set(quality["gender"]["groups"]) == {"female", "male"}
    assert sum(g["users"] for g in quality["gender"]["groups"].values()) == 943
    assert "under_18" in quality["age_band"]["groups"]
    assert len(quality["occupation"]["groups"]) == 21
    for breakdown in quality.values():
        assert {"ndcg", "recall", "hit_rate"} <= set(breakdown["gaps"])
    checked = {c["scope"] for c in result.as_dict()["checks"] if c["check"] == "quality_ratio"}
    assert {"gender: ndcg", "age_band: recall", "occupation: hit_rate"} <= checked


@pytest.mark.slow
def test_figures_match_the_evaluation_harness(datasets: Path, result: AuditResult) -> None:
    harness = evaluate(get_protocol("msr-ml100k"), ["ease"], datasets_dir=datasets, tune=False)
    figures = harness.summary()["ease"]
    accuracy, popularity = result.as_dict()["accuracy"], result.as_dict()["popularity"]
    # One list per person, so per-person means are the harness's per-user means.
    for name in ("ndcg", "precision", "recall", "map", "mrr", "hit_rate"):
        assert accuracy[name] == pytest.approx(figures[name], abs=1e-12), name
    assert popularity["average_popularity"] == pytest.approx(figures["arp"], abs=1e-9)
    assert popularity["long_tail_share"] == pytest.approx(figures["long_tail"], abs=1e-12)
    assert popularity["intra_list_diversity"] == pytest.approx(figures["ild"], abs=1e-12)
    assert popularity["novelty"] == pytest.approx(figures["novelty"], abs=1e-12)
    assert popularity["miscalibration"] == pytest.approx(figures["miscalibration"], abs=1e-12)
    # The audit's catalog also holds the test-only items, which no model can recommend.
    counts = result.counts
    recommended = popularity["coverage"] * counts["items"]
    assert recommended == pytest.approx(figures["coverage"] * counts["train_items"])


@pytest.mark.slow
def test_genre_segments(data: AuditData, result: AuditResult) -> None:
    drama = next(s for s in data.segments if s.name == "drama")
    assert drama.kind == "category"
    assert bool(drama.eligible.all())
    assert not np.any(drama.converted & ~drama.served)
    assert 0 < int(drama.converted.sum()) < int(drama.served.sum()) <= 943
    report = next(t for t in result.as_dict()["targeting"] if t["segment"] == "drama")
    gender = report["reports"]["gender"]
    assert sum(g["served"] for g in gender["groups"].values()) == int(drama.served.sum())
    assert gender["impact"]["eligible"]["flagged"] == []  # everyone is eligible


@pytest.mark.slow
def test_the_folds_protocol_audits_its_first_fold(datasets: Path) -> None:
    data = offline_audit_data("ml100k-folds", datasets_dir=datasets, k=5)
    assert data.label == "ml100k-folds/ease"
    assert data.counts["train_ratings"] == 80_000  # u1.base
    assert data.lists.shape == (data.counts["evaluated_users"], 5)


def test_a_protocol_without_attributes_of_people_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no gender, age or occupation") as caught:
        offline_audit_data("ml-latest-small", datasets_dir=tmp_path)
    assert caught.value.errors[0].field == "protocol"


@pytest.mark.parametrize(
    ("protocol", "model", "k"),
    [("msr-ml100k", "nonsense", 10), ("msr-ml100k", "ease", 0), ("no-such", "ease", 10)],
)
def test_bad_arguments_are_refused(protocol: str, model: str, k: int, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        offline_audit_data(protocol, datasets_dir=tmp_path, model=model, k=k)
