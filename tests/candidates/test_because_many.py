"""`because_many` gives, for each item, exactly what `because` gives for it alone."""

from __future__ import annotations

import numpy as np
import pytest

from tactful.candidates.base import History, Interactions
from tactful.candidates.registry import RECOMMENDERS, build
from tactful.errors import InvalidInput


@pytest.mark.parametrize("name", sorted(RECOMMENDERS))
def test_matches_because_item_by_item(name: str, interactions: Interactions) -> None:
    model = build(name).fit(interactions)
    everything = np.arange(interactions.n_items, dtype=np.int64)
    histories = [
        History.empty(),
        History(np.array([3, 3, 12, 0], dtype=np.int64), np.array([1, 4, 2, 0], np.float32)),
        History(np.arange(0, 30, 3, dtype=np.int64), np.linspace(1, 5, 10, dtype=np.float32)),
    ]
    for history in histories:
        assert model.because_many(history, everything) == [
            model.because(history, int(item)) for item in everything
        ]
        assert model.because_many(history, np.zeros(0, dtype=np.int64)) == []


@pytest.mark.parametrize("name", sorted(n for n, c in RECOMMENDERS.items() if c.personal))
def test_rejects_items_outside_the_catalog(name: str, interactions: Interactions) -> None:
    model = build(name).fit(interactions)
    history = History(np.array([1], dtype=np.int64), np.array([1.0], dtype=np.float32))
    with pytest.raises(InvalidInput):
        model.because_many(history, np.array([interactions.n_items], dtype=np.int64))
