"""The OpenDP mechanism: the budget it spends is its privacy map's, the noise has the scale
asked for, and releases over the same people compose by OpenDP's combinator.

OpenDP samples from a cryptographic source and cannot be seeded: these tests check
statistical and structural properties, with tolerances far outside sampling error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tactful.errors import InvalidInput
from tactful.privacy.dp import LaplacePlan, composed_epsilon, plan, release


@pytest.mark.parametrize(("d_in", "epsilon"), [(50, 1.0), (42, 0.1), (2, 8.0), (7, 0.5)])
def test_the_plan_spends_the_configured_epsilon_by_opendps_map(d_in: int, epsilon: float) -> None:
    noise = plan(d_in, epsilon)
    assert noise.epsilon <= epsilon
    assert noise.epsilon == pytest.approx(epsilon, rel=1e-6)
    # Laplace on integers: epsilon = d_in / scale, so the least noise is d_in / epsilon.
    assert noise.scale == pytest.approx(d_in / epsilon, rel=1e-6)
    assert noise.delta == 0.0


def test_the_noise_has_the_planned_scale_and_no_bias() -> None:
    noise = plan(10, 2.0)  # scale 5
    noisy = release(np.zeros(20_000, dtype=np.int64), noise)
    assert noisy.dtype == np.int64
    assert len(noisy) == 20_000
    # The discrete Laplace of scale b: variance 2 e^(-1/b) / (1 - e^(-1/b))^2.
    q = math.exp(-1 / noise.scale)
    expected = math.sqrt(2 * q) / (1 - q)
    assert abs(float(noisy.mean())) < 0.25  # standard error about 0.05
    assert float(noisy.std()) == pytest.approx(expected, rel=0.05)
    # Every count gets noise, zeros too: an empty cell is not left empty.
    assert np.count_nonzero(noisy) > 15_000


def test_large_budgets_release_counts_near_the_truth() -> None:
    truth = np.arange(1000, dtype=np.int64)
    noisy = release(truth, plan(1, 50.0))
    assert np.abs(noisy - truth).max() <= 1


def test_releases_compose_by_opendps_combinator() -> None:
    one = plan(50, 1.0)
    assert composed_epsilon([one]) == pytest.approx(1.0)
    assert composed_epsilon([one, one, one]) == pytest.approx(3.0)
    # A release with another sensitivity (max items changed) adds its own cost.
    other = plan(10, 0.5)
    assert composed_epsilon([one, other, one]) == pytest.approx(2.5)
    assert composed_epsilon([]) == 0.0


@pytest.mark.parametrize(
    ("d_in", "epsilon"),
    [(0, 1.0), (-3, 1.0), (5, 0.0), (5, -1.0), (5, float("nan")), (5, float("inf"))],
)
def test_an_invalid_budget_is_invalid_input(d_in: int, epsilon: float) -> None:
    with pytest.raises(InvalidInput):
        plan(d_in, epsilon)


def test_a_release_is_one_vector() -> None:
    noise = LaplacePlan(1.0, 1, 1.0)
    with pytest.raises(InvalidInput):
        release(np.zeros((2, 2), dtype=np.int64), noise)
    assert len(release(np.zeros(0, dtype=np.int64), noise)) == 0
