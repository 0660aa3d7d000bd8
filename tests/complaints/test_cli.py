"""`tactful complaints`, run as an officer would: the queue, one complaint, and closing it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests.test_cli import tactful

pytestmark = pytest.mark.slow


@pytest.fixture
def store(settings: Settings) -> Iterator[Tactful]:
    """Two people's complaints about messages: no model is needed to file those."""
    service = Tactful(settings)
    service.ingest_subjects([{"subject_id": "alice"}, {"subject_id": "bob"}])
    yield service
    service.close()


def _file(service: Tactful, subject_id: str, ref: str, text: str | None = None) -> str:
    filed = service.complaints.file(
        subject_id, reason="other" if text else "intrusive", text=text, message_ref=ref
    )
    complaint_id: str = filed["complaint"]["complaint_id"]
    return complaint_id


def _refused(settings: Settings, *args: str) -> str:
    run = tactful(settings, *args)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    return run.stderr


def test_an_officer_lists_reads_takes_and_resolves_a_complaint(
    settings: Settings, store: Tactful
) -> None:
    first = _file(store, "alice", "push-9", "Sent at 3 am, [bold]again[/bold].")
    second = _file(store, "bob", "mail-2")

    listed = tactful(settings, "complaints", "list")
    assert listed.returncode == 0, listed.stderr
    assert first in listed.stdout
    assert second in listed.stdout
    assert "Sent at 3 am" not in listed.stdout
    assert tactful(settings, "complaints", "list", "--overdue").stdout.strip() == "no complaints"

    shown = tactful(settings, "complaints", "show", first)
    assert shown.returncode == 0, shown.stderr
    # The person's words are printed as they are, markup and all.
    assert "Sent at 3 am, [bold]again[/bold]." in shown.stdout
    assert "alice" in shown.stdout
    with store.store.reading() as conn:
        reads = conn.execute(
            select(t.audit_log).where(t.audit_log.c.action == "personal_data.read")
        ).all()
    assert [(r.actor, r.detail) for r in reads] == [("cli", {"what": "complaint"})]

    taken = tactful(settings, "complaints", "assign", first, "--owner", "Priya Officer")
    assert taken.returncode == 0, taken.stderr
    assert "in_review" in taken.stdout
    assert "Priya Officer" in taken.stdout
    owned = tactful(settings, "complaints", "list", "--owner", "Priya Officer", "--json")
    assert owned.returncode == 0, owned.stderr
    assert first in owned.stdout
    assert second not in owned.stdout
    open_only = tactful(settings, "complaints", "list", "--status", "open")
    assert second in open_only.stdout
    assert first not in open_only.stdout

    done = tactful(
        settings, "complaints", "resolve", first, "--resolution", "Pushes now stop at 10 pm."
    )
    assert done.returncode == 0, done.stderr
    assert "resolved" in done.stdout
    assert "Pushes now stop at 10 pm." in done.stdout
    assert store.complaints.mine("alice", first)["resolution"] == "Pushes now stop at 10 pm."

    rejected = tactful(settings, "complaints", "reject", second, "--reason", "Not ours.")
    assert rejected.returncode == 0, rejected.stderr
    assert store.complaints.mine("bob", second)["status"] == "rejected"

    with store.store.reading() as conn:
        changes = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.actor)
            .where(t.audit_log.c.action.in_(["complaint.updated", "complaint.resolved"]))
            .order_by(t.audit_log.c.seq)
        ).all()
    assert [tuple(c) for c in changes] == [
        ("complaint.updated", "cli"),
        ("complaint.resolved", "cli"),
        ("complaint.resolved", "cli"),
    ]


def test_mistakes_are_readable_errors(settings: Settings, store: Tactful) -> None:
    complaint_id = _file(store, "alice", "push-9")
    store.complaints.resolve(complaint_id, "Done.")

    assert "already resolved" in _refused(
        settings, "complaints", "reject", complaint_id, "--reason", "Too late."
    )
    assert "complaint_id: must be a UUID" in _refused(settings, "complaints", "show", "nope")
    assert "No complaint" in _refused(settings, "complaints", "show", str(uuid.uuid4()))
    assert "status: must be one of" in _refused(
        settings, "complaints", "list", "--status", "closed"
    )
    assert "resolution" in _refused(
        settings, "complaints", "resolve", complaint_id, "--resolution", "  "
    )
    assert "--owner" in _refused(settings, "complaints", "assign", complaint_id)
    assert store.complaints.mine("alice", complaint_id)["resolution"] == "Done."
