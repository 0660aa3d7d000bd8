"""Appending, checkpoints, reading and concurrency on the store, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from tactful.audit.chain import GENESIS, AuditAction
from tactful.audit.context import acting_as
from tactful.consent.signing import ReceiptSigner, verify_receipt
from tactful.errors import InvalidInput
from tactful.service import Tactful
from tactful.services.audit import AuditLog
from tactful.settings import Settings
from tactful.storage import audit as stored
from tactful.storage import tables as t
from tests.audit.conftest import EVERY, fill, rows, wire


def test_many_entries_form_one_chain_that_verifies(log: AuditLog) -> None:
    fill(log, 37)
    entries = rows(log)
    assert [e.seq for e in entries] == list(range(1, 38))
    assert entries[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
        assert after.at >= before.at
    for e in entries:
        assert e.content_hash() == e.hash
    report = log.verify()
    assert report.ok, report.problems
    assert report.entries == 37
    assert report.checkpoints == 37 // EVERY
    assert report.first_bad_seq is None
    with log.store.reading() as conn:
        head = stored.head(conn)
    assert head is not None
    assert (head.seq, head.hash) == (37, entries[-1].hash)


def test_a_checkpoint_every_n_entries_verifies_with_the_public_key(log: AuditLog) -> None:
    fill(log, 23)
    entries = {e.seq: e for e in rows(log)}
    with log.store.reading() as conn:
        checkpoints = stored.checkpoints(conn)
    assert [c.seq for c in checkpoints] == [5, 10, 15, 20]
    jwks = log.signer.jwks()
    assert all("d" not in key for key in jwks["keys"])  # the public half only
    for c in checkpoints:
        claims = verify_receipt(c.jws, jwks)
        assert claims == {
            "seq": c.seq,
            "hash": entries[c.seq].hash,
            "signed_at": claims["signed_at"],
        }
        assert claims["hash"] == c.hash
    # Another operator's key does not vouch for them.
    other = ReceiptSigner(Ed25519PrivateKey.generate())
    report = log.verify(other.jwks())
    assert not report.ok
    assert {(p.kind.value, p.seq) for p in report.problems} == {
        ("checkpoint_forged", s) for s in (5, 10, 15, 20)
    }


def test_a_forced_checkpoint_records_who_asked(log: AuditLog) -> None:
    fill(log, 3)
    with acting_as("cli"):
        made = log.checkpoint()
    assert made.seq == 4
    last = rows(log)[-1]
    assert (last.action, last.actor, last.hash) == ("audit.checkpoint", "cli", made.hash)
    assert verify_receipt(made.jws, log.signer.jwks())["seq"] == 4
    fill(log, 1)  # seq 5 is a regular checkpoint
    assert log.verify().checkpoints == 2
    assert log.checkpoint().seq == 6
    assert log.verify().ok


def test_an_entry_is_part_of_the_callers_transaction(log: AuditLog) -> None:
    fill(log, 2)

    def export_that_fails() -> None:
        with log.store.transaction() as conn:
            log.append(conn, "export.made", subject_id="person-1", detail={"format": "json"})
            raise RuntimeError("the export failed after all")

    with pytest.raises(RuntimeError):
        export_that_fails()
    assert [e.seq for e in rows(log)] == [1, 2]
    assert log.record("export.made", subject_id="person-1") == 3
    assert log.verify().ok


def test_bad_entries_are_refused_and_nothing_is_written(log: AuditLog) -> None:
    fill(log, 1)
    with pytest.raises(InvalidInput) as unknown:
        log.record("consent.forged")
    assert unknown.value.errors[0].field == "action"
    with pytest.raises(InvalidInput):
        log.record("export.made", detail={"size": float("nan")})
    with pytest.raises(InvalidInput):
        log.record("export.made", actor="")
    assert len(rows(log)) == 1
    assert log.verify().ok


def test_entries_are_read_newest_first_by_subject_action_and_time(log: AuditLog) -> None:
    fill(log, 12)  # person-0 at 1, 5, 9
    log.record(AuditAction.EXPORT_MADE, subject_id="person-0", detail={"format": "html"})
    mine = log.entries(subject_id="person-0")
    assert [e.seq for e in mine] == [13, 9, 5, 1]
    assert {e.subject_ref for e in mine} == {log.fingerprint("person-0")}
    assert [e.seq for e in log.entries(subject_id="person-0", action="export.made")] == [13]
    page = log.entries(limit=5)
    assert [e.seq for e in page] == [13, 12, 11, 10, 9]
    assert [e.seq for e in log.entries(limit=5, before=page[-1].seq)] == [8, 7, 6, 5, 4]
    since = rows(log)[10].at
    assert [e.seq for e in log.entries(since=since)] == [13, 12, 11]
    assert log.entries(subject_id="nobody") == []
    with pytest.raises(InvalidInput) as bad:
        log.entries(action="nope", limit=0, before=0, since=since.replace(tzinfo=None))
    assert {e.field for e in bad.value.errors} == {"action", "limit", "before", "since"}
    assert since - timedelta(days=1) < since  # the times are real timestamps


def test_concurrent_appenders_on_two_instances_leave_one_unbroken_chain(
    audit_settings: Settings,
) -> None:
    services = [wire(Tactful(audit_settings)), wire(Tactful(audit_settings))]
    base = len(rows(services[0].audit))  # what starting them logged, if anything
    per_thread, threads = 15, 8
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        log = services[n % 2].audit
        try:
            start.wait()
            for i in range(per_thread):
                log.record("personal_data.read", subject_id=f"p{n}", detail={"i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    try:
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors, errors
        total = base + per_thread * threads
        entries = rows(services[0].audit)
        assert [e.seq for e in entries] == list(range(1, total + 1))
        report = services[1].audit.verify()
        assert report.ok, report.problems
        assert report.entries == total
        assert report.checkpoints == total // EVERY
        with services[0].store.reading() as conn:
            per_subject = dict(
                conn.execute(
                    select(t.audit_log.c.subject_ref, func.count())
                    .where(t.audit_log.c.action == "personal_data.read")
                    .group_by(t.audit_log.c.subject_ref)
                ).all()
            )
        assert sorted(per_subject.values()) == [per_thread] * threads
    finally:
        for s in services:
            s.close()


def test_verification_reads_one_moment_of_the_store(log: AuditLog) -> None:
    fill(log, 6)
    with stored.snapshot(log.store.engine) as conn:
        head = stored.head(conn)
        assert head is not None
        fill(log, 3)  # committed by another connection meanwhile
        seen = list(stored.iter_entries(conn, page=2))
        assert stored.head(conn) == head
    assert [e.seq for e in seen] == list(range(1, head.seq + 1))
    assert log.verify().entries == head.seq + 3
