"""The Python API of Tactful: one object that the HTTP API, the CLI and embedders all use.

It adapts the pure pipeline to the store: it reads what a step needs, calls the step, and
writes the result in one transaction.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from tactful.candidates.base import IndexArray, Recommender
from tactful.candidates.registry import build, load_model
from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus, derive_state
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.consent.notice import Notice
from tactful.consent.signing import ReceiptSigner
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import PurposeCatalog
from tactful.domain.subjects import AgeBand, Identity, Subject, SubjectAttributes
from tactful.errors import (
    BatchRejected,
    FieldError,
    InvalidInput,
    ModelNotTrained,
    NotFound,
    Unauthorized,
)
from tactful.evaluation.tuning import TuningResult
from tactful.evaluation.tuning import tune as tune_model
from tactful.explanations.parameters import ModelInfo, recommender_parameters
from tactful.explanations.why import why_decision, why_item
from tactful.fairness.policy import load_audit_policy
from tactful.guardrails.filters import CatalogMasks
from tactful.guardrails.policy import Channel, load_policy
from tactful.ingestion.batches import parse_rows, reject_unknown
from tactful.ingestion.consents import ConsentChangeIn
from tactful.ingestion.minimisation import minimise
from tactful.ingestion.schemas import ID_PATTERN, EventIn, ItemIn, SubjectIn
from tactful.messaging.rules import ALL_CHANNELS
from tactful.pipeline.decide import DecisionContext, DecisionRequest, decide
from tactful.pipeline.models import ModelHandle
from tactful.pipeline.surfaces import ColumnCache, category_columns, surface_rankers
from tactful.services.access import ApiKeys
from tactful.services.accounts import SEGMENTS, AccountService
from tactful.services.aggregate import COHORTS, AggregateService
from tactful.services.audit import AuditLog
from tactful.services.complaints import ComplaintService
from tactful.services.consents import Choice, ConsentService, Outcome
from tactful.services.erasure import ErasureService
from tactful.services.ethics import EthicsReports
from tactful.services.fairness import FairnessAudits
from tactful.services.identity import SubjectCipher, load_master_key
from tactful.services.inventory import subject_inventory
from tactful.services.messaging import MessagingService
from tactful.services.notices import NoticeRegistry, notice_from
from tactful.services.paging import page_request
from tactful.services.protections import ProtectionService
from tactful.services.retention import run_retention
from tactful.services.rights import request_view
from tactful.services.tokens import SubjectTokens
from tactful.services.views import consent_view, ledger_view, notice_view
from tactful.settings import Settings
from tactful.storage import feedback, rights
from tactful.storage import tables as t
from tactful.storage.bulk import iter_event_columns, iter_subject_consents
from tactful.storage.database import PoolOptions
from tactful.storage.history import decisions_for
from tactful.storage.identity import put_identities, sealed_identity
from tactful.storage.jobs import claim_run
from tactful.storage.keyring import Keyring
from tactful.storage.receipts import objecting_subjects
from tactful.storage.repository import ModelVersion, Store, StoredEvent
from tactful.training.interactions import build_training_data

POPULARITY = "popularity"
SURFACE_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
# How long a process trusts its cached catalog and model pointers before re-checking.
CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class IngestResult:
    kind: str
    received: int
    created: int = 0
    updated: int = 0
    stored: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "received": self.received}
        if self.kind == "events":
            out |= {"stored": self.stored, "dropped": sum(self.dropped.values())}
            out["dropped_reasons"] = [
                {"reason": reason, "count": count} for reason, count in sorted(self.dropped.items())
            ]
        else:
            out |= {"created": self.created, "updated": self.updated}
        return out


class Tactful:
    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        *,
        notice: Notice | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        # Checked before anything is opened: a bad configuration stops the start cleanly.
        self.rankers = surface_rankers(settings.surface_rerankers)
        self.guardrails = load_policy(settings.guardrails_file)
        self.audit_policy = load_audit_policy(settings.audit_file)
        self._harm_prone = frozenset(self.guardrails.protection.harm_prone)
        # Production never migrates on start (`tactful migrate` does, once): it refuses a
        # store whose schema is behind.
        self.store = store or Store.open(
            settings.resolved_database_url,
            migrate_schema=settings.environment == "development",
            pool=PoolOptions.of(settings),
        )
        self.clock = clock or (lambda: datetime.now(UTC))
        self.signer = ReceiptSigner.load_or_create(
            settings.resolved_receipt_key_file, create=settings.environment == "development"
        )
        self.keyring = Keyring.open(settings.resolved_keyring_url, PoolOptions.of(settings))
        self.cipher = SubjectCipher(load_master_key(settings), self.keyring, self.clock)
        self.audit = AuditLog(
            self.store,
            self.signer,
            self.clock,
            settings.audit_checkpoint_every,
            self.cipher.fingerprint,
        )
        self.notices = NoticeRegistry(self.store, self.clock, self.audit)
        if notice is not None or settings.notice_file is not None:
            self.notices.publish(notice or notice_from(settings.notice_file))
        elif not self.notices.refresh():
            # The packaged notice only starts an empty store; after that the store's
            # newest version stands until the operator publishes their own file.
            self.notices.publish(notice_from(None))
        self.tokens = SubjectTokens(
            settings.subject_token_key(), self.clock, settings.subject_token_max_seconds
        )
        self.consent = ConsentService(
            self.store, self.notices, self.signer, self.clock, settings.tcf_vendor_id, self.audit
        )
        self.complaints = ComplaintService(
            self.store, self.cipher, self.audit, self.clock, settings.complaint_days
        )
        self.keys = ApiKeys(
            self.store,
            self.audit,
            self.clock,
            settings.operator_api_key(),
            cache_seconds=settings.api_key_cache_seconds,
        )
        self.erasure = ErasureService(
            self.store,
            self.cipher,
            self.audit,
            self.clock,
            settings.rights_request_days,
            self.retrain_current,
        )
        self.messaging = MessagingService(self)
        self.fairness = FairnessAudits(self)
        self.ethics = EthicsReports(self)
        self.protections = ProtectionService(self)
        self.accounts = AccountService(self)
        self.aggregate = AggregateService(self)  # the aggregate level's cohort trends
        # An erasure a stopped process left half done is finished before anything else.
        self.erasure.resume()
        self._lock = threading.Lock()
        self._catalog: dict[str, Item] = {}
        self._catalog_stamp: object = None
        self._catalog_checked = 0.0
        self._models: dict[str, ModelHandle] = {}
        self._masks: dict[str, CatalogMasks] = {}
        self._categories: dict[str, IndexArray] = {}
        self._columns = ColumnCache()  # providers and popularity per column, for re-rankers
        self._latest: dict[str, tuple[float, str | None]] = {}

    def close(self) -> None:
        self.store.close()
        self.keyring.close()

    @property
    def purposes(self) -> PurposeCatalog:
        """The purposes of the notice in force (re-read when a new version is published)."""
        return self.notices.catalog()

    @property
    def notice_version(self) -> str:
        return self.notices.current().notice.version

    # -- ingestion --------------------------------------------------------------------
    def ingest_items(self, rows: Sequence[Any]) -> IngestResult:
        parsed = parse_rows(
            rows, ItemIn, kind="items", max_rows=self.settings.max_batch_rows, id_field="item_id"
        )
        return self.add_items([r.to_domain() for r in parsed])

    def add_items(self, batch: Sequence[Item]) -> IngestResult:
        known = self.guardrails.sensitive_codes
        errors = [
            FieldError("sensitive", f"unknown sensitive category {c!r}", row=n)
            for n, item in enumerate(batch)
            for c in sorted(item.sensitive - known)
        ]
        if errors:
            raise BatchRejected(
                "The batch has items tagged with sensitive categories the guardrail policy "
                f"does not declare (known: {', '.join(sorted(known))}); nothing was stored.",
                errors,
            )
        with self.store.transaction() as conn:
            created, updated = self.store.upsert_items(conn, batch)
        self._catalog_checked = 0.0
        return IngestResult("items", len(batch), created=created, updated=updated)

    def ingest_subjects(self, rows: Sequence[Any]) -> IngestResult:
        parsed = parse_rows(
            rows,
            SubjectIn,
            kind="subjects",
            max_rows=self.settings.max_batch_rows,
            id_field="subject_id",
        )
        return self.add_subjects([r.to_domain() for r in parsed])

    def add_subjects(self, batch: Sequence[Subject]) -> IngestResult:
        # Sealed before the transaction: a new data key is written to the keyring, which is
        # not part of it (a key left behind by a failed batch seals nothing and is swept).
        sealed = [
            (s.subject_id, self.cipher.master.key_id, self._seal_identity(s.subject_id, s.identity))
            for s in batch
            if s.identity is not None
        ]
        with self.store.transaction() as conn:
            existing = self.store.existing_subject_ids(conn, (s.subject_id for s in batch))
            self._refuse_erased(
                conn, "subjects", [(n, s.subject_id) for n, s in enumerate(batch)], existing
            )
            created, updated = self.store.upsert_subjects(conn, batch)
            put_identities(conn, sealed, self.clock())
        return IngestResult("subjects", len(batch), created=created, updated=updated)

    def _refuse_erased(
        self, conn: Connection, kind: str, refs: Sequence[tuple[int, str]], existing: set[str]
    ) -> None:
        """Refuse a batch naming an erased subject: a replayed import must not bring them
        back unnoticed. Only ids not in the store are looked up, so a normal batch pays one
        fingerprint per new subject."""
        new = {ref for _, ref in refs if ref not in existing}
        if not new:
            return
        prints = {ref: self.cipher.fingerprint(ref) for ref in new}
        erased = rights.tombstoned(conn, prints.values())
        if not erased:
            return
        errors = [
            FieldError(
                "subject_id",
                f"subject {ref!r} was erased on {erased[prints[ref]]:%Y-%m-%d}; it cannot be "
                "imported again unless an operator readmits it",
                row=n,
            )
            for n, ref in refs
            if ref in prints and prints[ref] in erased
        ]
        self.audit.record("import.refused_erased", detail={"kind": kind, "rows": len(errors)})
        raise BatchRejected(
            f"{len(errors)} {kind} rows name erased subjects; nothing was stored.", errors[:100]
        )

    def _seal_identity(self, subject_id: str, identity: Identity) -> bytes:
        return self.cipher.seal(subject_id, "identity", json.dumps(identity.as_dict()).encode())

    def identity(self, subject_id: str) -> Identity | None:
        """The subject's identifying fields, opened; None when none are held."""
        with self.store.reading() as conn:
            self._subject(conn, subject_id)
            sealed = sealed_identity(conn, subject_id)
        if sealed is None:
            return None
        opened = self.cipher.open_or_none(subject_id, "identity", sealed)
        if opened is None:
            return None
        fields = json.loads(opened)
        return Identity(
            email=fields.get("email"), name=fields.get("name"), phone=fields.get("phone")
        )

    def ingest_events(self, rows: Sequence[Any]) -> IngestResult:
        parsed = parse_rows(
            rows, EventIn, kind="events", max_rows=self.settings.max_batch_rows, id_field=None
        )
        return self.add_events([r.to_domain() for r in parsed])

    def add_events(self, events: Sequence[Event]) -> IngestResult:
        """Store the events a granted purpose covers; reject all if any id is unknown."""
        with self.store.transaction() as conn:
            subjects = self.store.existing_subject_ids(conn, (e.subject_id for e in events))
            self._refuse_erased(
                conn, "events", [(n, e.subject_id) for n, e in enumerate(events)], subjects
            )
            reject_unknown(
                "events", "subject_id", [(n, e.subject_id) for n, e in enumerate(events)], subjects
            )
            catalog = self.catalog(conn, force=True)
            reject_unknown(
                "events", "item_id", [(n, e.item_id) for n, e in enumerate(events)], set(catalog)
            )
            records = self.store.consents_for_many(conn, subjects)
            purposes = self.notices.catalog(conn)
            states = {s: derive_state(s, records.get(s, []), purposes) for s in subjects}
            result = minimise(events, states, catalog, purposes)
            stored = self.store.add_events(
                conn, [StoredEvent(e, purposes) for e, purposes in result.kept]
            )
        return IngestResult("events", len(events), stored=stored, dropped=dict(result.dropped))

    def import_consents(self, records: Sequence[ConsentRecord]) -> int:
        """Append recorded choices in bulk (imports, demo); purposes and subjects must exist.

        A grant of a direct-marketing purpose to someone who objected to direct marketing
        is not imported: only the person can lift an objection. Returns how many records
        were stored.
        """
        purposes = self.purposes
        purposes.require_known({r.purpose for r in records})
        published = {p.notice.version for p in self.notices.history()}
        unknown = [
            FieldError("notice_version", f"{r.notice_version!r} was never published", row=n)
            for n, r in enumerate(records)
            if r.notice_version not in published
        ]
        if unknown:
            raise InvalidInput(
                "Consents name a notice version that was never published; nothing was stored.",
                unknown[:100],
            )
        with self.store.transaction() as conn:
            known = self.store.existing_subject_ids(conn, (r.subject_id for r in records))
            self._refuse_erased(
                conn, "consents", [(n, r.subject_id) for n, r in enumerate(records)], known
            )
            reject_unknown(
                "consents", "subject_id", [(n, r.subject_id) for n, r in enumerate(records)], known
            )
            marketing = {p.code for p in purposes if p.direct_marketing}
            objecting = objecting_subjects(
                conn, {r.subject_id for r in records if r.purpose in marketing}
            )
            kept = [
                r
                for r in records
                if not (
                    r.subject_id in objecting
                    and r.purpose in marketing
                    and r.status is ConsentStatus.GRANTED
                )
            ]
            stored = self.store.bulk_append_consents(conn, kept)
            self.audit.append(
                conn,
                "consent.imported",
                detail={"records": stored, "subjects": len({r.subject_id for r in kept})},
            )
            return stored

    # -- consent ----------------------------------------------------------------------
    def record_consents(
        self,
        subject_id: str,
        change: Mapping[str, Any] | ConsentChangeIn,
        *,
        gpc: bool = False,
        method: ConsentMethod | None = None,
    ) -> dict[str, Any]:
        """Record explicit choices; the answer is the new state and its signed receipt."""
        if not isinstance(change, ConsentChangeIn):
            try:
                change = ConsentChangeIn.model_validate(change)
            except ValidationError as exc:
                raise InvalidInput(
                    "The consent change is invalid; nothing was recorded.",
                    [
                        FieldError(".".join(map(str, e["loc"])), e["msg"])
                        for e in exc.errors(include_url=False)
                    ],
                ) from None
        self._valid_subject_id(subject_id)
        outcome = self.consent.record(
            subject_id,
            [Choice(c.purpose, c.status) for c in change.choices],
            method or ConsentMethod(change.method.value),
            change.notice_version,
            gpc=gpc,
        )
        return self._outcome_view(outcome)

    def set_level(
        self, subject_id: str, level: PersonalizationLevel | str, method: ConsentMethod
    ) -> dict[str, Any]:
        try:
            chosen = PersonalizationLevel(level)
        except ValueError:
            raise InvalidInput(
                "Unknown personalization level.",
                [FieldError("level", "must be one of: off, aggregate, basic, full")],
            ) from None
        self._valid_subject_id(subject_id)
        return self._outcome_view(self.consent.set_level(subject_id, chosen, method))

    def apply_gpc(self, subject_id: str) -> dict[str, Any] | None:
        """Honour a Global Privacy Control signal; the receipt when it changed anything."""
        self._valid_subject_id(subject_id)
        outcome = self.consent.apply_gpc(subject_id)
        return None if outcome is None else self._outcome_view(outcome)

    def apply_tcf(self, subject_id: str, tc_string: str, *, gpc: bool = False) -> dict[str, Any]:
        self._valid_subject_id(subject_id)
        return self._outcome_view(self.consent.apply_tcf(subject_id, tc_string, gpc=gpc))

    def object_to_marketing(self, subject_id: str, method: ConsentMethod) -> dict[str, Any]:
        self._valid_subject_id(subject_id)
        return self._outcome_view(self.consent.object_to_marketing(subject_id, method))

    def lift_objection(self, subject_id: str) -> dict[str, Any]:
        self._valid_subject_id(subject_id)
        return self._outcome_view(self.consent.lift_objection(subject_id))

    def consents(self, subject_id: str) -> dict[str, Any]:
        with self.store.reading() as conn:
            subject = self._subject(conn, subject_id)
            records = self.store.consents_for(conn, subject_id)
        catalog = self.purposes
        view = consent_view(
            derive_state(subject_id, records, catalog),
            subject.attributes,
            catalog,
            self.notices.history(),
            self.consent.objection(subject_id),
        )
        view["history"] = ledger_view(records)
        return view

    def receipts(self, subject_id: str) -> list[dict[str, Any]]:
        self._valid_subject_id(subject_id)
        return [r.summary() | {"jws": r.jws} for r in self.consent.receipts(subject_id)]

    def receipt(self, subject_id: str, receipt_id: str) -> dict[str, Any]:
        self._valid_subject_id(subject_id)
        found = self.consent.receipt(subject_id, receipt_id)
        return found.summary() | {"jws": found.jws}

    def issue_token(self, subject_id: str, ttl_seconds: int = 3600) -> dict[str, Any]:
        with self.store.reading() as conn:
            self._subject(conn, subject_id)
        issued = self.tokens.issue(subject_id, ttl_seconds)
        return {
            "token": issued.token,
            "token_type": "Bearer",
            "subject_id": subject_id,
            "expires_at": issued.expires_at.isoformat(),
        }

    def subject_of_token(self, token: str) -> str:
        """The subject a consumer token is bound to; it must still exist."""
        subject_id = self.tokens.subject_of(token)
        with self.store.reading() as conn:
            if self.store.get_subject(conn, subject_id) is None:
                raise Unauthorized("The subject token's subject no longer exists.")
        return subject_id

    def notice(self) -> dict[str, Any]:
        return notice_view(self.notices.current())

    def notice_versions(self) -> list[dict[str, Any]]:
        return [notice_view(p) for p in self.notices.history()]

    def _outcome_view(self, outcome: Outcome) -> dict[str, Any]:
        catalog = self.purposes
        view = consent_view(
            outcome.state,
            outcome.subject.attributes,
            catalog,
            self.notices.history(),
            self.consent.objection(outcome.subject.subject_id),
        )
        view["receipt"] = outcome.receipt
        if outcome.blocked:
            view["blocked"] = outcome.blocked
        return view | outcome.extra

    # -- decisions --------------------------------------------------------------------
    def recommend(
        self,
        subject_id: str,
        k: int = 10,
        surface: str = "home",
        pinned: Sequence[str] = (),
    ) -> dict[str, Any]:
        errors = []
        if len(pinned) > self.settings.max_k:
            errors.append(FieldError("pin", f"at most {self.settings.max_k} pinned items"))
        errors += [
            FieldError(f"pin.{n}", "not a valid item id")
            for n, item_id in enumerate(pinned)
            if not re.match(ID_PATTERN, item_id)
        ]
        if not 1 <= k <= self.settings.max_k:
            errors.append(FieldError("k", f"must be between 1 and {self.settings.max_k}"))
        if not re.match(SURFACE_PATTERN, surface):
            errors.append(FieldError("surface", "lower-case letters, digits, _ and -, ≤64"))
        elif (refused := self.accounts.person_refused(surface)) is not None:
            errors.append(refused)
        if not re.match(ID_PATTERN, subject_id):
            errors.append(FieldError("subject_id", "not a valid subject id"))
        if errors:
            raise InvalidInput("The recommendation request is invalid.", errors)
        # One connection and one transaction: the reads, then the record, committed before
        # the caller sees it. (On SQLite the reads run outside it: the driver only begins
        # the transaction at the INSERT.)
        with self.store.transaction() as conn:
            found = self.store.subject_and_consents(conn, subject_id)
            if found is None:
                raise NotFound(f"No subject {subject_id!r}.")
            subject, consents = found
            catalog = self.catalog(conn)
            purposes = self.notices.catalog(conn)
            popular = self._model(conn, POPULARITY)
            personal = self._model_or_none(conn, self.settings.personal_model)
            cohorts = self.aggregate.model(conn)  # served at the aggregate level only

            def load(types: frozenset[EventType]) -> Sequence[Event]:
                return self.store.recent_signals(
                    conn, subject_id, types, self.settings.history_limit
                )

            models = [m for m in (popular, personal, cohorts) if m is not None]
            now = self.clock()
            unwanted = self.store.exclusions(conn, subject_id, now)
            ranker = self.rankers.get(surface)
            ctx = DecisionContext(
                subject,
                consents,
                load,
                catalog,
                purposes,
                popular,
                personal,
                {m.version: self._masks_for(m, catalog) for m in models},
                unwanted.get("reported", frozenset()),
                ranker,
                {m.version: self._categories_for(m, catalog) for m in models}
                if ranker is not None or "less_like_this" in unwanted
                else {},
                unwanted.get("not_interested", frozenset()),
                unwanted.get("less_like_this", frozenset()),
                unwanted.get("self_exclusion", frozenset()),
                "vulnerable" in unwanted,
                self._harm_prone,
                {
                    m.version: self._columns.facts(
                        m, popular, catalog, self._categories_for(m, catalog)
                    )
                    for m in models
                }
                if ranker is not None and ranker.needs_columns
                else {},
                cohorts=cohorts,
            )
            request = DecisionRequest(subject_id, k, surface, now, tuple(pinned))
            record = decide(request, ctx)
            body = record.as_dict()
            self.store.add_decision(conn, body)
        return body

    def decision(self, decision_id: str) -> dict[str, Any]:
        try:
            key = uuid.UUID(decision_id)
        except ValueError:
            raise InvalidInput(
                "Not a decision id.", [FieldError("decision_id", "must be a UUID")]
            ) from None
        with self.store.reading() as conn:
            found = self.store.get_decision(conn, key)
        if found is None:
            raise NotFound(f"No decision {decision_id}.")
        return found

    def decisions_of(
        self, subject_id: str, limit: int = 20, before: str | None = None
    ) -> dict[str, Any]:
        """A subject's past decisions, newest first, in pages of `limit`."""
        cursor = page_request(limit, before, "decision")
        with self.store.reading() as conn:
            self._subject(conn, subject_id)
            records = decisions_for(conn, subject_id, limit, cursor)
        return {
            "decisions": [
                {
                    "decision_id": r["decision_id"],
                    "created_at": r["created_at"],
                    "surface": r["surface"],
                    "level": r["level"],
                    "personalized": r["personalized"],
                    "items": [{"item_id": i["item_id"], "title": i["title"]} for i in r["items"]],
                }
                for r in records
            ],
            "next_before": f"{records[-1]['created_at']}~{records[-1]['decision_id']}"
            if len(records) == limit
            else None,
        }

    def why(self, subject_id: str, decision_id: str, item_id: str | None = None) -> dict[str, Any]:
        """ "Why am I seeing this?" for one of the subject's own decisions (or one item)."""
        try:
            record = self.decision(decision_id)
        except NotFound:
            record = None
        # Another person's decision is answered exactly like a missing one.
        if record is None or record["subject_id"] != subject_id:
            raise NotFound(f"No decision {decision_id} for this person.")
        with self.store.reading() as conn:
            subject = self._subject(conn, subject_id)
            records = self.store.consents_for(conn, subject_id)
        catalog = self.purposes
        state = derive_state(subject_id, records, catalog)
        level_now = derive_level(state, subject.attributes).level.value
        if item_id is None:
            return why_decision(record, catalog, state, level_now)
        for item in record["items"]:
            if item["item_id"] == item_id:
                return why_item(record, item, catalog, state, level_now)
        raise NotFound(f"Item {item_id!r} was not part of decision {decision_id}.")

    def inventory(self, subject_id: str) -> dict[str, Any]:
        """What is held about the subject: categories, sources, purposes, retention, roles."""
        with self.store.reading() as conn:
            subject = self._subject(conn, subject_id)
            return subject_inventory(
                conn,
                subject,
                self.notices.current(conn).notice,
                self.notices.catalog(conn),
                self.settings.decision_retention_days,
                self.clock(),
            )

    def run_retention(self, *, dry_run: bool = False) -> dict[str, Any]:
        """Delete (or, dry, count) what has outlived its purposes' retention."""
        report = run_retention(
            self.store,
            self.purposes,
            self.clock(),
            self.settings.decision_retention_days,
            dry_run=dry_run,
        )
        out = report.as_dict()
        if not dry_run:
            # Keys whose subject never landed (an import that failed after sealing).
            out["orphan_keys_destroyed"] = self.erasure.sweep_orphan_keys()
            self.audit.record(
                "retention.run",
                detail={k: v for k, v in out.items() if isinstance(v, int)},
            )
        return out

    # -- the person's own controls ----------------------------------------------------
    def give_feedback(self, subject_id: str, kind: str, target: str) -> dict[str, Any]:
        """ "Not interested" in an item, "show less like this" for a category, or "too many
        messages" for a channel; effective on the very next decision or message. Giving it
        twice changes nothing."""
        self._valid_subject_id(subject_id)
        with self.store.transaction() as conn:
            self._subject(conn, subject_id)
            self._check_feedback(conn, kind, target)
            feedback.add(conn, subject_id, kind, target, self.clock())
            return {"feedback": feedback.of_subject(conn, subject_id)}

    def withdraw_feedback(self, subject_id: str, kind: str, target: str) -> dict[str, Any]:
        self._valid_subject_id(subject_id)
        with self.store.transaction() as conn:
            self._subject(conn, subject_id)
            if not feedback.remove(conn, subject_id, kind, target):
                raise NotFound(f"No {kind} feedback for {target!r}.")
            return {"feedback": feedback.of_subject(conn, subject_id)}

    def feedback_of(self, subject_id: str) -> dict[str, Any]:
        with self.store.reading() as conn:
            self._subject(conn, subject_id)
            return {"feedback": feedback.of_subject(conn, subject_id)}

    def _check_feedback(self, conn: Connection, kind: str, target: str) -> None:
        catalog = self.catalog(conn, force=True)
        if kind == "not_interested":
            if target not in catalog:
                raise InvalidInput(
                    "Unknown item.", [FieldError("item_id", f"no item {target!r} in the catalog")]
                )
        elif kind == "less_like_this":
            if target not in {item.category for item in catalog.values()}:
                raise InvalidInput(
                    "Unknown category.",
                    [FieldError("category", f"no category {target!r} in the catalog")],
                )
        elif kind == "fewer_messages":
            if target != ALL_CHANNELS and target not in set(Channel):
                raise InvalidInput(
                    "Unknown channel.",
                    [FieldError("channel", "must be email, sms, push or all")],
                )
        else:
            raise InvalidInput(
                "Unknown feedback.",
                [FieldError("kind", "must be not_interested, less_like_this or fewer_messages")],
            )

    # -- rights requests ------------------------------------------------------------
    def request_erasure(
        self, subject_id: str, *, via: str = "operator", wait: bool = False
    ) -> dict[str, Any]:
        """Erase the subject: key and rows at once; models retrained now (`wait`) or by the
        background worker. Answers the request's status, which never names the subject."""
        self._valid_subject_id(subject_id)
        request = self.erasure.request(subject_id, via)
        if wait:
            self.erasure.retrain_pending()
            with self.store.reading() as conn:
                request = rights.get_request(conn, request["request_id"]) or request
        return request_view(request, self.clock())

    def process_erasures(self, include_stalled: bool = True) -> int:
        """Finish every erasure waiting to be finished (resumed rows, then retraining);
        `include_stalled` also retrains requests another process left `retraining`."""
        self.erasure.resume()
        return len(self.erasure.retrain_pending(include_stalled=include_stalled))

    def rights_request(self, request_id: str) -> dict[str, Any]:
        key = _uuid_or_invalid(request_id, "request_id")
        with self.store.reading() as conn:
            found = rights.get_request(conn, key)
        if found is None:
            raise NotFound(f"No rights request {request_id}.")
        return request_view(found, self.clock())

    def rights_requests(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        overdue: bool = False,
        limit: int = 50,
        before: str | None = None,
        subject_id: str | None = None,
    ) -> dict[str, Any]:
        """Rights requests, newest first: the privacy officer's list (or one subject's)."""
        errors = []
        if not 1 <= limit <= 200:
            errors.append(FieldError("limit", "must be between 1 and 200"))
        cursor = None
        if before is not None:
            try:
                cursor = datetime.fromisoformat(before)
            except ValueError:
                cursor = None
            if cursor is None or cursor.tzinfo is None:
                errors.append(FieldError("before", "must be an ISO 8601 date-time with a zone"))
        if errors:
            raise InvalidInput("The request list query is invalid.", errors)
        now = self.clock()
        with self.store.reading() as conn:
            if subject_id is not None:
                self._subject(conn, subject_id)
            rows = rights.list_requests(
                conn,
                subject_id=subject_id,
                status=status,
                kind=kind,
                due_before=now if overdue else None,
                open_only=overdue,
                limit=limit,
                received_before=cursor,
            )
        views = [request_view(r, now) for r in rows]
        return {
            "requests": views,
            "next_before": views[-1]["received_at"] if len(views) == limit else None,
        }

    def readmit(self, subject_id: str) -> bool:
        """Let an erased subject's id be imported again (an explicit, audited choice)."""
        self._valid_subject_id(subject_id)
        with self.store.transaction() as conn:
            removed = rights.remove_tombstone(conn, self.cipher.fingerprint(subject_id))
            if removed:
                self.audit.append(conn, "erasure.readmitted", subject_id=subject_id)
        return removed

    def retrain_current(self) -> list[ModelVersion]:
        """Train the served models again with their own configs (so their seeds too)."""
        names = [POPULARITY, self.settings.personal_model]
        with self.store.reading() as conn:
            latest = {n: mv for n in names if (mv := self.store.latest_model(conn, n)) is not None}
        if not latest:
            return []
        return self.train(list(latest), {n: mv.config for n, mv in latest.items()})

    def models_in_use(self) -> dict[str, ModelVersion | None]:
        """The newest version of each model a decision may use, or None before its first
        training: popularity and the configured personal model; the cohort trends when the
        notice offers the aggregate level; the account models when account surfaces are set."""
        names = [POPULARITY, self.settings.personal_model]
        if self.aggregate.offered():
            names.append(COHORTS)
        if self.accounts.surfaces:
            names += [self.accounts.model_name, SEGMENTS]
        with self.store.reading() as conn:
            return {name: self.store.latest_model(conn, name) for name in names}

    def main_parameters(self) -> dict[str, Any]:
        """The recommenders' main parameters, generated from the live configuration."""
        names = [POPULARITY, self.settings.personal_model]
        with self.store.reading() as conn:
            latest = {name: self.store.latest_model(conn, name) for name in names}
        models = {
            name: None
            if mv is None
            else ModelInfo(mv.name, mv.version, mv.config, mv.created_at, mv.trained_on)
            for name, mv in latest.items()
        }
        aggregate = self.aggregate.parameters()
        parameters = recommender_parameters(
            purposes=self.purposes,
            models=models,
            personal_model=self.settings.personal_model,
            popular_model=POPULARITY,
            history_limit=self.settings.history_limit,
            max_k=self.settings.max_k,
            guardrails=self.guardrails,
            cohort_model=aggregate["recommender"],
            cohort_text=aggregate["text"],
        )
        # How each surface orders the list after the guardrails (DSA Art. 27 main parameter).
        parameters["surfaces"] = {
            surface: ranker.describe() for surface, ranker in sorted(self.rankers.items())
        }
        # The account level (business accounts, no person's data) on its own surfaces.
        parameters["accounts"] = self.accounts.parameters()
        # The aggregate level: cohort trends with differential privacy, and the budget spent.
        parameters["aggregate"] = aggregate
        return parameters

    def privacy_releases(self) -> list[dict[str, Any]]:
        """Every differentially private release of the cohort trends, oldest first."""
        return self.aggregate.releases()

    # -- models -----------------------------------------------------------------------
    def train(
        self,
        models: Sequence[str] | None = None,
        configs: Mapping[str, Mapping[str, Any]] | None = None,
        progress: Callable[[str], None] | None = None,
        *,
        tune: bool = False,
        seed: int = 42,
    ) -> list[ModelVersion]:
        """Train new versions on the signals consent allows today, and make them current.

        With `tune`, each model given no explicit config has its hyperparameters chosen by
        grid search on a validation split carved from this same training data (seeded by
        `seed`); the chosen values are the saved config, and every trial is saved beside
        the model in `tuning.json` and summarised in the version's `trained_on`.
        """
        names = list(models) if models else [POPULARITY, self.settings.personal_model]
        configs = configs or {}
        unknown = [n for n in configs if n not in names]
        if unknown:
            raise InvalidInput(
                "Configs given for models not being trained.",
                [FieldError(f"config.{n}", "not among the models trained") for n in unknown],
            )
        recommenders: dict[str, Recommender[Any]] = {n: build(n, configs.get(n)) for n in names}
        say = progress or (lambda _msg: None)
        say("reading consented signals")
        with self.store.reading() as conn:
            catalog = self.catalog(conn, force=True)
            data = build_training_data(
                iter_subject_consents(conn), iter_event_columns(conn), catalog, self.purposes
            )
        if not catalog:
            raise InvalidInput("The catalog is empty; import items before training.")
        versions = []
        for name, recommender in recommenders.items():
            matrix = data.aggregate if not recommender.personal else data.personal
            tuning: TuningResult | None = None
            if tune and name not in configs and recommender.search_space:
                say(f"tuning {name}")
                tuning = tune_model(name, matrix, seed=seed)
                recommender = build(name, tuning.best_config)
            say(f"training {name}")
            recommender.fit(matrix)
            trained_on = {
                "subjects": int(matrix.matrix.shape[0]),
                "items": int(matrix.matrix.shape[1]),
                "interactions": int(matrix.matrix.nnz),
                "events_read": data.events_read,
                "signals": "profiling signals allowed by each subject's consent"
                if recommender.personal
                else "events still covered by a granted purpose",
                "tuning": _tuning_summary(tuning),
            }
            extra = {} if tuning is None else {"tuning.json": _finite(tuning.as_dict())}
            versions.append(self.publish_model(name, recommender, trained_on, extra))
        if not models:
            # Account models, when account events exist (they read no person's data).
            versions += self.accounts.train(say)
            # The aggregate level's cohort trends: one differentially private release.
            versions += self.aggregate.train(say)
        self._latest.clear()
        return versions

    def claim_job_run(self, job: str, slot: int) -> bool:
        """Whether this process runs `job` in `slot` (see `services.retention.Schedule`)."""
        return claim_run(self.store.engine, job, slot, self.clock())

    def publish_model(
        self,
        name: str,
        recommender: Recommender[Any],
        trained_on: Mapping[str, Any],
        extra_files: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Save a trained model under a new version and make it the one served.

        Every trainer ends here (the built-in ones and the Spark back end), so every model
        is saved in the same files, recorded in `model_versions` and written to the audit log.
        `extra_files` are JSON documents saved beside the model (a tuning trace, say).
        """
        now = self.clock()
        version = f"{name}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        relative = Path(name) / version
        recommender.save(self.settings.models_dir / relative)
        for file_name, document in (extra_files or {}).items():
            (self.settings.models_dir / relative / file_name).write_text(
                json.dumps(document, indent=2, sort_keys=True)
            )
        mv = ModelVersion(
            version=version,
            name=name,
            config=recommender.config.model_dump(mode="json"),
            trained_on=dict(trained_on),
            path=str(relative),
            created_at=now,
        )
        with self.store.transaction() as conn:
            self.store.add_model_version(conn, mv)
            self.audit.append(
                conn,
                "training.run",
                detail={"model": name, "version": version, "trained_on": mv.trained_on},
            )
        self._latest.clear()
        return mv

    # -- reading helpers --------------------------------------------------------------
    def catalog(self, conn: Connection, *, force: bool = False) -> dict[str, Item]:
        now = time.monotonic()
        if force or now - self._catalog_checked > CACHE_SECONDS:
            stamp = self.store.catalog_stamp(conn)
            if stamp != self._catalog_stamp:
                # Items as the guardrails see them: their catalog category may make them
                # sensitive (configuration, so a change applies to items already stored).
                effective = self.guardrails.effective
                catalog = {i: effective(item) for i, item in self.store.all_items(conn).items()}
                with self._lock:
                    self._catalog, self._catalog_stamp = catalog, stamp
                    self._masks = {}
                    self._categories = {}
            self._catalog_checked = now
        return self._catalog

    def _masks_for(self, model: ModelHandle, catalog: dict[str, Item]) -> CatalogMasks:
        masks = self._masks.get(model.version)
        if masks is None:
            masks = CatalogMasks.build(model.item_ids, catalog)
            with self._lock:
                self._masks[model.version] = masks
        return masks

    def _categories_for(self, model: ModelHandle, catalog: dict[str, Item]) -> IndexArray:
        columns = self._categories.get(model.version)
        if columns is None:
            columns = category_columns(
                model.item_ids, {i: item.category for i, item in catalog.items()}
            )
            with self._lock:
                self._categories[model.version] = columns
        return columns

    def _model(self, conn: Connection, name: str) -> ModelHandle:
        handle = self._model_or_none(conn, name)
        if handle is None:
            raise ModelNotTrained(f"No {name} model has been trained; run `tactful train` first.")
        return handle

    def _model_or_none(self, conn: Connection, name: str) -> ModelHandle | None:
        """The newest version of model `name`, re-checked every CACHE_SECONDS: a version
        published by another process is served here within that bound (plus its loading)."""
        now = time.monotonic()
        checked, version = self._latest.get(name, (0.0, None))
        handle = self._models.get(version) if version is not None else None
        if now - checked > CACHE_SECONDS or handle is None:
            latest = self.store.latest_model(conn, name)
            if latest is None:
                self._latest[name] = (now, None)
                return None
            handle = self._models.get(latest.version)
            if handle is None:
                recommender = load_model(self.settings.models_dir / latest.path)
                handle = ModelHandle.of(name, latest.version, recommender)
                with self._lock:
                    # Older versions are served no more: a long-running worker that sees
                    # model after model keeps only the newest in memory.
                    for old in [v for v, h in self._models.items() if h.name == name]:
                        del self._models[old]
                        self._masks.pop(old, None)
                        self._categories.pop(old, None)
                    self._models[latest.version] = handle
            # Only now: a thread reading the pointer finds the model already loaded.
            self._latest[name] = (now, latest.version)
        return handle

    @staticmethod
    def _valid_subject_id(subject_id: str) -> None:
        if not re.match(ID_PATTERN, subject_id):
            raise InvalidInput(
                "Not a valid subject id.",
                [FieldError("subject_id", "letters, digits and . _ : @ - only, at most 128")],
            )

    def _subject(self, conn: Connection, subject_id: str) -> Subject:
        self._valid_subject_id(subject_id)
        subject = self.store.get_subject(conn, subject_id)
        if subject is None:
            raise NotFound(f"No subject {subject_id!r}.")
        return subject

    def _all_attributes(self, conn: Connection) -> dict[str, SubjectAttributes]:
        rows = conn.execute(
            select(t.subject_attributes.c.subject_id, t.subject_attributes.c.age_band)
        )
        return {
            r.subject_id: SubjectAttributes(age_band=AgeBand(r.age_band) if r.age_band else None)
            for r in rows
        }


def _uuid_or_invalid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"Not a valid {field}.", [FieldError(field, "must be a UUID")]) from None


def _tuning_summary(tuning: TuningResult | None) -> dict[str, Any] | None:
    if tuning is None:
        return None
    score = tuning.best_score
    return {
        "metric": f"{tuning.metric}@{tuning.k}",
        "validation_score": None if math.isnan(score) else round(score, 6),
        "validation_share": tuning.validation_share,
        "validation_seed": tuning.validation_seed,
        "validation_users": tuning.validation_users,
        "trials": len(tuning.trials),
        "chosen": tuning.best_config,
        "file": "tuning.json",
    }


def _finite(value: Any) -> Any:
    """JSON has no NaN: an unscorable trial is recorded as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def open_tactful(settings: Settings) -> Tactful:
    return Tactful(settings)


__all__ = ["IngestResult", "Tactful", "open_tactful"]
