"""Shared fixtures: seeded randomness and a small synthetic interaction matrix."""

from __future__ import annotations

import numpy as np
import pytest

from tactful.candidates.base import Interactions

SEED = 42


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed, so every test sees the same draws."""
    return np.random.default_rng(SEED)


def synthetic_interactions(seed: int = 20_240_601) -> Interactions:
    """60 subjects over 32 items in three taste clusters, plus two items nobody touched.

    Each subject draws most of their items from one cluster of ten and a few from anywhere,
    with weights from 1 to 5, so item-item models have real structure to find.
    """
    gen = np.random.default_rng(seed)
    catalog = [f"item-{n:02d}" for n in range(32)]
    triples: list[tuple[str, str, float]] = []
    for s in range(60):
        cluster = s % 3
        own = gen.choice(10, size=int(gen.integers(3, 8)), replace=False) + 10 * cluster
        other = gen.choice(30, size=int(gen.integers(0, 3)), replace=False)
        for item in np.concatenate([own, other]):
            triples.append((f"subject-{s:02d}", catalog[item], float(gen.integers(1, 6))))
    return Interactions.from_triples(triples, item_ids=catalog)


@pytest.fixture
def interactions() -> Interactions:
    return synthetic_interactions()
