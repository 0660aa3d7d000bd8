"""Differential privacy for the aggregate personalization level.

Pure domain code: cohorts from declared attributes (`cohorts`), who and what may be counted
(`contributions`), the public candidate set a release counts (`public`), contribution
bounding and the released vector (`counting`), the OpenDP
mechanism and its accounting (`dp`), and the released model served at the aggregate level
(`model`).
"""

from tactful.privacy.cohorts import CohortKey, CohortSpec
from tactful.privacy.dp import LaplacePlan, composed_epsilon
from tactful.privacy.model import CohortConfig, CohortTrends, ReleaseFacts

__all__ = [
    "CohortConfig",
    "CohortKey",
    "CohortSpec",
    "CohortTrends",
    "LaplacePlan",
    "ReleaseFacts",
    "composed_epsilon",
]
