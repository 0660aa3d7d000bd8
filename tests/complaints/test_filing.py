"""Filing a complaint through the Python API: what is suppressed, what is sealed, who may
report what, and what is refused (with nothing stored)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tactful.errors import InvalidInput, NotFound
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tactful.storage.complaints import suppressed_items

SECRET = "My neighbour Zebediah Quillfeather saw this on my screen"


def _counts(service: Tactful) -> tuple[int, int]:
    with service.store.reading() as conn:
        complaints = conn.execute(select(func.count()).select_from(t.complaints)).scalar_one()
        suppressions = conn.execute(select(func.count()).select_from(t.suppressions)).scalar_one()
    return complaints, suppressions


def _ids(decision: dict[str, Any]) -> list[str]:
    return [i["item_id"] for i in decision["items"]]


def test_a_reported_item_is_left_out_of_the_next_decision(service: Tactful) -> None:
    shown = service.recommend("alice", k=5)
    reported = _ids(shown)[0]
    assert "reported_by_you" not in shown["held_back"]

    filed = service.complaints.file(
        "alice", reason="irrelevant", decision_id=shown["decision_id"], item_id=reported
    )
    assert filed["suppression"]["suppressed"] is True
    assert filed["suppression"]["item_id"] == reported
    assert filed["complaint"]["status"] == "open"
    assert filed["complaint"]["about"] == {
        "kind": "item",
        "decision_id": shown["decision_id"],
        "item_id": reported,
        "message_ref": None,
    }

    after = service.recommend("alice", k=5)
    assert reported not in _ids(after)
    assert after["held_back"]["reported_by_you"] == 1
    # Suppression is the reporter's alone.
    with service.store.reading() as conn:
        assert suppressed_items(conn, "alice") == {reported}
        assert suppressed_items(conn, "bob") == frozenset()


def test_reporting_the_same_item_twice_keeps_the_first_suppression(
    service: Tactful, clock: Any
) -> None:
    shown = service.recommend("alice", k=5)
    item = _ids(shown)[1]
    first = service.complaints.file(
        "alice", reason="intrusive", decision_id=shown["decision_id"], item_id=item
    )
    clock.advance(hours=1)
    second = service.complaints.file(
        "alice", reason="manipulative", decision_id=shown["decision_id"], item_id=item
    )
    assert second["suppression"]["since"] == first["suppression"]["since"]
    assert _counts(service) == (2, 1)


def test_a_whole_decision_is_reported_without_suppressing_and_the_answer_says_so(
    service: Tactful,
) -> None:
    shown = service.recommend("alice", k=5)
    filed = service.complaints.file("alice", reason="intrusive", decision_id=shown["decision_id"])
    assert filed["suppression"]["suppressed"] is False
    assert "no item was suppressed" in filed["suppression"]["note"]
    assert filed["complaint"]["about"]["kind"] == "decision"
    assert _counts(service) == (1, 0)
    again = service.recommend("alice", k=5)
    assert "reported_by_you" not in again["held_back"]
    assert _ids(again) == _ids(shown)


def test_a_message_can_be_reported(service: Tactful) -> None:
    filed = service.complaints.file(
        "bob", reason="offensive", message_ref="newsletter-2026-11#3", text="Rude subject line."
    )
    assert filed["complaint"]["about"] == {
        "kind": "message",
        "decision_id": None,
        "item_id": None,
        "message_ref": "newsletter-2026-11#3",
    }
    assert filed["suppression"]["suppressed"] is False
    assert filed["complaint"]["text"] == "Rude subject line."


def test_the_text_is_stored_sealed_and_opened_only_through_the_service(
    service: Tactful, settings: Settings
) -> None:
    shown = service.recommend("alice", k=5)
    filed = service.complaints.file(
        "alice", reason="other", text=SECRET, decision_id=shown["decision_id"]
    )
    needle = SECRET.encode()
    with service.store.reading() as conn:
        rows = conn.execute(select(t.complaints)).all()
    assert len(rows) == 1
    for value in rows[0]:
        raw = value if isinstance(value, bytes) else str(value).encode()
        assert needle not in raw
        assert b"Quillfeather" not in raw
    assert rows[0].sealed_text is not None
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        # The whole database file and its write-ahead log, byte by byte.
        path = Path(url.removeprefix("sqlite:///"))
        for part in (path, path.with_name(path.name + "-wal")):
            if part.exists():
                assert b"Quillfeather" not in part.read_bytes()

    complaint_id = filed["complaint"]["complaint_id"]
    assert service.complaints.mine("alice", complaint_id)["text"] == SECRET
    assert service.complaints.get(complaint_id)["text"] == SECRET
    assert [c["text"] for c in service.complaints.of_subject("alice")] == [SECRET]
    # The queue never opens it.
    [queued] = service.complaints.queue()["complaints"]
    assert "text" not in queued
    assert queued["has_text"] is True


def test_the_text_no_longer_opens_once_the_subjects_key_is_destroyed(service: Tactful) -> None:
    filed = service.complaints.file("bob", reason="other", text=SECRET, message_ref="m-1")
    assert service.cipher.destroy("bob")
    mine = service.complaints.mine("bob", filed["complaint"]["complaint_id"])
    assert mine["text"] is None


def test_another_persons_decision_is_answered_like_a_missing_one(service: Tactful) -> None:
    bobs = service.recommend("bob", k=5)
    with pytest.raises(NotFound) as theirs:
        service.complaints.file(
            "alice", reason="irrelevant", decision_id=bobs["decision_id"], item_id=_ids(bobs)[0]
        )
    missing_id = str(uuid.uuid4())
    with pytest.raises(NotFound) as missing:
        service.complaints.file("alice", reason="irrelevant", decision_id=missing_id)
    assert theirs.value.detail == missing.value.detail.replace(missing_id, bobs["decision_id"])
    assert _counts(service) == (0, 0)
    assert "reported_by_you" not in service.recommend("bob", k=5)["held_back"]


def test_another_persons_complaint_is_answered_like_a_missing_one(service: Tactful) -> None:
    filed = service.complaints.file("bob", reason="other", text="Mine.", message_ref="m-1")
    complaint_id = filed["complaint"]["complaint_id"]
    with pytest.raises(NotFound) as theirs:
        service.complaints.mine("alice", complaint_id)
    missing_id = str(uuid.uuid4())
    with pytest.raises(NotFound) as missing:
        service.complaints.mine("alice", missing_id)
    assert theirs.value.detail == missing.value.detail.replace(missing_id, complaint_id)
    assert service.complaints.of_subject("alice") == []


def test_an_item_must_be_part_of_the_decision(service: Tactful) -> None:
    shown = service.recommend("alice", k=5)
    elsewhere = next(i for i in ("bet-1", "wine-1", "toys-7") if i not in _ids(shown))
    with pytest.raises(InvalidInput) as refused:
        service.complaints.file(
            "alice", reason="offensive", decision_id=shown["decision_id"], item_id=elsewhere
        )
    assert [e.field for e in refused.value.errors] == ["item_id"]
    assert _counts(service) == (0, 0)


def test_an_unknown_subject_is_not_found(service: Tactful) -> None:
    with pytest.raises(NotFound):
        service.complaints.file("nobody", reason="intrusive", message_ref="m-1")
    with pytest.raises(InvalidInput):
        service.complaints.file("not an id!", reason="intrusive", message_ref="m-1")
    assert _counts(service) == (0, 0)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"reason": "boring", "message_ref": "m-1"}, {"reason"}),
        ({"reason": "other", "message_ref": "m-1"}, {"text"}),
        ({"reason": "other", "text": " \x00\x1b\n\t ", "message_ref": "m-1"}, {"text"}),
        ({"reason": "intrusive", "text": "x" * 2001, "message_ref": "m-1"}, {"text"}),
        ({"reason": "intrusive"}, {"decision_id"}),
        ({"reason": "intrusive", "decision_id": "not-a-uuid"}, {"decision_id"}),
        ({"reason": "intrusive", "item_id": "running-1", "message_ref": "m-1"}, {"item_id"}),
        ({"reason": "intrusive", "message_ref": "m" * 129}, {"message_ref"}),
        ({"reason": "intrusive", "message_ref": "\x07 "}, {"message_ref"}),
        (
            {"reason": "intrusive", "message_ref": "m-1", "decision_id": str(uuid.uuid4())},
            {"message_ref"},
        ),
    ],
)
def test_bad_complaints_are_refused_whole(
    service: Tactful, fields: dict[str, Any], bad: set[str]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.complaints.file("alice", **fields)
    assert {e.field for e in refused.value.errors} == bad
    assert _counts(service) == (0, 0)


def test_control_characters_are_cleaned_from_the_text(service: Tactful) -> None:
    text = "Too\x00 many\x1b[31m ads\u202e\r\nat night\ud800\t!  "
    filed = service.complaints.file(
        "alice", reason="intrusive", text=text, message_ref="push\x00-7\n"
    )
    complaint = filed["complaint"]
    assert complaint["text"] == "Too many[31m ads\nat night\t!"
    assert complaint["about"]["message_ref"] == "push-7"
    assert service.complaints.mine("alice", complaint["complaint_id"])["text"] == complaint["text"]


def test_a_text_of_2000_characters_is_accepted(service: Tactful) -> None:
    text = "é" * 2000
    filed = service.complaints.file("alice", reason="other", text=text, message_ref="m-1")
    assert filed["complaint"]["text"] == text
