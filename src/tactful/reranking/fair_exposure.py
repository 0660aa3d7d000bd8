"""FA*IR: a top-k list in which a protected group is never statistically under-represented.

Zehlike, Bonchi, Castillo, Hajian, Megahed, Baeza-Yates, "FA*IR: A Fair Top-k Ranking
Algorithm", CIKM 2017. A list passes the ranked group fairness test when, at every prefix
length i, its number of protected items is not significantly below what i draws with
probability p would give: at least

    m(i) = F^-1(alpha; i, p) = min{m : P[Binomial(i, p) <= m] >= alpha}

(the binomial inverse CDF, as scipy's `binom.ppf` computes it). `mtable` is that table.

Testing k prefixes at level alpha each rejects a fair list far more often than alpha, so
the paper adjusts the level: `adjusted_alpha` searches for the alpha_c whose table a list
of k independent Bernoulli(p) draws fails with probability closest to alpha. The failure
probability is computed exactly (`fail_probability`, a walk over the count of protected
items that drops the paths below the table); the search is the bisection of the fair-search
reference implementation (fairsearchcore, `fail_prob.py`), including its choice among the
last two or three candidate tables. It returns that library's alpha_c except where the
library's failure probability leaves out the last position (its block table stops at k - 1):
when m(k) > m(k - 1) the library underestimates the failure rate and may pick a different
table; the exact rate here is checked against simulation in the tests.

`fair_rerank` then builds the list greedily, as the paper's algorithm does: the better of
the best protected and the best other candidate, except that a protected one is taken
whenever the prefix would otherwise fall below the table. When protected candidates run out
the list is filled with the best of the rest; p = 0 gives exactly the plain top k.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import Field

from tactful.candidates.base import ComponentConfig, IndexArray
from tactful.errors import InvalidInput
from tactful.reranking import BoolArray, Float64Array, check_k, check_scores, pool_of

# The bisection stops when the bracket is narrower than this (as in the reference).
EPS = 1e-16
# Relative tolerance when comparing a computed binomial CDF with alpha.
TIE = 1e-12


class FairConfig(ComponentConfig):
    p: float = Field(
        ge=0.0, le=1.0, description="minimum share of protected items the list must not fall below"
    )
    alpha: float = Field(
        0.1, gt=0.0, lt=1.0, description="significance of the test that a prefix falls below p"
    )
    adjust: bool = Field(
        True, description="adjust alpha for testing every prefix (overall failure rate = alpha)"
    )
    pool: int = Field(100, ge=1, description="how many of the best candidates are re-ranked")


def _check_table_args(k: object, p: object, alpha: object) -> tuple[int, float, float]:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise InvalidInput(f"k must be a non-negative integer, got {k!r}.")
    if not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
        raise InvalidInput(f"p must lie in [0, 1], got {p!r}.")
    if not isinstance(alpha, int | float) or not 0.0 < alpha < 1.0:
        raise InvalidInput(f"alpha must lie in (0, 1), got {alpha!r}.")
    return int(k), float(p), float(alpha)


@lru_cache(maxsize=64)
def _cdf_rows(k: int, p: float) -> Float64Array:
    """Row i - 1: P[Binomial(i, p) <= m] for m = 0..k (exactly 1 from m = i on)."""
    rows = np.ones((k, k + 1), dtype=np.float64)
    pmf = np.zeros(k + 1, dtype=np.float64)
    pmf[0] = 1.0
    for i in range(1, k + 1):
        pmf[1:] = pmf[1:] * (1.0 - p) + pmf[:-1] * p
        pmf[0] *= 1.0 - p
        rows[i - 1, :i] = np.cumsum(pmf[:i])
    rows.flags.writeable = False
    return rows


@lru_cache(maxsize=1024)
def _table(k: int, p: float, alpha: float) -> tuple[int, ...]:
    # m(i) = how many m in 0..i have a CDF still below alpha (the CDF is non-decreasing). A
    # CDF within TIE of alpha counts as reaching it: exact ties (p = 0.5, or 1 - p = alpha)
    # then give the mathematical answer, not one rounding picked.
    if k == 0:
        return ()
    below = _cdf_rows(k, p) < alpha * (1.0 - TIE)
    return tuple(int(m) for m in below.sum(axis=1))


def mtable(k: int, p: float, alpha: float) -> list[int]:
    """m(1), ..., m(k): the fewest protected items each prefix needs, at level alpha."""
    k, p, alpha = _check_table_args(k, p, alpha)
    return list(_table(k, p, alpha))


def fail_probability(table: list[int] | tuple[int, ...], p: float) -> float:
    """P[a list of len(table) independent Bernoulli(p) draws falls below the table somewhere]."""
    alive = np.zeros(len(table) + 1, dtype=np.float64)  # P[count = c, every prefix passed]
    alive[0] = 1.0
    for i, need in enumerate(table, start=1):
        alive[1 : i + 1] = alive[1 : i + 1] * (1.0 - p) + alive[:i] * p
        alive[0] *= 1.0 - p
        alive[: int(need)] = 0.0
    return min(1.0, max(0.0, 1.0 - float(alive.sum())))


@dataclass(frozen=True, slots=True)
class _Candidate:
    alpha: float
    mass: int  # sum of the table: tables only grow with alpha
    fail: float


def _candidate(k: int, p: float, alpha: float) -> _Candidate:
    table = _table(k, p, alpha)
    return _Candidate(alpha, sum(table), fail_probability(table, p))


def _closest(target: float, *candidates: _Candidate) -> float:
    """The candidate failing closest to target; the first listed wins a tie."""
    return min(candidates, key=lambda c: abs(c.fail - target)).alpha


@lru_cache(maxsize=256)
def _adjusted(k: int, p: float, alpha: float) -> float:
    low, high = _candidate(k, p, 0.0), _candidate(k, p, alpha)
    mid = _candidate(k, p, alpha / 2)
    while low.mass < high.mass and mid.fail != alpha:
        if mid.fail < alpha:
            low = mid
        else:
            high = mid
        mid = _candidate(k, p, (low.alpha + high.alpha) / 2)
        if high.mass - low.mass == 1 or high.alpha - low.alpha <= EPS:
            return _closest(alpha, low, high)
        if high.mass - mid.mass == 1 and mid.mass - low.mass == 1:
            return _closest(alpha, mid, low, high)
    return mid.alpha


def adjusted_alpha(k: int, p: float, alpha: float) -> float:
    """The level alpha_c whose table a fair list of length k fails with probability ~ alpha.

    Tables are discrete, so the failure probability is the nearest the search finds, not
    alpha exactly. When every level up to alpha gives the same table, the search returns
    alpha / 2, as the reference implementation does (any level then gives that table).
    """
    k, p, alpha = _check_table_args(k, p, alpha)
    return _adjusted(k, p, alpha)


def fair_table(k: int, config: FairConfig) -> list[int]:
    """The table `fair_rerank` enforces on a list of length k under `config`."""
    alpha = adjusted_alpha(k, config.p, config.alpha) if config.adjust else config.alpha
    return mtable(k, config.p, alpha)


def fair_rerank(
    scores: object,
    protected: object,
    k: int,
    config: FairConfig,
    exclude: BoolArray | None = None,
) -> IndexArray:
    """The k columns FA*IR chooses from the `pool` best, best first.

    `protected` flags the columns of the protected group. The table is that of the list
    actually returned (k, or fewer when fewer candidates are left). Ties between the two
    groups' best candidates go to the better-ranked one, as in top_k.
    """
    values, mask = check_scores(scores, exclude)
    k = check_k(k, config.pool)
    flags = np.asarray(protected)
    if flags.shape != values.shape or flags.dtype != np.bool_:
        raise InvalidInput("protected must be a boolean array shaped like scores.")
    pool = pool_of(values, config.pool, mask)
    n = min(k, len(pool))
    need = fair_table(n, config)
    in_group = flags[pool]
    group: list[int] = np.flatnonzero(in_group).tolist()  # positions in the pool, best first
    others: list[int] = np.flatnonzero(~in_group).tolist()
    chosen: list[int] = []
    a = b = count = 0
    for i in range(n):
        if a < len(group) and (b >= len(others) or count < need[i] or group[a] < others[b]):
            chosen.append(group[a])
            a += 1
            count += 1
        else:
            chosen.append(others[b])
            b += 1
    return pool[np.array(chosen, dtype=np.int64)]


def protected_prefix_counts(chosen: IndexArray, protected: BoolArray) -> list[int]:
    """How many protected items each prefix of `chosen` holds (for checks and reports)."""
    return np.cumsum(protected[chosen]).astype(np.int64).tolist() if len(chosen) else []
