"""The pure chain: one encoding per entry, details that survive both stores, the checker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import pytest

from tactful.audit import chain
from tactful.audit.chain import (
    GENESIS,
    AuditAction,
    ChainCheck,
    Entry,
    Head,
    ProblemKind,
    normalise_detail,
)
from tactful.errors import InvalidInput

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _chain(n: int) -> list[Entry]:
    out: list[Entry] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        entry = chain.seal(
            seq, T0 + timedelta(seconds=seq), "cli", "retention.run", None, {"n": seq}, prev
        )
        out.append(entry)
        prev = entry.hash
    return out


def _check(entries: list[Entry], head: Head | None = None) -> chain.AuditReport:
    check = ChainCheck([], lambda jws: {})
    for e in entries:
        check.feed(e)
    last = entries[-1] if entries else None
    default = Head(last.seq, last.hash) if last else None
    return check.finish(head if head is not None else default)


def _kinds(report: chain.AuditReport) -> set[tuple[str, int]]:
    return {(p.kind.value, p.seq) for p in report.problems}


def test_the_hash_covers_every_field_and_ignores_key_order() -> None:
    e = chain.seal(3, T0, "key:k1", "export.made", "ab" * 32, {"a": 1, "b": [1, 2]}, GENESIS)
    assert len(e.hash) == 64
    assert e.content_hash() == e.hash
    same = chain.entry_hash(
        3, T0, "key:k1", "export.made", "ab" * 32, {"b": [1, 2], "a": 1}, GENESIS
    )
    assert same == e.hash
    # The same instant in another zone is the same entry.
    paris = T0.astimezone(timezone(timedelta(hours=1)))
    assert (
        chain.entry_hash(3, paris, "key:k1", "export.made", "ab" * 32, e.detail, GENESIS) == e.hash
    )
    variants = [
        (4, T0, "key:k1", "export.made", "ab" * 32, e.detail, GENESIS),
        (3, T0 + timedelta(microseconds=1), "key:k1", "export.made", "ab" * 32, e.detail, GENESIS),
        (3, T0, "key:k2", "export.made", "ab" * 32, e.detail, GENESIS),
        (3, T0, "key:k1", "erasure.completed", "ab" * 32, e.detail, GENESIS),
        (3, T0, "key:k1", "export.made", None, e.detail, GENESIS),
        (3, T0, "key:k1", "export.made", "ab" * 32, {"a": 2, "b": [1, 2]}, GENESIS),
        (3, T0, "key:k1", "export.made", "ab" * 32, e.detail, "1" * 64),
    ]
    hashes = {chain.entry_hash(*v) for v in variants}
    assert e.hash not in hashes
    assert len(hashes) == len(variants)


def test_details_are_normalised_to_what_both_stores_give_back() -> None:
    class Colour(StrEnum):
        RED = "red"

    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    detail = normalise_detail(
        {
            "when": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2))),
            "id": key,
            "colour": Colour.RED,
            "pair": (1, 2),
            "big": 1e17,
            "small": 1e-7,
            "zero": -0.0,
            "text": "Zoë 😀",
        }
    )
    assert detail == {
        "when": "2026-01-02T01:04:05.000006+00:00",
        "id": str(key),
        "colour": "red",
        "pair": [1, 2],
        "big": 100000000000000000,
        "small": 1e-7,
        "zero": 0.0,
        "text": "Zoë 😀",
    }
    assert normalise_detail(None) == {}


@pytest.mark.parametrize(
    "detail",
    [
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": 2**64},
        {"x": 1e300},
        {"x": "a\x00b"},
        {"x": "\ud800"},
        {"x": {1: "not a string key"}},
        {"x": {1, 2}},
        {"x": datetime(2026, 1, 1)},  # naive on purpose
        {"x": "y" * 20_000},
    ],
)
def test_details_that_cannot_round_trip_are_refused(detail: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_detail(detail)
    assert caught.value.errors
    assert caught.value.errors[0].field.startswith("detail")


def test_the_actions_are_dotted_names() -> None:
    assert AuditAction("consent.changed") is AuditAction.CONSENT_CHANGED
    assert all("." in a.value for a in AuditAction)
    assert {"personal_data.read", "erasure.completed", "training.run", "key.revoked"} <= {
        a.value for a in AuditAction
    }


def test_an_intact_chain_and_an_empty_one_pass() -> None:
    report = _check(_chain(30))
    assert report.ok
    assert report.entries == 30
    assert report.first_bad_seq is None
    empty = _check([], None)
    assert empty.ok
    assert empty.entries == 0


def test_the_checker_names_each_kind_where_it_happened() -> None:
    entries = _chain(12)
    # Moved forward by one: entries 5 and 6 swap places.
    e5, e6 = entries[4], entries[5]
    swapped = [*entries[:4], _moved(e6, 5), _moved(e5, 6), *entries[6:]]
    assert _kinds(_check(swapped, Head(12, entries[-1].hash))) == {("reordered", 5)}
    # Entry 8 dropped, the rest left where they were.
    assert _kinds(_check(entries[:7] + entries[8:])) == {("deleted", 8)}
    # Entry 8 dropped and the rest renumbered to close the gap.
    closed = entries[:7] + [_moved(e, e.seq - 1) for e in entries[8:]]
    report = _check(closed, Head(12, entries[-1].hash))
    assert ("deleted", 8) in _kinds(report)
    assert report.first_bad_seq == 8


def test_a_head_that_disagrees_is_reported() -> None:
    entries = _chain(6)
    ahead = _check(entries, Head(9, "f" * 64))
    assert _kinds(ahead) == {("head_mismatch", 7)}
    other = _check(entries, Head(6, "f" * 64))
    assert _kinds(other) == {("head_mismatch", 6)}
    behind = _check(entries, Head(4, entries[3].hash))
    assert _kinds(behind) == {("head_mismatch", 5)}
    headless = ChainCheck([], lambda jws: {})
    for e in entries:
        headless.feed(e)
    assert _kinds(headless.finish(None)) == {("head_mismatch", 6)}
    assert ProblemKind.HEAD_MISMATCH.value == "head_mismatch"


def _moved(e: Entry, seq: int) -> Entry:
    return Entry(seq, e.at, e.actor, e.action, e.subject_ref, e.detail, e.prev_hash, e.hash)
