"""Evaluation protocols as data: what is split how, what counts as a hit, what to compare with.

A protocol is recorded verbatim in every result file, so a figure can always be traced to
the exact conditions it was measured under.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Literal

from tactful.errors import FieldError, InvalidInput
from tactful.evaluation.splits import StratifyBy

MSR_BENCHMARK_URL = (
    "https://github.com/recommenders-team/recommenders/blob/main/"
    "examples/06_benchmarks/movielens.ipynb"
)


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    """One model's published nDCG@10 under the protocol."""

    model: str
    ndcg_at_10: float


@dataclass(frozen=True, slots=True)
class Protocol:
    name: str
    dataset: Literal["ml-100k", "ml-latest-small"]
    description: str
    split: Literal["stratified", "folds"]
    # stratified: the share of each group's ratings kept for training, and the groups.
    ratio: float = 0.75
    stratify_by: StratifyBy = "item"
    # folds: the ml-100k file stems, each with a .base (train) and a .test file.
    folds: tuple[str, ...] = ()
    k: int = 10
    relevance: str = "every test rating is relevant, whatever its number of stars"
    interactions: str = "every training rating is one interaction of weight 1"
    candidates: str = "every item seen in training, minus the user's own training items"
    users: str = "users with at least one test rating who also have training ratings"
    # Accuracy is broken down by these user attributes (ml-100k only: ml-latest has none);
    # a group with fewer users than group_min_users is reported but left out of the gap.
    group_attributes: tuple[str, ...] = ()
    group_min_users: int = 20
    published: tuple[PublishedFigure, ...] = ()
    published_source: str | None = None
    notes: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# nDCG@10 of the Recommenders MovieLens benchmark notebook (item-stratified split).
_MSR_PUBLISHED = (
    PublishedFigure("BiVAE", 0.4751),
    PublishedFigure("BPR", 0.4420),
    PublishedFigure("LightGCN", 0.4198),
    PublishedFigure("NCF", 0.3961),
    PublishedFigure("SAR", 0.3825),
)
_ML100K_GROUPS = ("gender", "age_band", "occupation")
_MSR_NOTES = (
    "Replicates the split of the Recommenders MovieLens benchmark notebook: "
    "python_stratified_split(df, ratio=0.75, min_rating=1, filter_by='item', seed=42) as "
    "implemented in reco_utils (2021), i.e. 75% of each ITEM's ratings, shuffled per group "
    "with RandomState(42), go to training. The notebook states that its split is stratified "
    "by item and its code does so; msr-ml100k-by-user is the same protocol stratified by "
    "user instead. Items whose ratings all fall in the test part cannot be recommended but "
    "still count as relevant, as in the notebook's metrics. The published figures were "
    "measured by their authors with their own hyperparameters, without tuning; Tactful tunes "
    "on a validation split carved from the training part only."
)
_BY_USER_NOTES = (
    "The msr-ml100k rules with the split stratified by user: 75% of each USER's ratings, "
    "shuffled per user with RandomState(42) as python_stratified_split(filter_by='user') "
    "does, go to training, so every user is evaluated. The published figures were measured "
    "under the item-stratified split and are shown for orientation only."
)

PROTOCOLS: Mapping[str, Protocol] = MappingProxyType(
    {
        "msr-ml100k": Protocol(
            name="msr-ml100k",
            dataset="ml-100k",
            description="ml-100k, stratified 75/25 split (seed 42), top-10 ranking, as in "
            "the Microsoft Recommenders MovieLens benchmark",
            split="stratified",
            group_attributes=_ML100K_GROUPS,
            published=_MSR_PUBLISHED,
            published_source=MSR_BENCHMARK_URL,
            notes=_MSR_NOTES,
        ),
        "msr-ml100k-by-user": Protocol(
            name="msr-ml100k-by-user",
            dataset="ml-100k",
            description="ml-100k, 75/25 split stratified by user (seed 42), top-10 ranking, "
            "otherwise as msr-ml100k",
            split="stratified",
            stratify_by="user",
            group_attributes=_ML100K_GROUPS,
            published=_MSR_PUBLISHED,
            published_source=MSR_BENCHMARK_URL,
            notes=_BY_USER_NOTES,
        ),
        "ml100k-folds": Protocol(
            name="ml100k-folds",
            dataset="ml-100k",
            description="ml-100k's five given folds u1..u5 (.base train, .test test), "
            "top-10 ranking, metrics averaged over the folds",
            split="folds",
            folds=("u1", "u2", "u3", "u4", "u5"),
            group_attributes=_ML100K_GROUPS,
            notes="The folds are GroupLens' own 80/20 splits of u.data, disjoint in their "
            "test parts. Every figure is also reported per fold, with its standard "
            "deviation over the five folds.",
        ),
        "ml-latest-small": Protocol(
            name="ml-latest-small",
            dataset="ml-latest-small",
            description="ml-latest-small, stratified 75/25 split (seed 42), top-10 ranking, "
            "the msr-ml100k rules on a newer and sparser dataset",
            split="stratified",
            notes=_MSR_NOTES.split(" The published figures")[0]
            + " No published figures exist for this dataset under this split.",
        ),
    }
)


def get_protocol(name: str) -> Protocol:
    """The protocol called `name`; an unknown name is `InvalidInput`."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise InvalidInput(
            f"Unknown evaluation protocol {name!r}.",
            [FieldError("protocol", f"Must be one of: {known}.")],
        ) from None
