"""`AuditData` checked before anything is measured, every problem named by its field.

The metric functions check their own inputs too, but their messages name their own
arguments ("recommended", "labels"); an audit built by a service from many sources needs
to know which part of `AuditData` was wrong. Checks that only a metric can make (an item
twice in one list, a pad before an item) are left to the metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful.errors import FieldError, InvalidInput
from tactful.fairness.data import AuditData

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
KINDS = ("campaign", "category", "surface")


@dataclass(frozen=True)
class Checked:
    """The arrays of a valid `AuditData`, normalised: lists cut (or padded) to k columns."""

    n_items: int
    n_people: int
    lists: IntArray
    list_person: IntArray
    relevant: sparse.csr_array
    history: sparse.csr_array
    categories: sparse.csr_array
    popularity: FloatArray


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"Invalid audit data: {field} {message}.", [FieldError(field, message)])


def _integers(values: object, field: str, ndim: int, low: int, high: int) -> IntArray:
    array = np.asarray(values)
    if array.ndim != ndim:
        raise _fail(field, f"must be a {ndim}-D array, not {array.ndim}-D")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise _fail(field, f"must hold integers, not {array.dtype}")
    if array.size and (int(array.min()) < low or int(array.max()) >= high):
        raise _fail(field, f"values must lie in [{low}, {high})")
    return array.astype(np.int64, copy=False)


def _matrix(values: object, field: str, rows: int, columns: int | None) -> sparse.csr_array:
    if not sparse.issparse(values):
        raise _fail(field, f"must be a scipy.sparse matrix, not {type(values).__name__}")
    matrix = sparse.csr_array(cast(sparse.csr_array, values))
    shape = tuple(matrix.shape)
    if shape[0] != rows or (columns is not None and shape[1] != columns):
        wanted = f"({rows}, {columns if columns is not None else 'any'})"
        raise _fail(field, f"must have shape {wanted}, not {shape}")
    return matrix


def _flags(values: object, field: str, length: int) -> None:
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != length:
        raise _fail(field, f"must be 1-D with one entry per person of the segment ({length})")
    if array.dtype != np.bool_:
        raise _fail(field, f"must hold booleans, not {array.dtype}")


def validated(data: AuditData, k: int) -> Checked:
    """The checked, normalised arrays of `data`; `InvalidInput` naming the first bad field."""
    n_items = len(data.item_ids)
    n_people = len(data.people)
    if n_items < 1:
        raise _fail("item_ids", "must name at least one item")
    if len(data.providers) != n_items:
        raise _fail("providers", f"must have one entry per item ({n_items})")
    categories = _matrix(data.categories, "categories", n_items, None)
    popularity = np.asarray(data.popularity, dtype=np.float64)
    if popularity.shape != (n_items,):
        raise _fail("popularity", f"must be 1-D with one entry per item ({n_items})")
    if not np.all(np.isfinite(popularity)) or np.any(popularity < 0):
        raise _fail("popularity", "must hold finite, non-negative numbers")
    if isinstance(data.population, bool) or not isinstance(data.population, int):
        raise _fail("population", "must be an integer")
    if data.population < 1 or (popularity.size and popularity.max() > data.population):
        raise _fail("population", "must be at least 1 and at least every item's popularity")
    for attribute, labels in data.attributes.items():
        if isinstance(labels, str) or len(labels) != n_people:
            raise _fail(f"attributes.{attribute}", f"must have one label per person ({n_people})")

    lists = _integers(data.lists, "lists", 2, -1, n_items)
    n_lists = lists.shape[0]
    if lists.shape[1] >= k:
        lists = lists[:, :k]
    else:
        padding = np.full((n_lists, k - lists.shape[1]), -1, dtype=np.int64)
        lists = np.hstack([lists, padding])
    list_person = _integers(data.list_person, "list_person", 1, 0, max(n_people, 1))
    if len(list_person) != n_lists:
        raise _fail("list_person", f"must have one entry per list ({n_lists})")
    if n_lists and n_people == 0:
        raise _fail("people", "must not be empty when there are lists")
    relevant = _matrix(data.relevant, "relevant", n_lists, n_items)
    history = _matrix(data.history, "history", n_people, n_items)

    for n, segment in enumerate(data.segments):
        where = f"segments[{n}]"
        if segment.kind not in KINDS:
            raise _fail(f"{where}.kind", f"must be one of {', '.join(KINDS)}")
        person = _integers(segment.person, f"{where}.person", 1, 0, max(n_people, 1))
        if person.size and n_people == 0:
            raise _fail(f"{where}.person", "names people but there are none")
        for name in ("eligible", "served", "converted"):
            _flags(getattr(segment, name), f"{where}.{name}", len(person))
        if segment.observed is not None:
            _flags(segment.observed, f"{where}.observed", len(person))
    for key, value in data.counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(f"counts.{key}", "must be an integer")
    return Checked(n_items, n_people, lists, list_person, relevant, history, categories, popularity)
