"""A process killed (SIGKILL) mid-ingestion or mid-erasure leaves nothing half done.

A child process ingests or erases; the test kills it at varied moments, then looks at the
store as the next process would find it. Ingestion batches are whole or absent. A subject is
whole (their rows all there) or erased (rows gone, tombstone written), never in between; and
the next start finishes an erasure the killed process had begun.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests import shop

BATCH = 2000
CRASH_SUBJECT = "crash-victim-1"
EVENTS = 12_000

INGEST_CHILD = """
import json, sys
from datetime import UTC, datetime, timedelta
from tactful.service import Tactful
from tactful.settings import load_settings
service = Tactful(load_settings())
t0 = datetime(2026, 9, 1, tzinfo=UTC)
n = 0
while True:
    rows = [
        {"subject_id": f"crowd-{i % 30}", "event_type": "view", "item_id": f"books-{i % 8}",
         "timestamp": (t0 + timedelta(seconds=n * BATCH + i)).isoformat()}
        for i in range(BATCH)
    ]
    service.ingest_events(rows)
    n += 1
    print(f"committed {n}", flush=True)
""".replace("BATCH", str(BATCH))

ERASE_CHILD = f"""
from tactful.service import Tactful
from tactful.settings import load_settings
service = Tactful(load_settings())
print("start", flush=True)
service.request_erasure({CRASH_SUBJECT!r}, wait=True)
print("done", flush=True)
"""


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_API_KEY": "test-operator-key-0123456789abcdef",
        "TACTFUL_MAX_BATCH_ROWS": str(BATCH),
    }


def _spawn(settings: Settings, code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdout is not None
    for got in child.stdout:
        if got.strip() == line:
            return
    raise AssertionError(
        f"child ended before {line!r}: {child.stderr.read() if child.stderr else ''}"
    )


def _counts(service: Tactful, subject_id: str | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    with service.store.reading() as conn:
        for name in (
            "events",
            "subjects",
            "consent_records",
            "decisions",
            "subject_identity",
            "tombstones",
        ):
            table = t.metadata.tables[name]
            query = select(func.count()).select_from(table)
            if subject_id is not None and "subject_id" in table.c:
                query = query.where(table.c.subject_id == subject_id)
            out[name] = int(conn.execute(query).scalar_one())
    return out


@pytest.mark.slow
def test_a_batch_killed_midway_is_absent_and_the_ones_before_it_whole(
    settings: Settings,
) -> None:
    service = Tactful(settings)
    shop.populate(service)
    base = _counts(service)["events"]
    service.close()
    for round_, delay in enumerate((0.0, 0.03, 0.08, 0.15)):
        child = _spawn(settings, INGEST_CHILD)
        _wait_for(child, "committed 1")
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        reopened = Tactful(settings)
        try:
            stored = _counts(reopened)["events"] - base
        finally:
            reopened.close()
        assert stored % BATCH == 0, f"round {round_}: {stored} events is not whole batches"
        assert stored >= BATCH  # the batch it said it committed is there
        base += stored


def _seed_victim(service: Tactful) -> dict[str, int]:
    service.ingest_subjects(
        [{"subject_id": CRASH_SUBJECT, "email": "ivy.crash@example.com", "name": "Ivy Crash"}]
    )
    service.record_consents(CRASH_SUBJECT, {"choices": shop.FULL})
    t0 = datetime(2026, 8, 1, tzinfo=UTC)
    step = service.settings.max_batch_rows
    for start in range(0, EVENTS, step):
        service.ingest_events(
            [
                {
                    "subject_id": CRASH_SUBJECT,
                    "event_type": "view",
                    "item_id": f"garden-{i % 8}",
                    "timestamp": (t0 + timedelta(seconds=i)).isoformat(),
                }
                for i in range(start, start + step)
            ]
        )
    service.recommend(CRASH_SUBJECT)
    return _counts(service, CRASH_SUBJECT)


def _state_as_found(settings: Settings) -> tuple[str, dict[str, Any]]:
    """The store as the killed process left it, read without starting the service (which
    would finish the erasure first)."""
    from tactful.storage.repository import Store

    store = Store.open(settings.resolved_database_url)
    try:
        with store.reading() as conn:
            counts = {
                name: int(
                    conn.execute(
                        select(func.count())
                        .select_from(t.metadata.tables[name])
                        .where(t.metadata.tables[name].c.subject_id == CRASH_SUBJECT)
                    ).scalar_one()
                )
                for name in (
                    "events",
                    "subjects",
                    "consent_records",
                    "decisions",
                    "subject_identity",
                )
            }
            tombstones = int(
                conn.execute(select(func.count()).select_from(t.tombstones)).scalar_one()
            )
            statuses = list(conn.execute(select(t.rights_requests.c.status)).scalars())
    finally:
        store.close()
    return ("erased" if counts["subjects"] == 0 else "whole"), {
        "counts": counts,
        "tombstones": tombstones,
        "statuses": statuses,
    }


@pytest.mark.slow
def test_an_erasure_killed_midway_leaves_a_whole_or_an_erased_subject_and_is_finished(
    settings: Settings, tmp_path: Path
) -> None:
    seen: set[str] = set()
    for delay in (0.0, 0.02, 0.06, 0.12, 0.25):
        service = Tactful(settings)
        if not _counts(service)["subjects"]:
            shop.populate(service)
            service.train()
        service.readmit(CRASH_SUBJECT)  # erased in the round before
        seeded = _seed_victim(service)
        service.close()
        child = _spawn(settings, ERASE_CHILD)
        _wait_for(child, "start")
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()

        state, found = _state_as_found(settings)
        seen.add(f"{state}:{','.join(found['statuses'][-1:])}")
        if state == "whole":
            assert found["counts"]["events"] == seeded["events"], found
            assert found["counts"]["consent_records"] == seeded["consent_records"], found
            assert found["counts"]["decisions"] == seeded["decisions"], found
        else:
            assert all(n == 0 for n in found["counts"].values()), found
            assert found["tombstones"] == 1, found

        # The next start finishes what was begun; a request never stored was never made.
        restarted = Tactful(settings)
        try:
            began = bool(found["statuses"]) and found["statuses"][-1] != "completed"
            if began or state == "erased":
                assert _counts(restarted, CRASH_SUBJECT)["subjects"] == 0
                assert not restarted.cipher.has_key(CRASH_SUBJECT)
                restarted.process_erasures()
                last = restarted.rights_requests(kind="erasure", limit=1)["requests"][0]
                assert last["status"] == "completed", last
            else:
                assert _counts(restarted, CRASH_SUBJECT)["events"] == seeded["events"]
                assert restarted.identity(CRASH_SUBJECT) is not None
                restarted.request_erasure(CRASH_SUBJECT, wait=True)
            with restarted.store.transaction() as conn:
                conn.execute(t.rights_requests.delete())
        finally:
            restarted.close()
    print("crash states seen:", sorted(seen))
    assert seen
