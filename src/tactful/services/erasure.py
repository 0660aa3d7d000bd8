"""Erasure (GDPR Art. 17) that reaches the keys, the rows and the models.

A request moves through durable steps, so a crash at any point is finished on restart
rather than leaving a half-erased person:

1. `received`: the request is stored, still naming the subject.
2. The subject's data key is destroyed (crypto-shredding: their sealed fields, here and in
   every backup of the store, no longer open), then, in one transaction, every row about
   them is deleted, a tombstone holding only a keyed fingerprint is written, and the
   request forgets the subject id: `rows_erased`. Models keep no per-subject state
   (subjects are folded in at request time), so from this moment no decision can use
   anything of theirs.
3. `retraining`, then `completed`: the current models are trained again, with the same
   configs and seeds, on the data that is left, so what they learnt from the person goes
   too. Requests waiting together share one training run.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from tactful.errors import NotFound, TactfulError
from tactful.services.audit import AuditLog
from tactful.services.identity import SubjectCipher
from tactful.storage import rights
from tactful.storage.repository import ModelVersion, Store

log = logging.getLogger("tactful.erasure")

ERASURE = "erasure"
RECEIVED, ROWS_ERASED, RETRAINING, COMPLETED = "received", "rows_erased", "retraining", "completed"


class ErasureService:
    def __init__(
        self,
        store: Store,
        cipher: SubjectCipher,
        audit: AuditLog,
        clock: Callable[[], datetime],
        due_days: int,
        retrain: Callable[[], list[ModelVersion]],
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.audit = audit
        self.clock = clock
        self.due_days = due_days
        self.retrain = retrain
        self._training = threading.Lock()

    def request(self, subject_id: str, via: str) -> dict[str, Any]:
        """Record an erasure request (or find the open one) and erase the rows at once."""
        now = self.clock()
        with self.store.transaction() as conn:
            if self.store.get_subject(conn, subject_id) is None:
                raise NotFound(f"No subject {subject_id!r}.")
            found = rights.open_request_for(conn, subject_id, ERASURE)
            if found is None:
                found = {
                    "request_id": uuid.uuid4(),
                    "kind": ERASURE,
                    "subject_id": subject_id,
                    "subject_ref": self.cipher.fingerprint(subject_id),
                    "status": RECEIVED,
                    "requested_via": via,
                    "received_at": now,
                    "due_at": now + timedelta(days=self.due_days),
                    "updated_at": now,
                    "completed_at": None,
                    "steps": [{"step": RECEIVED, "at": now.isoformat()}],
                    "detail": {},
                }
                rights.add_request(conn, found)
                self.audit.append(
                    conn,
                    "erasure.requested",
                    subject_id=subject_id,
                    detail={"request_id": str(found["request_id"]), "via": via},
                )
        return self.erase_rows(found["request_id"])

    def erase_rows(self, request_id: uuid.UUID) -> dict[str, Any]:
        """Step 2 for one request; does nothing to a request already past it."""
        with self.store.reading() as conn:
            request = rights.get_request(conn, request_id)
        if request is None:
            raise NotFound(f"No rights request {request_id}.")
        if request["status"] != RECEIVED or request["subject_id"] is None:
            return request
        subject_id: str = request["subject_id"]
        # The key goes first: if the process dies before the rows do, the request still
        # names the subject and the next start finishes it.
        key_destroyed = self.cipher.destroy(subject_id)
        now = self.clock()
        with self.store.transaction() as conn:
            request = rights.lock_request(conn, request_id)
            if request is None or request["status"] != RECEIVED:
                return request or {}
            counts = rights.delete_subject_rows(conn, subject_id)
            rights.add_tombstone(conn, request["subject_ref"], now, request_id)
            request = rights.advance(
                conn,
                request,
                ROWS_ERASED,
                now,
                detail={
                    "rows_deleted": counts,
                    "key_destroyed": key_destroyed,
                    "model_state": "no per-subject state is kept: subjects are folded in at "
                    "request time",
                },
                clear_subject=True,
            )
        with self.store.reading() as conn:
            rights.flush_deleted(conn)
        return request

    def resume(self) -> int:
        """Finish step 2 of requests a stopped process left behind; how many."""
        with self.store.reading() as conn:
            pending = rights.requests_with_status(conn, ERASURE, [RECEIVED])
        for request_id in pending:
            self.erase_rows(request_id)
        return len(pending)

    def retrain_pending(self, *, include_stalled: bool = False) -> list[dict[str, Any]]:
        """Step 3: one training run for every request waiting for it; the requests done.

        `include_stalled` also takes requests left `retraining` by a process that stopped.
        """
        with self._training:
            now = self.clock()
            with self.store.transaction() as conn:
                claimed = rights.claim(conn, ERASURE, ROWS_ERASED, RETRAINING, now)
                if include_stalled:
                    claimed += [
                        r
                        for r in rights.requests_with_status(conn, ERASURE, [RETRAINING])
                        if r not in claimed
                    ]
            if not claimed:
                return []
            try:
                versions = self.retrain()
                outcome: Mapping[str, Any] = {
                    "models_retrained": [{"name": v.name, "version": v.version} for v in versions]
                }
            except TactfulError as exc:
                # Nothing to retrain on (no catalog, no model yet): nothing holds their data.
                outcome = {"models_retrained": [], "retraining_note": exc.detail}
            except Exception:
                log.exception("retraining after erasure failed; it will be tried again")
                with self.store.transaction() as conn:
                    for request_id in claimed:
                        request = rights.lock_request(conn, request_id)
                        if request is not None and request["status"] == RETRAINING:
                            rights.advance(conn, request, ROWS_ERASED, self.clock(), step="retry")
                raise
            done = []
            with self.store.transaction() as conn:
                for request_id in claimed:
                    request = rights.lock_request(conn, request_id)
                    if request is None or request["status"] != RETRAINING:
                        continue
                    request = rights.advance(
                        conn,
                        request,
                        COMPLETED,
                        self.clock(),
                        step="models_retrained",
                        detail=outcome,
                        completed=True,
                    )
                    self.audit.append(
                        conn,
                        "erasure.completed",
                        detail={
                            "request_id": str(request_id),
                            "subject_ref": request["subject_ref"],
                            "rows_deleted": sum(request["detail"].get("rows_deleted", {}).values()),
                            **outcome,
                        },
                    )
                    done.append(request)
            return done

    def sweep_orphan_keys(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Destroy data keys of subjects the store does not hold (left by failed imports)."""
        with self.store.reading() as conn:
            known = self.store.existing_subject_ids(conn, self.cipher.keyring.subject_ids())
        cutoff = self.clock() - older_than
        orphans = [
            s
            for s, created in self.cipher.keyring.created_times().items()
            if s not in known and created < cutoff
        ]
        for subject_id in orphans:
            self.cipher.destroy(subject_id)
        return len(orphans)


class ErasureWorker:
    """Runs step 3 in the background of `tactful serve`: woken by each request, and every
    `interval` seconds to pick up requests another process received."""

    def __init__(self, run: Callable[[bool], object], interval: float = 30.0) -> None:
        self._run = run
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tactful-erasure", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        # The first run also takes requests a stopped process left half-retrained.
        first = True
        while not self._stop.is_set():
            try:
                self._run(first)
            except Exception:
                log.exception("erasure worker run failed")
            first = False
            self._wake.wait(self._interval)
            self._wake.clear()
