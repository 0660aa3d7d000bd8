"""The vectorised training-data builder against the per-event rules it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from tactful.candidates.base import Interactions
from tactful.domain.purposes import DEFAULT_PURPOSES
from tactful.training.columns import event_columns, subject_consents
from tactful.training.interactions import build_training_data
from tactful.training.matrix import MatrixBuilder
from tactful.training.policies import EVENT_TYPES, WeightTable
from tests.training.randomised import random_shop
from tests.training.reference import reference_training_data


def assert_same(got: Interactions, want: Interactions) -> None:
    assert got.subject_ids.tolist() == want.subject_ids.tolist()
    assert got.item_ids.tolist() == want.item_ids.tolist()
    assert got.matrix.shape == want.matrix.shape
    assert got.matrix.dtype == np.float32
    assert got.matrix.has_canonical_format
    np.testing.assert_array_equal(got.matrix.toarray(), want.matrix.toarray())


@pytest.mark.parametrize("seed", range(30))
def test_vectorised_builder_agrees_with_the_per_event_rules(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shop = random_shop(rng)
    ledgers = {s: [*records] for s, records in shop.ledgers.items()}
    for record in shop.later:
        ledgers.setdefault(record.subject_id, []).append(record)
    attributes = {s.subject_id: s.attributes for s in shop.subjects}
    personal, aggregate, _ = reference_training_data(
        shop.events, ledgers, attributes, shop.catalog, DEFAULT_PURPOSES
    )
    # Subjects in any order, events in chunks of any size: neither may matter.
    order = [shop.subjects[int(n)].subject_id for n in rng.permutation(len(shop.subjects))]
    data = build_training_data(
        subject_consents(order, ledgers, attributes),
        event_columns(shop.events, chunk_rows=int(rng.integers(1, 400))),
        shop.catalog,
        DEFAULT_PURPOSES,
    )
    assert personal.matrix.nnz > 0
    assert aggregate.matrix.nnz > personal.matrix.nnz / 2
    assert_same(data.personal, personal)
    assert_same(data.aggregate, aggregate)
    assert data.subjects_profiled == len(personal.subject_ids)
    assert data.events_read == sum(e.item_id is not None for e in shop.events)


def test_no_subjects_and_no_events_give_empty_matrices_over_the_catalog() -> None:
    shop = random_shop(np.random.default_rng(1))
    data = build_training_data([], [], shop.catalog, DEFAULT_PURPOSES)
    assert data.personal.matrix.shape == (0, len(shop.catalog))
    assert data.aggregate.item_ids.tolist() == sorted(shop.catalog)
    assert data.events_read == 0


def test_repeated_pairs_keep_their_largest_weight() -> None:
    builder = MatrixBuilder(n_cols=3)
    builder.add(np.array([2, 0, 2]), np.array([1, 2, 1]), np.array([1.0, 4.0, 5.0], np.float32))
    builder.add(np.array([2, 0]), np.array([1, 0]), np.array([2.0, 3.0], np.float32))
    matrix = builder.build(np.array(["a", "b", "c"]), np.array(["x", "y", "z"]))
    assert matrix.subject_ids.tolist() == ["a", "c"]  # "b" holds no signal
    np.testing.assert_array_equal(matrix.matrix.toarray(), [[3.0, 0, 4.0], [0, 5.0, 0]])


def test_weights_follow_signal_weight_for_every_type_and_value() -> None:
    types = np.repeat(np.arange(len(EVENT_TYPES), dtype=np.int8), 3)
    values = np.tile([np.nan, 1.5, 4.0], len(EVENT_TYPES))
    weights = WeightTable().weights(types, values).tolist()
    by_type = {e.value: weights[3 * n : 3 * n + 3] for n, e in enumerate(EVENT_TYPES)}
    assert by_type["view"] == [1.0, 1.0, 1.0]
    assert by_type["purchase"] == [5.0, 5.0, 5.0]
    assert by_type["rating"] == [4.0, 1.0, 4.0]  # a poor rating says less
