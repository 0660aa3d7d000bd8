"""Cohorts from declared attributes, and the released cohort trends: the k-threshold on the
noisy size, the population fallback, counts near the truth when the budget is large, and a
saved model that holds no one's data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import sparse

from tactful.candidates.base import History, Interactions
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.errors import InvalidInput
from tactful.privacy import CohortConfig, CohortSpec, CohortTrends, counting
from tactful.settings import Settings

NORTH, SOUTH = ("north", "25-34"), ("south", "45-54")


def test_the_cohorts_are_the_declared_regions_by_adult_age_band() -> None:
    spec = CohortSpec.of(["region", "age_band"], ["north", "south"])
    candidates = spec.candidates()
    assert len(candidates) == 2 * 6
    assert ("north", "18-24") in candidates
    assert not any(AgeBand.UNDER_18.value in key for key in candidates)
    adult = SubjectAttributes(age_band=AgeBand.A25_34, region="north")
    assert spec.key_of(adult) == NORTH
    assert spec.describe(NORTH) == "north, 25-34"
    for nobody in (
        SubjectAttributes(age_band=AgeBand.UNDER_18, region="north"),  # a minor
        SubjectAttributes(age_band=AgeBand.A25_34),  # no region
        SubjectAttributes(region="north"),  # no age band
        SubjectAttributes(age_band=AgeBand.A25_34, region="atlantis"),  # not declared
    ):
        assert spec.key_of(nobody) is None
    by_age = CohortSpec.of(["age_band"])
    assert by_age.key_of(SubjectAttributes(age_band=AgeBand.A65_PLUS)) == ("65+",)
    assert CohortSpec.of(["region"]).candidates() == ()  # no region declared: no cohort


@pytest.mark.parametrize(
    ("dimensions", "regions", "field"),
    [
        (["gender"], [], "aggregate_cohort_by.0"),
        ([], [], "aggregate_cohort_by"),
        (["region", "region"], ["north"], "aggregate_cohort_by"),
        (["region"], ["north", "north"], "aggregate_regions"),
        (["region"], [" north"], "aggregate_regions.0"),
    ],
)
def test_a_bad_cohort_configuration_is_refused_with_its_field(
    dimensions: list[str], regions: list[str], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        CohortSpec.of(dimensions, regions)
    assert field in [e.field for e in caught.value.errors]
    with pytest.raises(ValidationError):
        Settings(aggregate_cohort_by=dimensions, aggregate_regions=regions)
    with pytest.raises(ValidationError):
        CohortConfig(cohort_by=tuple(dimensions), regions=tuple(regions))


def _data(
    people: dict[tuple[str, str] | None, tuple[int, list[int]]], n_items: int = 30
) -> tuple[Interactions, dict[str, tuple[str, ...]]]:
    """`people[cohort] = (how many, the items each bought)`; cohort None: no cohort."""
    rows: list[int] = []
    cols: list[int] = []
    ids: list[str] = []
    cohorts: dict[str, tuple[str, ...]] = {}
    for c, (count, bought) in people.items():
        for n in range(count):
            subject = f"{c[0] if c else 'none'}-{n}"
            if c is not None:
                cohorts[subject] = c
            for item in bought:
                rows.append(len(ids))
                cols.append(item)
            ids.append(subject)
    matrix = sparse.csr_array(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(ids), n_items)
    )
    item_ids = np.array([f"item-{j:02d}" for j in range(n_items)], dtype=np.str_)
    return Interactions(np.array(ids, dtype=np.str_), item_ids, matrix), cohorts


def _config(**overrides: object) -> CohortConfig:
    values: dict[str, object] = {
        "epsilon": 40.0,
        "min_cohort": 30,
        "max_items": 5,
        "regions": ("north", "south"),
    }
    return CohortConfig.model_validate(values | overrides)


def test_a_large_cohort_is_released_and_a_small_one_falls_back_to_the_population() -> None:
    data, cohorts = _data({NORTH: (200, [1, 2, 3]), SOUTH: (5, [20, 21]), None: (100, [10, 11])})
    model = CohortTrends(_config(), cohorts).fit(data)
    released = dict(model.released_cohorts())
    assert set(released) == {NORTH}
    assert abs(released[NORTH] - 200) <= 3
    assert model.basis(NORTH) == "cohort"
    assert model.basis(SOUTH) == "too_small"
    assert model.basis(None) == "no_cohort"
    north, _ = model.scores_for(NORTH)
    assert set(np.argsort(-north)[:3].tolist()) == {1, 2, 3}
    south, basis = model.scores_for(SOUTH)
    assert basis == "too_small"
    assert np.array_equal(south, model.scores_for(None)[0])
    # The population: 200 north, 100 without a cohort, 5 south.
    assert set(np.argsort(-south)[:3].tolist()) <= {1, 2, 3, 10, 11}
    assert model.release is not None
    assert model.release.released == 1
    assert model.release.suppressed == 11
    assert abs(model.release.contributors - 305) <= 3


def test_at_a_large_budget_the_counts_are_near_the_bounded_truth() -> None:
    data, cohorts = _data({NORTH: (60, [1, 2, 3, 4, 5, 6, 7]), None: (40, [7, 8])})
    model = CohortTrends(_config(epsilon=100.0, max_items=4), cohorts).fit(data)
    # Each person counts at most 4 of their items: the population's total is bounded.
    assert model.release is not None
    assert abs(model.release.counted - (60 * 4 + 40 * 2)) <= 30
    # No public ranking given: every item is counted, in id order.
    ids, population = model.counts_for(None)
    assert ids.tolist() == data.item_ids.tolist()
    truth = np.asarray(
        counting.bound_contributions(
            data.matrix,
            4,
            counting.stable_keys(data.subject_ids),
            counting.stable_keys(data.item_ids),
        ).sum(axis=0)
    )
    assert np.abs(population - truth).max() <= 2


def test_a_tiny_budget_suppresses_everything_small_but_stays_valid() -> None:
    data, cohorts = _data({NORTH: (12, [1, 2]), SOUTH: (8, [3])})
    model = CohortTrends(_config(epsilon=0.05, min_cohort=10_000), cohorts).fit(data)
    assert model.released_cohorts() == []
    scores, basis = model.scores_for(NORTH)
    assert basis == "too_small"
    assert scores.shape == (30,)
    assert scores.min() >= 0


def test_the_saved_model_round_trips_and_holds_no_one(tmp_path: Path) -> None:
    data, cohorts = _data({NORTH: (80, [1, 2]), SOUTH: (80, [3, 4]), None: (10, [5])})
    model = CohortTrends(_config(), cohorts).fit(data)
    model.save(tmp_path / "m")
    back = CohortTrends.load(tmp_path / "m")
    assert back.release == model.release
    assert back.released_cohorts() == model.released_cohorts()
    for key in (NORTH, SOUTH, ("north", "65+"), None):
        assert np.array_equal(back.scores_for(key)[0], model.scores_for(key)[0])
    with np.load(tmp_path / "m" / "arrays.npz", allow_pickle=False) as saved:
        text = " ".join(str(saved[name].tolist()) for name in saved.files)
    assert "north-0" not in text
    assert "none-0" not in text
    assert back.config == model.config


def test_scores_are_shared_read_only_between_decisions() -> None:
    data, cohorts = _data({NORTH: (80, [1, 2])})
    model = CohortTrends(_config(), cohorts).fit(data)
    first, _ = model.scores_for(NORTH)
    assert model.scores_for(NORTH)[0] is first
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 1.0
    assert model.score(History.empty()).flags.writeable
