"""The contract every recommender in the registry meets, run against each of them.

A new recommender joins this suite by being registered: the cases below start from one
default-config case per registry entry, and a test fails if an entry has no case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import sparse

from tactful.candidates.base import History, Interactions, Recommender, top_k
from tactful.candidates.registry import RECOMMENDERS, build, load_model
from tactful.errors import InvalidInput, ModelNotTrained

CASES: list[tuple[str, dict[str, Any]]] = [
    *((name, {}) for name in sorted(RECOMMENDERS)),
    ("popularity", {"weighting": "sum"}),
    ("itemknn", {"neighbors": 3, "shrinkage": 2.0, "binarize": False}),
    ("ease", {"l2": 5.0, "binarize": False}),
    (
        "als",
        {"factors": 5, "regularization": 0.5, "alpha": 3.0, "iterations": 4, "binarize": False},
    ),
    (
        "bpr",
        {
            "factors": 6,
            "learning_rate": 0.05,
            "regularization": 0.02,
            "iterations": 20,
            "negative_flattening": 0.0,
            "fold_in_steps": 2,
            "binarize": False,
            "seed": 7,
        },
    ),
]


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, config = case
    return name + "".join(f"-{k}={v}" for k, v in sorted(config.items()))


@pytest.fixture(params=CASES, ids=[_case_id(c) for c in CASES])
def case(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    name, config = request.param
    return name, dict(config)


@pytest.fixture
def model(case: tuple[str, dict[str, Any]], interactions: Interactions) -> Recommender[Any]:
    name, config = case
    return build(name, config).fit(interactions)


def _row_history(matrix: sparse.csr_array, row: int) -> History:
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return History(
        matrix.indices[start:end].astype(np.int64), matrix.data[start:end].astype(np.float32)
    )


@pytest.fixture
def histories(interactions: Interactions) -> list[History]:
    rows = [_row_history(interactions.matrix, r) for r in (0, 1, 7, 30)]
    return [
        History.empty(),
        History(np.array([4], dtype=np.int64), np.array([1.0], dtype=np.float32)),
        # a repeated item, a zero weight and an item nobody touched
        History(np.array([3, 3, 12, 31]), np.array([2.0, 1.0, 0.0, 4.0], dtype=np.float32)),
        *rows,
    ]


def test_every_registered_recommender_has_a_case() -> None:
    assert {name for name, _ in CASES} == set(RECOMMENDERS)
    for name, cls in RECOMMENDERS.items():
        assert cls.name == name


def test_scores_cover_the_catalog_and_are_finite(
    model: Recommender[Any], histories: list[History], interactions: Interactions
) -> None:
    assert model.n_items == interactions.n_items
    for history in histories:
        scores = model.score(history)
        assert scores.shape == (interactions.n_items,)
        assert scores.dtype == np.float32
        assert np.all(np.isfinite(scores))


def test_scores_are_fresh_arrays(model: Recommender[Any], histories: list[History]) -> None:
    history = histories[3]
    first = model.score(history)
    expected = first.copy()
    first[:] = -1.0
    np.testing.assert_array_equal(model.score(history), expected)


def test_batch_equals_single(model: Recommender[Any], interactions: Interactions) -> None:
    matrix = interactions.matrix
    # append an empty row: a subject with no usable signal
    batch = sparse.csr_array(sparse.vstack([matrix, sparse.csr_array((1, matrix.shape[1]))]))
    scores = model.score_batch(batch)
    assert scores.shape == (batch.shape[0], interactions.n_items)
    for row in range(batch.shape[0]):
        single = model.score(_row_history(batch, row))
        np.testing.assert_allclose(scores[row], single, rtol=1e-5, atol=1e-6)


def test_history_contract(model: Recommender[Any], histories: list[History]) -> None:
    """Non-personal models ignore the history; personal ones refuse items outside it."""
    if not model.personal:
        baseline = model.score(History.empty())
        for history in histories:
            np.testing.assert_array_equal(model.score(history), baseline)
        return
    for bad in (model.n_items, -1):
        history = History(np.array([0, bad], dtype=np.int64), np.ones(2, dtype=np.float32))
        with pytest.raises(InvalidInput):
            model.score(history)
        with pytest.raises(InvalidInput):
            model.because(history, 0)


def test_save_and_load_round_trip(
    model: Recommender[Any], histories: list[History], tmp_path: Path
) -> None:
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arrays.npz", "config.json"]
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta == {"name": model.name, "config": model.config.model_dump(mode="json")}
    with np.load(tmp_path / "arrays.npz", allow_pickle=False) as data:
        assert "item_ids" in data.files
        for key in data.files:
            assert data[key].dtype != object

    for loaded in (load_model(tmp_path), type(model).load(tmp_path)):
        assert type(loaded) is type(model)
        assert loaded.config == model.config
        np.testing.assert_array_equal(loaded.item_ids, model.item_ids)
        for history in histories:
            np.testing.assert_array_equal(loaded.score(history), model.score(history))
            for item in range(0, model.n_items, 5):
                assert loaded.because(history, item) == model.because(history, item)


def test_loading_as_the_wrong_kind_is_refused(model: Recommender[Any], tmp_path: Path) -> None:
    model.save(tmp_path)
    for other_name, other in RECOMMENDERS.items():
        if other_name != model.name:
            with pytest.raises(InvalidInput):
                other.load(tmp_path)


def test_untrained_model_refuses_to_score(case: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    name, config = case
    fresh = build(name, config)
    with pytest.raises(ModelNotTrained):
        fresh.score(History.empty())
    with pytest.raises(ModelNotTrained):
        fresh.score_batch(sparse.csr_array(np.zeros((1, 3), dtype=np.float32)))
    with pytest.raises(ModelNotTrained):
        fresh.save(tmp_path / "model")
    with pytest.raises(ModelNotTrained):
        fresh.arrays()
    assert not (tmp_path / "model").exists()


def test_training_is_deterministic(
    case: tuple[str, dict[str, Any]], interactions: Interactions, histories: list[History]
) -> None:
    name, config = case
    first = build(name, config).fit(interactions)
    second = build(name, config).fit(interactions)
    first_arrays, second_arrays = first.arrays(), second.arrays()
    assert first_arrays.keys() == second_arrays.keys()
    for key, value in first_arrays.items():
        np.testing.assert_array_equal(value, second_arrays[key])
    for history in histories:
        np.testing.assert_array_equal(first.score(history), second.score(history))


def test_config_round_trips_through_json(model: Recommender[Any]) -> None:
    dumped = json.dumps(model.config.model_dump(mode="json"))
    assert model.config_type.model_validate(json.loads(dumped)) == model.config
    assert build(model.name, json.loads(dumped)).config == model.config


def test_config_rejects_unknown_fields(case: tuple[str, dict[str, Any]]) -> None:
    name, config = case
    with pytest.raises(InvalidInput) as caught:
        build(name, {**config, "bogus": 1})
    assert [e.field for e in caught.value.errors] == ["config.bogus"]
    with pytest.raises(ValidationError):
        RECOMMENDERS[name].config_type.model_validate({**config, "bogus": 1})


def test_config_is_frozen(model: Recommender[Any]) -> None:
    field = next(iter(type(model.config).model_fields))
    with pytest.raises(ValidationError):
        setattr(model.config, field, getattr(model.config, field))


def test_because_names_an_item_of_the_history(
    model: Recommender[Any], histories: list[History]
) -> None:
    answers: list[int | None] = []
    for history in histories:
        for item in range(model.n_items):
            reason = model.because(history, item)
            assert reason is None or reason in set(history.items.tolist())
            answers.append(reason)
    if model.personal:
        assert any(a is not None for a in answers)
    else:
        assert all(a is None for a in answers)


@pytest.mark.parametrize("k", [0, 1, 5, 32, 40])
def test_top_k_invariants(model: Recommender[Any], histories: list[History], k: int) -> None:
    for history in histories:
        scores = model.score(history)
        exclude = np.zeros(model.n_items, dtype=bool)
        exclude[history.items] = True
        result = top_k(scores, k, exclude)
        available = int(np.count_nonzero(~exclude & np.isfinite(scores)))
        assert len(result) == min(k, available)
        assert len(set(result.tolist())) == len(result)
        assert not exclude[result].any()
        ranked = scores[result]
        assert np.all(ranked[:-1] >= ranked[1:])
        # nothing left out scores better than the last item kept
        if len(result):
            rest = np.ones(model.n_items, dtype=bool)
            rest[result] = False
            rest &= ~exclude
            assert not np.any(scores[rest] > ranked[-1])
