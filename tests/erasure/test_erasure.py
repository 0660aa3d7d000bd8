"""Erasure through the Python API: keys, rows, tombstones, request status, on both stores."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from tactful.errors import BatchRejected, InvalidInput, NotFound
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests.erasure.helpers import (
    EMAIL,
    NAME,
    PHONE,
    SUBJECT,
    database_dump,
    raw_files,
    seed_subject,
    table_dump,
    traces,
)


@pytest.fixture
def service(settings: Settings) -> Iterator[Tactful]:
    svc = Tactful(settings)
    yield svc
    svc.close()


def _count(service: Tactful, table: str) -> int:
    with service.store.reading() as conn:
        return int(
            conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one()
        )


def test_identifying_fields_are_stored_sealed_and_open_for_the_service(
    service: Tactful, database_url: str
) -> None:
    seed_subject(service)
    identity = service.identity(SUBJECT)
    assert identity is not None
    assert (identity.email, identity.name, identity.phone) == (EMAIL, NAME, PHONE)
    dump = database_dump(service, database_url)
    for value in (EMAIL, NAME, PHONE):
        assert value not in dump
    assert SUBJECT in dump  # the pseudonymous id is in the clear until erasure


def test_erasure_leaves_no_trace_in_a_dump_and_shreds_the_key(
    service: Tactful, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    seed_subject(service)
    with service.store.reading() as conn:
        backup_copy = conn.execute(
            select(t.subject_identity.c.sealed).where(t.subject_identity.c.subject_id == SUBJECT)
        ).scalar_one()
    backup_file = None
    if database_url.startswith("sqlite"):
        with service.store.reading() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        backup_file = tmp_path / "backup.db"
        shutil.copyfile(make_url(database_url).database or "", backup_file)
    before = {name: _count(service, name) for name in ("events", "decisions", "subjects")}

    view = service.request_erasure(SUBJECT, via="operator", wait=True)

    assert view["status"] == "completed"
    deleted = view["detail"]["rows_deleted"]
    assert deleted["subjects"] == 1
    assert deleted["events"] == 10
    assert deleted["decisions"] == 1
    assert deleted["subject_identity"] == 1
    assert deleted["consent_records"] == 2
    assert _count(service, "subjects") == before["subjects"] - 1
    assert _count(service, "events") == before["events"] - 10
    assert _count(service, "tombstones") == 1
    for dump in (database_dump(service, database_url), table_dump(service)):
        for trace in traces():
            assert trace not in dump, trace
    if database_url.startswith("sqlite"):
        raw = raw_files(database_url)
        for trace in traces():
            assert trace.encode() not in raw, trace
    # The key is gone from the keyring, so the copy taken before erasure no longer opens.
    assert not service.cipher.has_key(SUBJECT)
    assert SUBJECT not in service.keyring.subject_ids()
    assert service.cipher.open(SUBJECT, "identity", bytes(backup_copy)) is None
    if backup_file is not None:
        restored = Tactful(
            Settings(
                data_dir=settings.data_dir,
                database_url=f"sqlite:///{backup_file}",
                api_key=settings.api_key,
            )
        )
        try:
            # The backup still has the rows, but the identifying fields are unreadable.
            assert restored.store.get_subject(restored.store.engine.connect(), SUBJECT) is not None
            assert restored.identity(SUBJECT) is None
        finally:
            restored.close()


def test_other_subjects_are_untouched(service: Tactful) -> None:
    seed_subject(service)
    alice_before = service.consents("alice")
    service.request_erasure(SUBJECT, wait=True)
    assert service.consents("alice")["history"] == alice_before["history"]
    assert service.recommend("alice", k=3)["items"]


def test_erased_subject_is_gone_everywhere_in_the_api(service: Tactful) -> None:
    seed_subject(service)
    token = service.issue_token(SUBJECT)["token"]
    service.request_erasure(SUBJECT, wait=True)
    with pytest.raises(NotFound):
        service.recommend(SUBJECT)
    with pytest.raises(NotFound):
        service.consents(SUBJECT)
    with pytest.raises(NotFound):
        service.identity(SUBJECT)
    from tactful.errors import Unauthorized

    with pytest.raises(Unauthorized):
        service.subject_of_token(token)


def test_a_replayed_import_cannot_bring_an_erased_subject_back(service: Tactful) -> None:
    seed_subject(service)
    service.request_erasure(SUBJECT, wait=True)
    subjects_before = _count(service, "subjects")
    with pytest.raises(BatchRejected) as refused:
        service.ingest_subjects(
            [{"subject_id": "newcomer-1"}, {"subject_id": SUBJECT, "email": EMAIL}]
        )
    assert refused.value.errors[0].row == 1
    assert "erased" in refused.value.errors[0].message
    assert _count(service, "subjects") == subjects_before  # not even the newcomer
    with pytest.raises(BatchRejected, match="erased"):
        service.ingest_events(
            [
                {
                    "subject_id": SUBJECT,
                    "event_type": "view",
                    "item_id": "books-1",
                    "timestamp": "2026-11-01T10:00:00Z",
                }
            ]
        )
    # The tombstone holds no personal data, only the keyed fingerprint.
    with service.store.reading() as conn:
        (fingerprint,) = conn.execute(select(t.tombstones.c.fingerprint)).one()
    assert fingerprint == service.cipher.fingerprint(SUBJECT)
    assert SUBJECT not in fingerprint
    # An operator may readmit the id on purpose; then it imports as a new person.
    assert service.readmit(SUBJECT) is True
    assert service.ingest_subjects([{"subject_id": SUBJECT}]).created == 1
    assert service.identity(SUBJECT) is None


def test_request_status_moves_through_its_steps(service: Tactful) -> None:
    seed_subject(service)
    view = service.request_erasure(SUBJECT, via="consumer", wait=False)
    assert view["status"] == "rows_erased"
    assert [s["step"] for s in view["steps"]] == ["received", "rows_erased"]
    assert view["kind"] == "erasure"
    assert view["requested_via"] == "consumer"
    assert not view["overdue"]
    due = datetime.fromisoformat(view["due_at"]) - datetime.fromisoformat(view["received_at"])
    assert due == timedelta(days=30)
    assert SUBJECT not in str(view)
    listed = service.rights_requests(status="rows_erased")["requests"]
    assert [r["request_id"] for r in listed] == [view["request_id"]]

    assert service.process_erasures() == 1
    done = service.rights_request(view["request_id"])
    assert done["status"] == "completed"
    assert done["completed_at"] is not None
    assert [s["step"] for s in done["steps"]][-1] == "models_retrained"
    names = {m["name"] for m in done["detail"]["models_retrained"]}
    assert names == {"popularity", service.settings.personal_model}
    assert service.process_erasures() == 0  # nothing left


def test_a_second_request_for_the_same_subject_is_the_same_request(service: Tactful) -> None:
    seed_subject(service)
    with service.store.transaction() as conn:
        conn.execute(
            t.rights_requests.insert().values(
                request_id=__import__("uuid").uuid4(),
                kind="erasure",
                subject_id=SUBJECT,
                subject_ref=service.cipher.fingerprint(SUBJECT),
                status="received",
                requested_via="operator",
                received_at=datetime(2026, 1, 1, tzinfo=UTC),
                due_at=datetime(2026, 1, 31, tzinfo=UTC),
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
                steps=[],
                detail={},
            )
        )
    view = service.request_erasure(SUBJECT)
    assert view["received_at"].startswith("2026-01-01")
    assert view["status"] == "rows_erased"
    assert view["overdue"] is True  # open, and past the due date of the first request
    assert _count(service, "rights_requests") == 1


def test_overdue_requests_are_flagged(service: Tactful) -> None:
    seed_subject(service)
    view = service.request_erasure(SUBJECT)
    with service.store.transaction() as conn:
        conn.execute(t.rights_requests.update().values(due_at=datetime(2026, 1, 1, tzinfo=UTC)))
    overdue = service.rights_requests(overdue=True)["requests"]
    assert [r["request_id"] for r in overdue] == [view["request_id"]]
    assert overdue[0]["overdue"] is True


def test_bad_requests_are_refused_with_nothing_changed(service: Tactful) -> None:
    seed_subject(service)
    with pytest.raises(NotFound):
        service.request_erasure("nobody-here")
    with pytest.raises(InvalidInput):
        service.request_erasure("not a valid id!")
    with pytest.raises(InvalidInput):
        service.rights_request("not-a-uuid")
    with pytest.raises(NotFound):
        service.rights_request("00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidInput):
        service.rights_requests(limit=0)
    with pytest.raises(InvalidInput):
        service.rights_requests(before="yesterday")
    assert _count(service, "rights_requests") == 0
    assert _count(service, "tombstones") == 0


def test_orphan_keys_from_a_failed_import_are_swept(service: Tactful) -> None:
    seed_subject(service)
    service.cipher.seal("ghost-1", "identity", b"{}")  # a key whose subject never landed
    assert service.cipher.has_key("ghost-1")
    assert service.erasure.sweep_orphan_keys(older_than=timedelta(0)) == 1
    assert not service.cipher.has_key("ghost-1")
    assert service.cipher.has_key(SUBJECT)
    with service.store.reading() as conn:
        conn.execute(text("SELECT 1"))
