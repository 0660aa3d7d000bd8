"""The stratified split replicates Recommenders' python_stratified_split row for row."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from tactful.errors import InvalidInput
from tactful.evaluation.splits import stratified_split, train_count, validation_split


def test_the_legacy_generator_permutations_the_split_relies_on() -> None:
    # pandas' sample(frac=1, random_state=42) draws RandomState(42).permutation(n).
    assert np.random.RandomState(42).permutation(4).tolist() == [1, 3, 0, 2]
    assert np.random.RandomState(42).permutation(6).tolist() == [0, 1, 5, 2, 4, 3]


def test_a_hand_worked_example() -> None:
    # Row:     0   1   2   3   4   5   6   7   8   9  10
    users = [10, 20, 10, 10, 20, 10, 30, 20, 20, 20, 20]
    items = [1, 1, 2, 3, 2, 4, 5, 3, 4, 5, 6]
    # User 10: rows [0, 2, 3, 5]; permutation(4) = [1, 3, 0, 2] shuffles them to
    #   [2, 5, 0, 3]; round(0.75 * 4) = 3 -> train {2, 5, 0}, test {3}.
    # User 20: rows [1, 4, 7, 8, 9, 10]; permutation(6) = [0, 1, 5, 2, 4, 3] shuffles them
    #   to [1, 4, 10, 7, 9, 8]; round(4.5) = 4 (half to even) -> train {1, 4, 10, 7},
    #   test {9, 8}.
    # User 30: one row; round(0.75) = 1 -> train.
    split = stratified_split(users, items, 0.75, seed=42)
    assert split.train.tolist() == [0, 1, 2, 4, 5, 6, 7, 10]
    assert split.test.tolist() == [3, 8, 9]


def test_by_item_groups_the_item_column() -> None:
    users = [1, 2, 3, 4, 1, 2, 3, 4]
    items = [7, 7, 7, 7, 8, 8, 9, 9]
    # Item 7: rows [0, 1, 2, 3], shuffled to [1, 3, 0, 2]: row 2 is cut off. Items 8 and 9
    # (two rows each, round(1.5) = 2) stay whole. By user, everyone has two rows: no test.
    split = stratified_split(users, items, 0.75, seed=42, by="item")
    assert split.test.tolist() == [2]
    assert stratified_split(users, items, 0.75, seed=42, by="user").test.tolist() == []


def test_counts_per_user_are_python_round_of_three_quarters(rng: np.random.Generator) -> None:
    sizes = np.arange(1, 41)
    users = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(users)
    items = rng.integers(0, 1000, size=len(users))
    split = stratified_split(users, items)
    per_user = np.bincount(users[split.train], minlength=len(sizes))
    assert per_user.tolist() == [round(0.75 * n) for n in sizes]
    assert [per_user[1], per_user[5], per_user[9]] == [2, 4, 8]  # round(1.5, 4.5, 7.5)
    assert sorted(np.r_[split.train, split.test].tolist()) == list(range(len(users)))


def test_same_seed_same_split_other_seed_other_split(rng: np.random.Generator) -> None:
    users = rng.integers(0, 50, size=3000)
    items = rng.integers(0, 400, size=3000)
    a, b = stratified_split(users, items, seed=42), stratified_split(users, items, seed=42)
    c = stratified_split(users, items, seed=43)
    assert np.array_equal(a.train, b.train)
    assert not np.array_equal(a.train, c.train)
    assert len(a.train) == len(c.train)


def test_group_rows_need_not_be_contiguous() -> None:
    # pandas keeps each group's rows in file order whatever lies between them.
    contiguous = stratified_split([5, 5, 5, 5, 6, 6], [1, 2, 3, 4, 1, 2])
    interleaved = stratified_split([5, 6, 5, 5, 6, 5], [1, 1, 2, 3, 2, 4])
    assert contiguous.test.tolist() == [2]  # user 5's third row
    assert interleaved.test.tolist() == [3]  # user 5's third row again


def test_bad_arguments_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        stratified_split([1, 2], [1], 0.75)
    with pytest.raises(InvalidInput):
        stratified_split([1, 2], [1, 2], 1.0)
    with pytest.raises(InvalidInput):
        stratified_split([1, 2], [1, 2], by="subject")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        validation_split(sparse.csr_array(np.eye(3)), 0.0)


def test_validation_is_carved_from_training_rows_only(rng: np.random.Generator) -> None:
    dense = (rng.random((30, 60)) < 0.3).astype(np.float32) * rng.integers(1, 6, (30, 60))
    train = sparse.csr_array(dense)
    fit, held_out = validation_split(train, 0.25, seed=43)
    assert fit.multiply(held_out).nnz == 0  # disjoint
    assert np.array_equal((fit + held_out).toarray(), dense)  # together: exactly train
    per_user = np.diff(train.indptr)
    assert np.diff(fit.indptr).tolist() == [train_count(int(n), 0.75) for n in per_user]
    again, _ = validation_split(train, 0.25, seed=43)
    other, _ = validation_split(train, 0.25, seed=44)
    assert (again != fit).nnz == 0
    assert (other != fit).nnz > 0
