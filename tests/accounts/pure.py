"""A catalog and account models fitted in memory, for the pipeline's pure tests."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from tactful.candidates.base import Interactions
from tactful.candidates.segments import SegmentPopularity, SegmentPopularityConfig
from tactful.domain.accounts import Account, AccountEvent, AccountEventType, SizeBand
from tactful.domain.catalog import Item
from tactful.pipeline.accounts import AccountContext
from tactful.pipeline.models import ModelHandle
from tactful.training.accounts import account_training_data, fit_account_models

T0 = datetime(2026, 9, 1, tzinfo=UTC)
SENSITIVE = {"bet": "gambling", "wine": "alcohol", "pill": "health"}
CATALOG: dict[str, Item] = {f"i{n}": Item(f"i{n}", f"Item {n}", f"cat{n % 5}") for n in range(40)}
for _prefix, _category in SENSITIVE.items():
    for _n in range(4):
        CATALOG[f"{_prefix}{_n}"] = Item(
            f"{_prefix}{_n}", f"{_prefix} {_n}", _prefix, sensitive=frozenset({_category})
        )
ITEM_IDS = sorted(CATALOG)
INDUSTRIES = ["retail", "hospitality", "mining"]


def training_accounts(n: int = 60) -> dict[str, Account]:
    bands = list(SizeBand)
    return {f"a{m}": Account(f"a{m}", INDUSTRIES[m % 3], bands[m % 2], "FR") for m in range(n)}


def training_events(seed: int, accounts: dict[str, Account]) -> list[AccountEvent]:
    """Each organisation takes 6 items, mostly from its industry's share of the catalog
    (sensitive ones included: they must be left out of training)."""
    gen = np.random.default_rng(seed)
    kinds = list(AccountEventType)
    out = []
    for m, account_id in enumerate(accounts):
        lane = m % 3
        for n in range(6):
            pool = (
                [i for i in ITEM_IDS if zlib.crc32(i.encode()) % 3 == lane] if n < 4 else ITEM_IDS
            )
            item = str(gen.choice(pool))
            out.append(
                AccountEvent(
                    account_id,
                    item,
                    kinds[int(gen.integers(len(kinds)))],
                    T0 + timedelta(minutes=m * 10 + n),
                )
            )
    return out


def fit(seed: int = 7) -> tuple[ModelHandle, ModelHandle]:
    accounts = training_accounts()
    data = account_training_data(training_events(seed, accounts), CATALOG)
    model, segments = fit_account_models(data, accounts, "itemknn", None, 3)
    return (
        ModelHandle.of("account-itemknn", "knn-1", model),
        ModelHandle.of("account-segments", "seg-1", segments),
    )


MODEL, SEGMENTS = fit()


def context(
    account: Account,
    events: Sequence[AccountEvent],
    *,
    model: ModelHandle | None = MODEL,
    segments: ModelHandle = SEGMENTS,
    calls: list[int] | None = None,
) -> AccountContext:
    def load() -> Sequence[AccountEvent]:
        if calls is not None:
            calls.append(1)
        return events

    return AccountContext(account, load, CATALOG, segments, model)


def empty_segments() -> ModelHandle:
    """Segment popularity trained on no activity at all."""
    data = Interactions.from_triples([], ITEM_IDS)
    return ModelHandle.of(
        "account-segments", "seg-0", SegmentPopularity(SegmentPopularityConfig()).fit(data)
    )
