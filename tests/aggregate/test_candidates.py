"""The public candidate set: a release counts only the first items of the published popular
list, a person's bounded items are all among them, and serving ranks the candidates by
their noisy counts (ties in the public order) and every other item after them, in the
public order, so a list is never short."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import sparse

from tactful.candidates.base import Interactions
from tactful.privacy import CohortConfig, CohortTrends, dp, public
from tactful.settings import Settings

NORTH = ("north", "25-34")
ITEMS = [f"item-{j:02d}" for j in range(30)]
# The published popular list: the items in reverse id order, so it differs from id order.
PUBLIC = ITEMS[::-1]


def _data(people: list[tuple[str, dict[int, float]]]) -> Interactions:
    rows, cols, weights = [], [], []
    for row, (_who, bought) in enumerate(people):
        for col, weight in bought.items():
            rows.append(row)
            cols.append(col)
            weights.append(weight)
    matrix = sparse.csr_array(
        (np.array(weights, dtype=np.float32), (rows, cols)), shape=(len(people), len(ITEMS))
    )
    ids = np.array([who for who, _ in people], dtype=np.str_)
    return Interactions(ids, np.array(ITEMS, dtype=np.str_), matrix)


def _config(**overrides: object) -> CohortConfig:
    values: dict[str, object] = {
        "epsilon": 100.0,
        "min_cohort": 20,
        "max_items": 2,
        "regions": ("north", "south"),
        "candidates": 5,
    }
    return CohortConfig.model_validate(values | overrides)


def test_the_public_rank_puts_the_published_order_first_then_the_rest_by_id() -> None:
    rank = public.public_rank(["a", "b", "c", "d"], ["c", "zz", "a"])
    assert rank.tolist() == [1, 2, 0, 3]  # c, a (zz is not an item), then b, d
    assert public.candidate_columns(rank, 2).tolist() == [2, 0]
    assert public.candidate_columns(rank, 0).tolist() == [2, 0, 1, 3]
    assert public.candidate_columns(rank, 9).tolist() == [2, 0, 1, 3]
    assert public.candidate_columns(rank, 2, public=False).tolist() == [2, 0, 1, 3]
    assert public.public_rank(["a", "b"], None).tolist() == [0, 1]


def test_the_released_vector_covers_only_the_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = dp.release

    def spy(counts: np.ndarray, noise: dp.LaplacePlan) -> np.ndarray:
        seen.append(len(counts))
        return real(counts, noise)

    monkeypatch.setattr(dp, "release", spy)
    people = [(f"n{u}", {0: 1.0, 29: 1.0}) for u in range(40)]
    model = CohortTrends(_config(), {who: NORTH for who, _ in people}, PUBLIC)
    model.fit(_data(people))
    cohorts = len(model.config.spec.candidates())
    # One block per candidate cohort and one for the population: 5 counts and a size each.
    assert seen == [(cohorts + 1) * (5 + 1)]
    assert model.facts().items == 5
    ids, counts = model.counts_for(None)
    assert ids.tolist() == PUBLIC[:5]
    assert len(counts) == 5
    every = CohortTrends(_config(candidates=0), {}, PUBLIC).fit(_data(people))
    assert every.facts().items == len(ITEMS)
    assert every.counts_for(None)[0].tolist() == PUBLIC  # the whole catalog, public order


def test_a_persons_bounded_items_are_all_among_the_candidates() -> None:
    # Each person's strongest signals are outside the candidates (items 0-2, at the end of
    # the public list); their two candidate items must still be counted, not crowded out.
    people = [(f"p{u}", {0: 5.0, 1: 5.0, 2: 5.0, 29: 1.0, 28: 1.0}) for u in range(60)]
    model = CohortTrends(_config(), {}, PUBLIC).fit(_data(people))
    ids, counts = model.counts_for(None)
    found = dict(zip(ids.tolist(), counts.tolist(), strict=True))
    assert abs(found["item-29"] - 60) <= 3
    assert abs(found["item-28"] - 60) <= 3
    assert abs(model.facts().counted - 120) <= 10  # 2 items a person, all released


def test_candidates_rank_first_by_count_ties_and_others_in_public_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No noise, to check the post-processing exactly: item-27 is bought by most people,
    # item-00 (last in the public list, not a candidate) by everyone.
    monkeypatch.setattr(dp, "release", lambda counts, noise: counts.copy())
    people = [(f"n{u}", {27: 1.0, 0: 1.0}) for u in range(30)]
    people += [(f"s{u}", {0: 1.0, 25: 1.0}) for u in range(10)]
    cohorts = {f"n{u}": NORTH for u in range(30)}
    model = CohortTrends(_config(min_cohort=20), cohorts, PUBLIC).fit(_data(people))
    order = [ITEMS[c] for c in np.argsort(-model.scores_for(None)[0], kind="stable")]
    # Candidates (29..25) by count, ties (zeros) in the public order; then the rest.
    assert order[:5] == ["item-27", "item-25", "item-29", "item-28", "item-26"]
    assert order[5:] == PUBLIC[5:]  # item-00, bought by everyone, is not counted: last
    scores, basis = model.scores_for(NORTH)
    assert basis == "cohort"
    order = [ITEMS[c] for c in np.argsort(-scores, kind="stable")]
    # The cohort's zeros are broken by the population's counts, then the public order.
    assert order[:5] == ["item-27", "item-25", "item-29", "item-28", "item-26"]
    assert order[5:] == PUBLIC[5:]


def test_the_candidates_survive_saving(tmp_path: Path) -> None:
    people = [(f"n{u}", {27: 1.0, 3: 1.0}) for u in range(40)]
    model = CohortTrends(_config(), {who: NORTH for who, _ in people}, PUBLIC)
    model.fit(_data(people)).save(tmp_path / "m")
    back = CohortTrends.load(tmp_path / "m")
    assert back.facts() == model.facts()
    for key in (NORTH, None):
        assert np.array_equal(back.scores_for(key)[0], model.scores_for(key)[0])
        assert back.counts_for(key)[0].tolist() == model.counts_for(key)[0].tolist()


@pytest.mark.parametrize("value", [-1, 1_000_001, "many"])
def test_a_bad_candidate_count_is_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="aggregate_candidates"):
        Settings(aggregate_candidates=value)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="candidates"):
        CohortConfig.model_validate({"candidates": value})


def test_the_candidate_count_is_a_setting_with_a_documented_default() -> None:
    assert Settings().aggregate_candidates == CohortConfig().candidates == 50
    assert Settings(aggregate_candidates=0).aggregate_candidates == 0  # the whole catalog
