"""The differential-privacy mechanism of the aggregate level, built and accounted by OpenDP.

A release adds noise to a vector of integer counts with OpenDP's Laplace mechanism on
integers (`make_laplace` on a vector of `i64`: the discrete Laplace, sampled exactly and
from a cryptographic source, so it is neither seedable nor repeatable). The caller bounds
what one person can change in the vector first (`tactful.privacy.counting`): that L1
distance, `d_in`, is the one number OpenDP takes on trust. From it OpenDP finds the noise
scale that spends the epsilon asked for (`binary_search_param` over the privacy map), and
its privacy map says what the release spends; nothing here computes an epsilon by hand.

Releases made one after the other read the same people, so their costs add up (sequential
composition); `composed_epsilon` asks OpenDP's composition combinator for that total.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from tactful.errors import FieldError, InvalidInput

IntArray = npt.NDArray[np.int64]
MECHANISM = "discrete Laplace (OpenDP make_laplace on integer vectors)"
MEASURE = "pure differential privacy (delta = 0)"


@cache
def _opendp() -> Any:
    """OpenDP, with its contributed (peer-reviewed, not yet formally vetted) components on."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def _measurement(scale: float) -> Any:
    dp = _opendp()
    return dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"), scale=scale
    )


@dataclass(frozen=True, slots=True)
class LaplacePlan:
    """One release's noise: its scale, the L1 distance one person can make, what it spends."""

    scale: float
    d_in: int
    epsilon: float  # OpenDP's privacy map at d_in
    delta: float = 0.0
    mechanism: str = MECHANISM


def plan(d_in: int, epsilon: float) -> LaplacePlan:
    """The least noise whose privacy map at `d_in` stays within `epsilon`."""
    errors = []
    if isinstance(d_in, bool) or not isinstance(d_in, int) or d_in < 1:
        errors.append(FieldError("d_in", "a whole number of at least 1"))
    if not isinstance(epsilon, int | float) or not math.isfinite(epsilon) or epsilon <= 0:
        errors.append(FieldError("epsilon", "a finite number above 0"))
    if errors:
        raise InvalidInput("The privacy budget of the release is invalid.", errors)
    return _plan(d_in, float(epsilon))


@cache  # a binary search over OpenDP's privacy map (about 45 ms); the answer never changes
def _plan(d_in: int, epsilon: float) -> LaplacePlan:
    dp = _opendp()
    scale = float(dp.binary_search_param(_measurement, d_in=d_in, d_out=epsilon))
    return LaplacePlan(scale, d_in, float(_measurement(scale).map(d_in)))


def release(counts: IntArray, noise: LaplacePlan) -> IntArray:
    """`counts` with the plan's noise added, every entry (zeros too)."""
    if counts.ndim != 1:
        raise InvalidInput("A release is made of one vector of counts.")
    if len(counts) == 0:
        return np.zeros(0, dtype=np.int64)
    noisy = _measurement(noise.scale)(np.ascontiguousarray(counts, dtype=np.int64))
    return np.asarray(noisy, dtype=np.int64)


def composed_epsilon(plans: Sequence[LaplacePlan]) -> float:
    """The epsilon of all `plans` released over the same people, by OpenDP's composition.

    Releases sharing a `d_in` are composed by `make_composition` and its map asked at that
    distance; releases with another `d_in` (a changed `aggregate_max_items`) form their own
    group, and the groups' totals add up, as pure differential privacy composes.
    """
    dp = _opendp()
    total = 0.0
    by_d_in: dict[int, list[LaplacePlan]] = {}
    for p in plans:
        by_d_in.setdefault(p.d_in, []).append(p)
    for d_in, group in sorted(by_d_in.items()):
        composed = dp.c.make_composition([_measurement(p.scale) for p in group])
        total += float(composed.map(d_in))
    return total
