"""The operator queue through the Python API: order, filters, pages, transitions, what the
person sees of the handling, and the audit trail of each change."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tactful.errors import Conflict, InvalidInput, NotFound
from tactful.service import Tactful
from tactful.storage import tables as t
from tests.clock import Clock
from tests.trained_shop import T0


def _file(service: Tactful, subject_id: str, ref: str, **extra: Any) -> str:
    filed = service.complaints.file(
        subject_id, reason=extra.pop("reason", "intrusive"), message_ref=ref, **extra
    )
    complaint_id: str = filed["complaint"]["complaint_id"]
    return complaint_id


def _queue_ids(service: Tactful, **filters: Any) -> list[str]:
    return [c["complaint_id"] for c in service.complaints.queue(**filters)["complaints"]]


@pytest.fixture
def filed(service: Tactful, clock: Clock) -> dict[str, str]:
    """Four complaints filed a day apart (so due a day apart), by three people."""
    ids = {}
    for n, (subject, ref) in enumerate(
        [("alice", "a-1"), ("bob", "b-1"), ("alice", "a-2"), ("carol", "c-1")]
    ):
        ids[ref] = _file(service, subject, ref)
        if n < 3:
            clock.advance(days=1)
    return ids


def test_the_due_date_is_the_filing_date_plus_the_setting(
    service: Tactful, filed: dict[str, str]
) -> None:
    days = service.settings.complaint_days
    first = service.complaints.get(filed["a-1"])
    assert datetime.fromisoformat(first["created_at"]) == T0
    assert datetime.fromisoformat(first["due_at"]) == T0 + timedelta(days=days)


def test_the_queue_lists_the_soonest_due_first(service: Tactful, filed: dict[str, str]) -> None:
    assert _queue_ids(service) == [filed[r] for r in ("a-1", "b-1", "a-2", "c-1")]


def test_the_queue_filters_by_status_owner_and_overdue(
    service: Tactful, filed: dict[str, str], clock: Clock
) -> None:
    service.complaints.assign(filed["b-1"], "Priya Officer")
    service.complaints.assign(filed["c-1"], "Tom Officer")
    service.complaints.resolve(filed["a-2"], "We changed the rule.")
    assert _queue_ids(service, status=["open"]) == [filed["a-1"]]
    assert _queue_ids(service, status=["in_review"]) == [filed["b-1"], filed["c-1"]]
    assert _queue_ids(service, status=["open", "resolved"]) == [filed["a-1"], filed["a-2"]]
    assert _queue_ids(service, owner="Priya Officer") == [filed["b-1"]]
    assert _queue_ids(service, owner="Nobody") == []

    # Nothing is overdue yet; then the first two pass their due date (the third, resolved,
    # is not overdue however late it is).
    assert _queue_ids(service, overdue=True) == []
    days = service.settings.complaint_days
    clock.now = T0 + timedelta(days=days + 2, hours=1)
    assert _queue_ids(service, overdue=True) == [filed["a-1"], filed["b-1"]]
    assert _queue_ids(service, overdue=True, status=["in_review"]) == [filed["b-1"]]
    listed = {c["complaint_id"]: c for c in service.complaints.queue()["complaints"]}
    assert listed[filed["a-1"]]["overdue"] is True
    assert listed[filed["a-2"]]["overdue"] is False
    assert listed[filed["c-1"]]["overdue"] is False


def test_pages_list_every_complaint_once_even_when_due_at_the_same_instant(
    service: Tactful, filed: dict[str, str]
) -> None:
    # Three more at the very same instant as c-1.
    for ref in ("d-1", "d-2", "d-3"):
        filed[ref] = _file(service, "dan", ref)
    seen: list[str] = []
    after = None
    while True:
        page = service.complaints.queue(limit=2, after=after)
        seen += [c["complaint_id"] for c in page["complaints"]]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert seen == _queue_ids(service)
    assert seen[:3] == [filed["a-1"], filed["b-1"], filed["a-2"]]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": ["closed"]}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"after": "yesterday"}, "after"),
        ({"after": f"2026-11-02T10:00:00~{uuid.uuid4()}"}, "after"),  # no time zone
        ({"owner": "x" * 129}, "owner"),
        ({"after": f"0001-01-01T00:00:00+14:00~{uuid.uuid4()}"}, "after"),  # before year 1
    ],
)
def test_bad_queue_requests_are_refused(
    service: Tactful, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.complaints.queue(**filters)
    assert [e.field for e in refused.value.errors] == [field]


def test_assign_resolve_and_the_person_sees_the_outcome(
    service: Tactful, filed: dict[str, str], clock: Clock
) -> None:
    complaint_id = filed["a-1"]
    clock.advance(hours=2)
    taken = service.complaints.assign(complaint_id, "  Priya\nOfficer ")
    assert (taken["status"], taken["owner"]) == ("in_review", "Priya Officer")
    handed = service.complaints.assign(complaint_id, "Tom Officer")
    assert (handed["status"], handed["owner"]) == ("in_review", "Tom Officer")

    seen = service.complaints.mine("alice", complaint_id)
    assert seen["status"] == "in_review"
    assert seen["owner"] == "assigned"  # not the staff member's name
    assert seen["resolution"] is None

    clock.advance(hours=3)
    done = service.complaints.resolve(complaint_id, "We no longer send these at night.")
    assert done["status"] == "resolved"
    assert done["owner"] == "Tom Officer"

    seen = service.complaints.mine("alice", complaint_id)
    assert seen["status"] == "resolved"
    assert seen["resolution"] == "We no longer send these at night."
    assert datetime.fromisoformat(seen["resolved_at"]) == clock.now
    assert "Tom" not in str(seen)
    assert [c["status"] for c in service.complaints.of_subject("alice")] == ["open", "resolved"]


def test_a_rejection_is_shown_with_its_reason(service: Tactful, filed: dict[str, str]) -> None:
    rejected = service.complaints.reject(filed["b-1"], "The message was sent with your consent.")
    assert rejected["status"] == "rejected"
    assert rejected["owner"] is None
    seen = service.complaints.mine("bob", filed["b-1"])
    assert seen["status"] == "rejected"
    assert seen["owner"] is None
    assert seen["resolution"] == "The message was sent with your consent."
    assert seen["resolved_at"] is not None


@pytest.mark.parametrize("closing", ["resolve", "reject"])
def test_closed_complaints_cannot_change(
    service: Tactful, filed: dict[str, str], closing: str
) -> None:
    complaint_id = filed["a-1"]
    getattr(service.complaints, closing)(complaint_id, "Closed with this answer.")
    before = service.complaints.get(complaint_id)
    for act, argument in (
        ("assign", "Priya Officer"),
        ("resolve", "Another answer."),
        ("reject", "Another reason."),
    ):
        with pytest.raises(Conflict):
            getattr(service.complaints, act)(complaint_id, argument)
    assert service.complaints.get(complaint_id) == before


def test_transitions_refuse_bad_input_and_unknown_complaints(
    service: Tactful, filed: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput):
        service.complaints.resolve(filed["a-1"], " \n\x00 ")
    with pytest.raises(InvalidInput):
        service.complaints.resolve(filed["a-1"], "x" * 2001)
    with pytest.raises(InvalidInput):
        service.complaints.reject(filed["a-1"], "")
    with pytest.raises(InvalidInput):
        service.complaints.assign(filed["a-1"], "x" * 129)
    with pytest.raises(InvalidInput):
        service.complaints.assign("not-a-uuid", "Priya Officer")
    with pytest.raises(NotFound):
        service.complaints.assign(str(uuid.uuid4()), "Priya Officer")
    with pytest.raises(NotFound):
        service.complaints.get(str(uuid.uuid4()))
    assert service.complaints.get(filed["a-1"])["status"] == "open"


def test_two_officers_closing_at_once_one_wins_and_the_other_gets_a_conflict(
    service: Tactful, filed: dict[str, str]
) -> None:
    complaint_id = filed["a-1"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(act: str) -> None:
        barrier.wait()
        try:
            getattr(service.complaints, act)(complaint_id, f"{act}: closed.")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=close, args=(a,)) for a in ("resolve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    final = service.complaints.get(complaint_id)
    act = {"resolved": "resolve", "rejected": "reject"}[final["status"]]
    assert final["resolution"] == f"{act}: closed."


def test_each_change_is_in_the_audit_log_without_personal_text(
    service: Tactful, clock: Clock
) -> None:
    shown = service.recommend("alice", k=5)
    item = shown["items"][0]["item_id"]
    filed = service.complaints.file(
        "alice",
        reason="other",
        text="Zebediah Quillfeather",
        decision_id=shown["decision_id"],
        item_id=item,
    )
    complaint_id = filed["complaint"]["complaint_id"]
    service.complaints.assign(complaint_id, "Priya Officer")
    service.complaints.resolve(complaint_id, "Dear Alice Example, we fixed it.")
    other = _file(service, "bob", "b-9")
    service.complaints.reject(other, "Bob Example was shown it by consent.")

    with service.store.reading() as conn:
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).all()
    mine = [r for r in rows if r.action.startswith("complaint.")]
    assert [r.action for r in mine] == [
        "complaint.filed",
        "complaint.updated",
        "complaint.resolved",
        "complaint.filed",
        "complaint.resolved",
    ]
    assert [r.detail["complaint_id"] for r in mine] == [complaint_id] * 3 + [other] * 2
    assert [r.detail.get("to") for r in mine] == [None, "in_review", "resolved", None, "rejected"]
    assert mine[0].subject_ref == service.cipher.fingerprint("alice")
    for row in mine:
        text = str(tuple(row))
        for personal in ("Quillfeather", "Priya", "Alice Example", "Bob Example", "alice", "bob"):
            assert personal not in text
