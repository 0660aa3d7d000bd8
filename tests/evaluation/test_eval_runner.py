"""The runner end to end on a small invented dataset, and the two result files."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

from tactful import metrics
from tactful.errors import InvalidInput
from tactful.evaluation import evaluate, get_protocol, report
from tactful.evaluation.runner import EvaluationResult

MODELS = ["popularity", "ease"]
EXTRA = ("coverage", "arp", "long_tail", "ild", "novelty", "miscalibration")


@pytest.fixture(scope="module")
def msr(fake_datasets: Path) -> EvaluationResult:
    return evaluate(get_protocol("msr-ml100k"), MODELS, datasets_dir=fake_datasets)


def test_every_metric_for_every_model(msr: EvaluationResult) -> None:
    summary = msr.summary()
    assert list(summary) == MODELS
    for model in MODELS:
        assert set(summary[model]) == {*metrics.RANKING_METRICS, *EXTRA}
        assert all(math.isfinite(v) for v in summary[model].values()), summary[model]
    # The invented users have two clear tastes: a personal model must find them.
    assert summary["ease"]["ndcg"] > summary["popularity"]["ndcg"] + 0.1
    assert 0 < summary["popularity"]["coverage"] < summary["ease"]["coverage"] <= 1


def test_the_split_and_the_users_follow_the_protocol(msr: EvaluationResult) -> None:
    (part,) = msr.parts
    counts = part.counts
    total = len(Path(msr.dataset["folder"], "u.data").read_text().splitlines())
    assert counts["train_ratings"] + counts["test_ratings"] == total
    assert 0.7 < counts["train_ratings"] / total < 0.8
    assert counts["evaluated_users"] <= counts["train_users"]


def test_tuning_hyperparameters_and_provenance_are_recorded(
    msr: EvaluationResult, fake_datasets: Path
) -> None:
    runs = {run.model: run for run in msr.parts[0].runs}
    ease = runs["ease"]
    assert ease.tuning is not None
    assert len(ease.tuning.trials) == 6
    assert ease.config == ease.tuning.best_config
    data = (fake_datasets / "ml-100k" / "u.data").read_bytes()
    assert msr.dataset["sha256"]["u.data"] == hashlib.sha256(data).hexdigest()
    assert {"tactful", "numpy", "scipy", "implicit"} <= set(msr.environment)
    as_dict = msr.as_dict()
    assert as_dict["protocol"]["name"] == "msr-ml100k"
    assert as_dict["protocol"]["published"][0] == {"model": "BiVAE", "ndcg_at_10": 0.4751}
    assert as_dict["seeds"] == {"split": 42, "validation": 43}


def test_accuracy_by_user_group(msr: EvaluationResult) -> None:
    groups = msr.parts[0].runs[1].groups
    assert set(groups) == {"gender", "age_band", "occupation"}
    assert set(groups["gender"]["groups"]) == {"female", "male"}
    assert set(groups["occupation"]["groups"]) == {"writer", "engineer", "student", "artist"}


def test_same_seed_same_figures(msr: EvaluationResult, fake_datasets: Path) -> None:
    again = evaluate(get_protocol("msr-ml100k"), MODELS, datasets_dir=fake_datasets)
    assert again.summary() == msr.summary()
    other = evaluate(get_protocol("msr-ml100k"), ["ease"], datasets_dir=fake_datasets, seed=5)
    assert other.parts[0].counts != msr.parts[0].counts or (
        other.summary()["ease"] != msr.summary()["ease"]
    )


def test_folds_average_five_parts(fake_datasets: Path) -> None:
    result = evaluate(
        get_protocol("ml100k-folds"), ["ease"], datasets_dir=fake_datasets, tune=False
    )
    assert [part.name for part in result.parts] == ["u1", "u2", "u3", "u4", "u5"]
    per_fold = [part.runs[0].metrics["ndcg"] for part in result.parts]
    assert result.summary()["ease"]["ndcg"] == pytest.approx(sum(per_fold) / 5)
    assert result.spread()["ease"]["ndcg"] > 0
    assert all(part.runs[0].tuning is None for part in result.parts)
    assert set(result.dataset["sha256"]) >= {"u1.base", "u5.test"}


def test_reports_hold_everything_without_nan(msr: EvaluationResult, tmp_path: Path) -> None:
    json_path, md_path = report.write(msr, tmp_path / "out")
    text = json_path.read_text()
    assert "NaN" not in text
    data = json.loads(text)
    assert data["summary"]["ease"]["ndcg"] == pytest.approx(msr.summary()["ease"]["ndcg"])
    assert len(data["parts"][0]["models"][1]["tuning"]["trials"]) == 6
    md = md_path.read_text()
    for heading in (
        "| model | config | nDCG@10 |",
        "Against the published figures",
        "Gaps between user groups",
        "## Protocol",
        "Tuning",
    ):
        assert heading in md
    assert "| Tactful " in md
    assert "| BiVAE | 0.4751 | published |" in md
    assert md.count("\n| ease | ") == 1


def test_unknown_names_and_missing_data_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        get_protocol("msr-ml1m")
    with pytest.raises(InvalidInput, match="nonesuch"):
        evaluate(get_protocol("msr-ml100k"), ["nonesuch"], datasets_dir=tmp_path)
    with pytest.raises(InvalidInput, match="ml-100k"):
        evaluate(get_protocol("msr-ml100k"), ["ease"], datasets_dir=tmp_path)


def test_the_by_user_protocol_keeps_three_quarters_of_every_user(fake_datasets: Path) -> None:
    result = evaluate(
        get_protocol("msr-ml100k-by-user"), ["popularity"], datasets_dir=fake_datasets, tune=False
    )
    (part,) = result.parts
    per_user: dict[str, int] = {}
    for line in Path(result.dataset["folder"], "u.data").read_text().splitlines():
        user = line.split("\t")[0]
        per_user[user] = per_user.get(user, 0) + 1
    assert part.counts["train_ratings"] == sum(round(0.75 * n) for n in per_user.values())
    assert part.counts["train_users"] == len(per_user)
    assert result.as_dict()["protocol"]["stratify_by"] == "user"
