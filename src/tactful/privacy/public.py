"""The public candidate set: the only items a release of the cohort trends counts.

Why. Noise is added to every released count, and the largest of n independent noises grows
with n (for the discrete Laplace of scale b, about b ln n). Over a whole catalog, that
largest noise outweighs the true counts of the most popular items as soon as the crowd is
small for its budget, and the trends' top is then made of obscure items that drew lucky
noise. Counting only a short candidate set keeps the noise in the maximum small, wastes no
person's bounded contributions on items never shown, and makes the release faster.

Which set. The first `candidates` countable items of the popularity model's ranking: the
published model version that serves the `off` level, one list shown to everyone, ranked
as serving ranks it (score descending, ties by lower column). Items absent from that
ranking come after it, in catalog (id) order. With no popularity model, or `candidates`
0, the set is the whole countable catalog, itself public.

What it reveals, precisely. The set is a function of the published popularity model and
the catalog alone, fixed before any contribution to the trends is read, so choosing it
reads nobody's trends data. The release is epsilon-differentially private given that set:
what the trends reveal about a person beyond what the popularity model already shows is
bounded by epsilon. The popularity model itself is not a differentially private release
(it counts the activity people allowed for the shop's own lists); the trends neither add to
what it shows nor protect it further.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def public_rank(item_ids: Sequence[str], public_order: Sequence[str] | None) -> IntArray:
    """Each item's place in the public order, 0 first: the items of `public_order` in its
    order, then the others in their own order (a permutation of the columns)."""
    n = len(item_ids)
    if public_order is None:
        return np.arange(n, dtype=np.int64)
    index = {str(item): col for col, item in enumerate(item_ids)}
    first = [c for i in public_order if (c := index.pop(str(i), -1)) >= 0]
    order = np.array(first + sorted(index.values()), dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return rank


def candidate_columns(rank: IntArray, count: int, public: bool = True) -> IntArray:
    """The columns of the `count` best-ranked items, best first; every column, in rank
    order, when `count` is 0 or there is no public ranking (`public` false)."""
    order = np.argsort(rank, kind="stable").astype(np.int64)
    if count <= 0 or not public:
        return order
    return order[:count]


def ordinal(order: IntArray, n: int) -> npt.NDArray[np.float64]:
    """Fractions in (0, 1), largest for the first of `order`: a tie-break to add to
    whole-number counts without ever reaching the next one."""
    out = np.empty(n, dtype=np.float64)
    out[order] = 1.0 - (np.arange(n, dtype=np.float64) + 1.0) / (n + 1.0)
    return out
