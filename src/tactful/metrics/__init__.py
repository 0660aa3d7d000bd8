"""Offline evaluation metrics for recommendation lists.

* `tactful.metrics.ranking`: top-k accuracy (nDCG, precision, recall, MAP, MRR, hit rate)
  as defined by Microsoft Recommenders' `python_evaluation`, with binary relevance.
* `tactful.metrics.beyond`: catalog coverage, average recommendation popularity and
  long-tail share (Abdollahpouri et al. 2019), intra-list diversity (Ziegler et al. 2005),
  novelty (Zhou et al. 2010) and miscalibration (Steck 2018).
* `tactful.metrics.groups`: per-group means of per-user metrics and the gap between the
  best- and worst-served groups.
* `tactful.metrics.exposure`: position-weighted exposure per item and per provider group
  (DCG or RBP browsing model), exposure share against catalog share, Gini of exposure.
* `tactful.metrics.targeting`: eligible, served and converted rates per group of people,
  with the four-fifths (80%) adverse-impact rule flagged.

Conventions: `recommended` is an int64 array (n_users, k) of item column indices, best
first, padded with -1 at the end; truth, history, training and feature matrices are
`scipy.sparse` arrays whose entries > 0 count as present. Pure numpy/scipy.
"""

from tactful.metrics.beyond import (
    average_popularity,
    catalog_coverage,
    intra_list_diversity,
    item_popularity,
    long_tail_mask,
    long_tail_share,
    miscalibration,
    novelty,
    per_user_average_popularity,
    per_user_intra_list_diversity,
    per_user_long_tail_share,
    per_user_miscalibration,
    per_user_novelty,
)
from tactful.metrics.exposure import (
    GroupExposure,
    exposure_gini,
    gini,
    group_exposure,
    item_exposure,
    position_weights,
)
from tactful.metrics.groups import Gap, GroupBreakdown, GroupStats, by_group
from tactful.metrics.ranking import RANKING_METRICS, mean_ranking, per_user_ranking
from tactful.metrics.targeting import (
    AdverseImpact,
    TargetingReport,
    targeting,
    targeting_by_segment,
)

__all__ = [
    "RANKING_METRICS",
    "AdverseImpact",
    "Gap",
    "GroupBreakdown",
    "GroupExposure",
    "GroupStats",
    "TargetingReport",
    "average_popularity",
    "by_group",
    "catalog_coverage",
    "exposure_gini",
    "gini",
    "group_exposure",
    "intra_list_diversity",
    "item_exposure",
    "item_popularity",
    "long_tail_mask",
    "long_tail_share",
    "mean_ranking",
    "miscalibration",
    "novelty",
    "per_user_average_popularity",
    "per_user_intra_list_diversity",
    "per_user_long_tail_share",
    "per_user_miscalibration",
    "per_user_novelty",
    "per_user_ranking",
    "position_weights",
    "targeting",
    "targeting_by_segment",
]
