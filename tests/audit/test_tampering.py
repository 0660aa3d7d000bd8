"""Each kind of tampering, done with SQL on the store, is found and located by `verify`.

The log holds 22 entries with a signed checkpoint every 5 (at 5, 10, 15, 20).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, update

from tactful.audit import chain
from tactful.audit.chain import AuditReport
from tactful.consent.signing import ReceiptSigner
from tactful.services.audit import AuditLog
from tactful.settings import Settings
from tactful.storage import audit as stored
from tactful.storage import tables as t
from tests.audit.conftest import fill, rewrite_from, rows, sql
from tests.test_cli import tactful

N = 22


@pytest.fixture
def filled(log: AuditLog) -> AuditLog:
    fill(log, N)
    assert log.verify().ok
    return log


def _found(report: AuditReport) -> set[tuple[str, int]]:
    return {(p.kind.value, p.seq) for p in report.problems}


def _assert_found(report: AuditReport, kind: str, seq: int) -> None:
    assert not report.ok
    assert (kind, seq) in _found(report), report.problems
    assert report.first_bad_seq == seq, report.problems


def test_a_modified_detail_is_found(filled: AuditLog) -> None:
    with filled.store.transaction() as conn:
        conn.execute(
            update(t.audit_log)
            .where(t.audit_log.c.seq == 7)
            .values(detail={"what": "nothing to see", "n": 6})
        )
    report = filled.verify()
    assert _found(report) == {("modified", 7)}
    assert report.first_bad_seq == 7
    assert report.entries == N


def test_a_modified_actor_is_found_and_the_cli_says_where(
    filled: AuditLog, audit_settings: Settings
) -> None:
    clean = tactful(audit_settings, "audit", "verify")
    assert clean.returncode == 0, clean.stderr
    assert "intact" in clean.stdout
    # What the command's own start may have logged (a first notice) is part of the chain.
    assert f"{len(rows(filled))} entries" in clean.stdout

    sql(filled, "UPDATE audit_log SET actor = 'key:someone-else' WHERE seq = 12")
    report = filled.verify()
    assert _found(report) == {("modified", 12)}

    run = tactful(audit_settings, "audit", "verify")
    assert run.returncode == 2
    assert "tampered" in run.stderr
    assert "first bad seq 12" in run.stderr
    assert "seq 12: modified" in run.stderr
    assert "Traceback" not in run.stderr
    as_json = tactful(audit_settings, "audit", "verify", "--json")
    assert as_json.returncode == 2
    assert '"first_bad_seq": 12' in as_json.stdout


def test_a_deleted_middle_entry_is_found(filled: AuditLog) -> None:
    sql(filled, "DELETE FROM audit_log WHERE seq = 9")
    report = filled.verify()
    _assert_found(report, "deleted", 9)
    assert _found(report) == {("deleted", 9)}


def test_a_deleted_entry_with_the_rest_renumbered_is_found(filled: AuditLog) -> None:
    sql(filled, "DELETE FROM audit_log WHERE seq = 9")
    sql(filled, "UPDATE audit_log SET seq = -seq WHERE seq > 9")
    sql(filled, "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0")
    sql(filled, "UPDATE audit_head SET seq = seq - 1")
    _assert_found(filled.verify(), "deleted", 9)


def test_a_deleted_tail_is_found_by_the_head_and_the_checkpoints(filled: AuditLog) -> None:
    sql(filled, "DELETE FROM audit_log WHERE seq > 17")
    report = filled.verify()
    assert _found(report) == {("head_mismatch", 18), ("truncated", 18)}
    assert report.first_bad_seq == 18
    # Also when the head is put back in line: the signed checkpoint at 20 remains.
    last = rows(filled)[-1]
    sql(filled, "UPDATE audit_head SET seq = :seq, hash = :hash", seq=last.seq, hash=last.hash)
    assert _found(filled.verify()) == {("truncated", 18)}


def test_a_forged_entry_inserted_in_the_middle_is_found(filled: AuditLog) -> None:
    entries = rows(filled)
    forged = chain.seal(
        8,
        entries[7].at,
        "key:k1",
        "consent.changed",
        filled.fingerprint("person-2"),
        {"method": "api", "purposes": {"marketing.email": "granted"}},
        entries[6].hash,
    )
    sql(filled, "UPDATE audit_log SET seq = -seq WHERE seq >= 8")
    sql(filled, "UPDATE audit_log SET seq = -seq + 1 WHERE seq < 0")
    with filled.store.transaction() as conn:
        stored_row = forged.as_dict() | {"at": forged.at}
        conn.execute(insert(t.audit_log).values(**stored_row))
        conn.execute(update(t.audit_head).values(seq=N + 1))
    report = filled.verify()
    _assert_found(report, "inserted", 8)
    assert report.entries == N + 1


def test_two_swapped_entries_are_found(filled: AuditLog) -> None:
    sql(filled, "UPDATE audit_log SET seq = -1 WHERE seq = 13")
    sql(filled, "UPDATE audit_log SET seq = 13 WHERE seq = 14")
    sql(filled, "UPDATE audit_log SET seq = 14 WHERE seq = -1")
    report = filled.verify()
    _assert_found(report, "reordered", 13)
    assert {kind for kind, _ in _found(report)} == {"reordered"}


def test_a_forged_checkpoint_is_found(filled: AuditLog) -> None:
    # A checkpoint row whose hash was changed no longer says what was signed.
    sql(filled, "UPDATE audit_checkpoints SET hash = :h WHERE seq = 10", h="f" * 64)
    _assert_found(filled.verify(), "checkpoint_forged", 10)


def test_a_chain_rewritten_after_an_edit_is_caught_by_the_signed_checkpoints(
    filled: AuditLog,
) -> None:
    with filled.store.transaction() as conn:
        conn.execute(
            update(t.audit_log).where(t.audit_log.c.seq == 7).values(actor="key:someone-else")
        )
    rewrite_from(filled, 7)
    entries = rows(filled)
    assert all(e.content_hash() == e.hash for e in entries)  # the chain itself is consistent
    report = filled.verify()
    # The edit lies between the last checkpoint that holds (5) and the first that fails.
    _assert_found(report, "checkpoint_mismatch", 10)
    assert _found(report) == {("checkpoint_mismatch", s) for s in (10, 15, 20)}


def test_checkpoints_re_signed_with_another_key_are_forged(filled: AuditLog) -> None:
    with filled.store.transaction() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 3).values(detail={}))
    rewrite_from(filled, 3)
    forger = ReceiptSigner(Ed25519PrivateKey.generate())
    entries = {e.seq: e for e in rows(filled)}
    with filled.store.transaction() as conn:
        for c in stored.checkpoints(conn):
            new_hash = entries[c.seq].hash
            claims = chain.checkpoint_claims(c.seq, new_hash, c.signed_at)
            conn.execute(
                update(t.audit_checkpoints)
                .where(t.audit_checkpoints.c.seq == c.seq)
                .values(hash=new_hash, jws=forger.sign(claims))
            )
    report = filled.verify()
    assert _found(report) == {("checkpoint_forged", s) for s in (5, 10, 15, 20)}
    assert report.first_bad_seq == 5
    assert all("signature" in p.message or "kid" in p.message for p in report.problems)
