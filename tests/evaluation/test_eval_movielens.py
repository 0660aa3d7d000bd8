"""The protocols on the real MovieLens data, read in place from the shared folder.

Only popularity and EASE run here (tuned on msr-ml100k, untuned on the folds): tuning every
registered model on every protocol takes far longer than CI allows; `tactful evaluate`
does that by hand (figures in the README's Evaluation section).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import need_service

from tactful.evaluation import evaluate, get_protocol

pytestmark = pytest.mark.slow


def test_msr_ml100k_ease_and_reproducibility(real_datasets: Path) -> None:
    protocol = get_protocol("msr-ml100k")
    first = evaluate(protocol, ["popularity", "ease"], datasets_dir=real_datasets)
    summary = first.summary()
    assert summary["ease"]["ndcg"] >= 0.45
    assert summary["popularity"]["ndcg"] < summary["ease"]["ndcg"]
    (part,) = first.parts
    assert part.counts["train_ratings"] + part.counts["test_ratings"] == 100_000
    assert part.counts["evaluated_users"] == 943
    second = evaluate(protocol, ["ease"], datasets_dir=real_datasets)
    assert second.summary()["ease"]["ndcg"] == pytest.approx(summary["ease"]["ndcg"], abs=0.01)
    assert second.summary()["ease"] == summary["ease"]  # in fact identical
    assert second.parts[0].runs[0].config == part.runs[1].config


def test_ml100k_folds_shape(real_datasets: Path) -> None:
    result = evaluate(
        get_protocol("ml100k-folds"), ["ease"], datasets_dir=real_datasets, tune=False
    )
    assert [p.name for p in result.parts] == ["u1", "u2", "u3", "u4", "u5"]
    for part in result.parts:
        assert part.counts["train_ratings"] == 80_000
        assert part.counts["test_ratings"] == 20_000
        assert part.runs[0].metrics["ndcg"] > 0.3
    # The folds split u.data's rows, not each user's: test users and their counts differ
    # from fold to fold (459 users in u1.test, 927 in u5.test), and so does nDCG.
    assert 0 < result.spread()["ease"]["ndcg"] < 0.1
    assert set(result.dataset["sha256"]) >= {
        f"u{n}.{p}" for n in range(1, 6) for p in ("base", "test")
    }


def test_ml_latest_small_loads_and_splits(real_datasets: Path) -> None:
    if not (real_datasets / "ml-latest-small" / "ratings.csv").is_file():
        need_service(f"ml-latest-small is not in {real_datasets}")
    result = evaluate(
        get_protocol("ml-latest-small"), ["popularity"], datasets_dir=real_datasets, tune=False
    )
    counts = result.parts[0].counts
    assert counts["train_ratings"] + counts["test_ratings"] == 100_836
    # Split by item: a user can keep every rating in training (2 of 610 do, seed 42).
    assert 600 < counts["evaluated_users"] <= 610
    assert result.summary()["popularity"]["ndcg"] > 0.05
    assert result.parts[0].runs[0].groups == {}  # no demographics in ml-latest
