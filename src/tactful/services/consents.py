"""Consent changes, from any source, each appended to the ledger with a signed receipt.

Every way a choice reaches Tactful goes through here: a person's own choice (consumer
API), the operator's systems, a Global Privacy Control signal, an IAB TCF string, an
objection to direct marketing. Each change locks the subject first, so two changes for
one person apply one after the other, checks everything before writing anything, and
writes the ledger records, the evidence and the receipt in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tactful.audit.chain import AuditAction
from tactful.consent.ledger import (
    ConsentMethod,
    ConsentRecord,
    ConsentState,
    ConsentStatus,
    derive_state,
)
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.consent.notice import Notice, PublishedNotice
from tactful.consent.receipts import (
    ReceiptContext,
    ReceiptController,
    ReceiptPurpose,
    build_receipt,
)
from tactful.consent.signing import ReceiptSigner
from tactful.consent.tcf import decode_tc_string, map_purposes
from tactful.domain.purposes import (
    PERSONALIZATION_AGGREGATE,
    PERSONALIZATION_BEHAVIORAL,
    PERSONALIZATION_EXPLICIT,
    Purpose,
    PurposeCatalog,
)
from tactful.domain.subjects import Subject
from tactful.errors import Conflict, FieldError, InvalidInput, NotFound
from tactful.services.audit import AuditLog
from tactful.services.notices import NoticeRegistry
from tactful.storage import receipts as stored
from tactful.storage.receipts import StoredReceipt
from tactful.storage.repository import Store

log = logging.getLogger("tactful.consent")

COLLECTION_METHODS = {
    ConsentMethod.WEB_FORM: "The person's own choice, in the privacy center or a consent form",
    ConsentMethod.API: "Recorded by the operator's systems through the Tactful API",
    ConsentMethod.IMPORT: "Imported by the operator from an earlier consent record",
    ConsentMethod.GPC: "Global Privacy Control signal (Sec-GPC: 1) sent by the person's browser",
    ConsentMethod.TCF: "IAB TCF v2 consent string from the consent management platform",
    ConsentMethod.UNSUBSCRIBE: "The person's own choice, by the one-click unsubscribe link of "
    "a message (RFC 8058)",
}
# Levels as choices about the personalization purposes (DSA Art. 38: `off` needs none).
# `off` and `aggregate` say no to profiling; `basic` and `full` leave the aggregate choice
# as it was (it does not change their level, and nobody is opted in to it unasked).
LEVEL_CHOICES: Mapping[PersonalizationLevel, tuple[tuple[str, bool], ...]] = {
    PersonalizationLevel.OFF: (
        (PERSONALIZATION_EXPLICIT, False),
        (PERSONALIZATION_BEHAVIORAL, False),
        (PERSONALIZATION_AGGREGATE, False),
    ),
    PersonalizationLevel.AGGREGATE: (
        (PERSONALIZATION_AGGREGATE, True),
        (PERSONALIZATION_EXPLICIT, False),
        (PERSONALIZATION_BEHAVIORAL, False),
    ),
    PersonalizationLevel.BASIC: (
        (PERSONALIZATION_EXPLICIT, True),
        (PERSONALIZATION_BEHAVIORAL, False),
    ),
    PersonalizationLevel.FULL: (
        (PERSONALIZATION_EXPLICIT, True),
        (PERSONALIZATION_BEHAVIORAL, True),
    ),
}


@dataclass(frozen=True, slots=True)
class Choice:
    purpose: str
    status: ConsentStatus


@dataclass
class Outcome:
    """What a change did: the state after it, its receipt, and what it left alone."""

    subject: Subject
    state: ConsentState
    receipt: Mapping[str, Any] | None
    blocked: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _refusal(previous: ConsentRecord | None) -> ConsentStatus:
    """A no after a yes is a withdrawal; a first no is a denial."""
    granted = previous is not None and previous.status is ConsentStatus.GRANTED
    return ConsentStatus.WITHDRAWN if granted else ConsentStatus.DENIED


def _receipt_context(notice: Notice) -> ReceiptContext:
    c = notice.controller
    return ReceiptContext(
        jurisdiction=notice.jurisdiction,
        language=notice.language,
        policy_url=notice.policy_url,
        service_name=notice.service,
        controllers=(ReceiptController(c.name, c.contact, c.address, c.email, c.phone, c.url),),
        notice_version=notice.version,
    )


def _receipt_purpose(purpose: Purpose, status: ConsentStatus) -> ReceiptPurpose:
    return ReceiptPurpose(
        code=purpose.code,
        title=purpose.title,
        status=status.value,
        data_categories=tuple(sorted(str(c) for c in purpose.data_categories)),
        legal_basis=purpose.legal_basis,
        retention_days=purpose.retention_days,
        third_party_disclosure=bool(purpose.third_parties) or purpose.sale_or_sharing,
        third_party_names=purpose.third_parties,
        sensitive_category=purpose.sensitive_category,
        # The purposes the service exists for: content personalization from a profile.
        primary=purpose.profiling and not purpose.sale_or_sharing,
    )


class ConsentService:
    def __init__(
        self,
        store: Store,
        notices: NoticeRegistry,
        signer: ReceiptSigner,
        clock: Callable[[], datetime],
        tcf_vendor_id: int | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.store = store
        self.notices = notices
        self.signer = signer
        self.clock = clock
        self.tcf_vendor_id = tcf_vendor_id
        self.audit = audit

    # -- changes ----------------------------------------------------------------------

    def _log_ref(self, subject_id: str) -> str:
        """How logs name a person: a prefix of their audit fingerprint, never their id."""
        if self.audit is None:
            return "(unnamed)"
        return self.audit.fingerprint(subject_id)[:16]

    def record(
        self,
        subject_id: str,
        choices: Sequence[Choice],
        method: ConsentMethod,
        notice_version: str | None = None,
        *,
        gpc: bool = False,
    ) -> Outcome:
        """A person's or an operator's explicit choices: all recorded, or none."""
        with self.store.transaction() as conn:
            published = self.notices.current(conn)
            catalog = self.notices.catalog(conn)
            self._check_notice_version(notice_version, published)
            errors = _choice_errors(choices, catalog)
            if errors:
                raise InvalidInput("The consent change is invalid; nothing was recorded.", errors)
            subject = self._locked_subject(conn, subject_id)
            objection = stored.active_objection(conn, subject_id)
            for n, c in enumerate(choices):
                purpose = catalog.by_code[c.purpose]
                if c.status is not ConsentStatus.GRANTED:
                    continue
                if objection and purpose.direct_marketing:
                    raise Conflict(
                        f"{purpose.title!r} is direct marketing, to which this person objected; "
                        "only they can lift the objection (DELETE /v1/me/objection). "
                        f"Nothing was recorded (choices.{n})."
                    )
                if gpc and purpose.sale_or_sharing:
                    raise Conflict(
                        f"{purpose.title!r} sells or shares data, and this request carries a "
                        "Global Privacy Control signal (Sec-GPC: 1) that opts out of it. "
                        f"Nothing was recorded (choices.{n})."
                    )
            changes = [(catalog.by_code[c.purpose], c.status) for c in choices]
            receipt = self._append(conn, subject_id, changes, method, published.notice)
            state = self._state(conn, subject_id, catalog)
        return Outcome(subject, state, receipt)

    def set_level(
        self, subject_id: str, level: PersonalizationLevel, method: ConsentMethod
    ) -> Outcome:
        with self.store.reading() as conn:
            catalog = self.notices.catalog(conn)
            state = self._state(conn, subject_id, catalog)
        missing = [code for code, yes in LEVEL_CHOICES[level] if yes and code not in catalog]
        if missing:
            raise InvalidInput(
                f"The level {level.value!r} is not offered: the notice in force has no "
                f"purpose {missing[0]!r}. Nothing was recorded.",
                [FieldError("level", f"needs the purpose {missing[0]!r}")],
            )
        choices = [
            Choice(code, ConsentStatus.GRANTED if yes else _refusal(state.choices.get(code)))
            for code, yes in LEVEL_CHOICES[level]
            # A purpose the notice does not have needs no refusal.
            if code in catalog
        ]
        return self.record(subject_id, choices, method)

    def apply_gpc(self, subject_id: str) -> Outcome | None:
        """Opt the subject out of every purpose that sells or shares data, also over a
        stored opt-in; None when nothing needed to change (the usual case)."""
        with self.store.reading() as conn:
            catalog = self.notices.catalog(conn)
            if not self._gpc_changes(self._state(conn, subject_id, catalog), catalog):
                return None
        with self.store.transaction() as conn:
            published = self.notices.current(conn)
            catalog = self.notices.catalog(conn)
            subject = self._locked_subject(conn, subject_id)
            state = self._state(conn, subject_id, catalog)
            changes = self._gpc_changes(state, catalog)
            if not changes:
                return None
            receipt = self._append(conn, subject_id, changes, ConsentMethod.GPC, published.notice)
            state = self._state(conn, subject_id, catalog)
        log.info(
            "Global Privacy Control honoured for subject %s: opted out of %s",
            self._log_ref(subject_id),
            ", ".join(p.code for p, _ in changes),
        )
        return Outcome(subject, state, receipt)

    @staticmethod
    def _gpc_changes(
        state: ConsentState, catalog: PurposeCatalog
    ) -> list[tuple[Purpose, ConsentStatus]]:
        out = []
        for purpose in catalog:
            if not purpose.sale_or_sharing:
                continue
            previous = state.choices.get(purpose.code)
            if previous is None or previous.status is ConsentStatus.GRANTED:
                out.append((purpose, _refusal(previous)))
        return out

    def apply_tcf(self, subject_id: str, tc_string: str, *, gpc: bool = False) -> Outcome:
        """Map a TC string's purpose consents onto Tactful's purposes; record what differs.

        The string is kept as evidence beside the records it caused. It cannot grant a
        direct-marketing purpose over an objection, nor a purpose that sells or shares
        data in a request that carries Global Privacy Control.
        """
        tc = decode_tc_string(tc_string)
        with self.store.transaction() as conn:
            published = self.notices.current(conn)
            catalog = self.notices.catalog(conn)
            subject = self._locked_subject(conn, subject_id)
            state = self._state(conn, subject_id, catalog)
            objection = stored.active_objection(conn, subject_id)
            mapped = map_purposes(tc, {p.code: p.tcf_purposes for p in catalog}, self.tcf_vendor_id)
            changes: list[tuple[Purpose, ConsentStatus]] = []
            blocked: list[dict[str, str]] = []
            for code, granted in sorted(mapped.items()):
                purpose = catalog.by_code[code]
                previous = state.choices.get(code)
                if granted:
                    if objection and purpose.direct_marketing:
                        blocked.append({"purpose": code, "reason": "objection to direct marketing"})
                        continue
                    if gpc and purpose.sale_or_sharing:
                        blocked.append({"purpose": code, "reason": "Global Privacy Control"})
                        continue
                    if not state.is_granted(code):
                        changes.append((purpose, ConsentStatus.GRANTED))
                elif previous is None or previous.status is ConsentStatus.GRANTED:
                    changes.append((purpose, _refusal(previous)))
            receipt = None
            if changes:
                evidence = tc.as_evidence()
                evidence_id = stored.add_evidence(
                    conn, subject_id, "tcf", tc.raw, evidence, self.clock()
                )
                receipt = self._append(
                    conn,
                    subject_id,
                    changes,
                    ConsentMethod.TCF,
                    published.notice,
                    evidence={"kind": "tcf", "evidence_id": evidence_id, "tc_string": tc.raw},
                    evidence_id=evidence_id,
                )
            state = self._state(conn, subject_id, catalog)
        if changes:
            log.info(
                "TCF string applied for subject %s: %s",
                self._log_ref(subject_id),
                ", ".join(f"{p.code}={s.value}" for p, s in changes),
            )
        return Outcome(
            subject,
            state,
            receipt,
            blocked,
            {"tcf": {"decoded": tc.as_evidence(), "purposes": mapped}},
        )

    def object_to_marketing(self, subject_id: str, method: ConsentMethod) -> Outcome:
        """Record an objection (GDPR Art. 21(2)): it withdraws every direct-marketing
        purpose at once and blocks any later grant of them until the subject lifts it."""
        with self.store.transaction() as conn:
            published = self.notices.current(conn)
            catalog = self.notices.catalog(conn)
            subject = self._locked_subject(conn, subject_id)
            receipt = None
            if stored.active_objection(conn, subject_id) is None:
                stored.raise_objection(conn, subject_id, method.value, self.clock())
                state = self._state(conn, subject_id, catalog)
                changes = [
                    (p, _refusal(state.choices.get(p.code)))
                    for p in catalog
                    if p.direct_marketing
                    and (
                        state.choices.get(p.code) is None
                        or state.choices[p.code].status is ConsentStatus.GRANTED
                    )
                ]
                if changes:
                    receipt = self._append(
                        conn,
                        subject_id,
                        changes,
                        method,
                        published.notice,
                        objection="raised",
                    )
                else:
                    self._audit(conn, subject_id, {"method": method.value, "objection": "raised"})
                log.info(
                    "Objection to direct marketing recorded for subject %s",
                    self._log_ref(subject_id),
                )
            state = self._state(conn, subject_id, catalog)
        return Outcome(subject, state, receipt)

    def lift_objection(self, subject_id: str) -> Outcome:
        """Only the subject's own request reaches this: the consumer API alone calls it."""
        with self.store.transaction() as conn:
            catalog = self.notices.catalog(conn)
            subject = self._locked_subject(conn, subject_id)
            lifted = stored.lift_objection(conn, subject_id, self.clock())
            if lifted:
                self._audit(
                    conn,
                    subject_id,
                    {"method": ConsentMethod.WEB_FORM.value, "objection": "lifted"},
                )
            state = self._state(conn, subject_id, catalog)
        if not lifted:
            raise NotFound("There is no objection to lift.")
        log.info("Objection to direct marketing lifted by subject %s", self._log_ref(subject_id))
        return Outcome(subject, state, None)

    # -- reading ----------------------------------------------------------------------
    def state(self, subject_id: str) -> Outcome:
        with self.store.reading() as conn:
            subject = self._subject(conn, subject_id)
            state = self._state(conn, subject_id, self.notices.catalog(conn))
        return Outcome(subject, state, None)

    def objection(self, subject_id: str) -> dict[str, Any] | None:
        with self.store.reading() as conn:
            return stored.active_objection(conn, subject_id)

    def receipts(self, subject_id: str) -> list[StoredReceipt]:
        with self.store.reading() as conn:
            self._subject(conn, subject_id)
            return stored.receipts_for(conn, subject_id)

    def receipt(self, subject_id: str, receipt_id: str) -> StoredReceipt:
        try:
            key = uuid.UUID(receipt_id)
        except ValueError:
            raise InvalidInput(
                "Not a receipt id.", [FieldError("receipt_id", "must be a UUID")]
            ) from None
        with self.store.reading() as conn:
            found = stored.receipt(conn, subject_id, key)
        if found is None:
            raise NotFound(f"No receipt {receipt_id} for this subject.")
        return found

    # -- helpers ----------------------------------------------------------------------
    def _append(
        self,
        conn: Connection,
        subject_id: str,
        changes: Sequence[tuple[Purpose, ConsentStatus]],
        method: ConsentMethod,
        notice: Notice,
        *,
        evidence: Mapping[str, Any] | None = None,
        evidence_id: str | None = None,
        objection: str | None = None,
    ) -> dict[str, Any]:
        now = self.clock()
        records = self.store.append_consents(
            conn,
            [
                ConsentRecord(subject_id, p.code, status, notice.version, method, now)
                for p, status in changes
            ],
        )
        receipt_id = str(uuid.uuid4())
        claims = build_receipt(
            receipt_id=receipt_id,
            subject_id=subject_id,
            issued_at=now,
            collection_method=COLLECTION_METHODS[method],
            method_code=method.value,
            purposes=[_receipt_purpose(p, s) for p, s in changes],
            context=_receipt_context(notice),
            ledger_sequences=[r.sequence for r in records],
            evidence=evidence,
        )
        jws = self.signer.sign(claims)
        stored.add_receipt(
            conn,
            StoredReceipt(
                receipt_id=receipt_id,
                subject_id=subject_id,
                issued_at=now,
                method=method.value,
                notice_version=notice.version,
                choices=[{"purpose": p.code, "status": s.value} for p, s in changes],
                ledger_sequences=[r.sequence for r in records],
                evidence_id=evidence_id,
                jws=jws,
            ),
        )
        detail: dict[str, Any] = {
            "method": method.value,
            "purposes": {p.code: s.value for p, s in changes},
            "receipt_id": receipt_id,
        }
        if objection is not None:
            detail["objection"] = objection
        self._audit(conn, subject_id, detail)
        return {"receipt_id": receipt_id, "jws": jws, "claims": claims, "kid": self.signer.kid}

    def _audit(self, conn: Connection, subject_id: str, detail: Mapping[str, Any]) -> None:
        """Log the change in its transaction: no change without its entry, nor the reverse.
        The subject is named by fingerprint; the detail holds no personal data."""
        if self.audit is not None:
            self.audit.append(
                conn, AuditAction.CONSENT_CHANGED, subject_id=subject_id, detail=detail
            )

    def _check_notice_version(self, given: str | None, published: PublishedNotice) -> None:
        if given is None or given == published.notice.version:
            return
        known = {p.notice.version for p in self.notices.history()}
        if given not in known:
            raise InvalidInput(
                f"Unknown notice version {given!r}; nothing was recorded.",
                [
                    FieldError(
                        "notice_version", f"the current version is {published.notice.version}"
                    )
                ],
            )
        raise Conflict(
            f"Notice version {given} is no longer current (the current one is "
            f"{published.notice.version}); show the person the current notice and ask again. "
            "Nothing was recorded."
        )

    def _subject(self, conn: Connection, subject_id: str) -> Subject:
        subject = self.store.get_subject(conn, subject_id)
        if subject is None:
            raise NotFound(f"No subject {subject_id!r}.")
        return subject

    def _locked_subject(self, conn: Connection, subject_id: str) -> Subject:
        if not stored.lock_subject(conn, subject_id):
            raise NotFound(f"No subject {subject_id!r}.")
        return self._subject(conn, subject_id)

    def _state(self, conn: Connection, subject_id: str, catalog: PurposeCatalog) -> ConsentState:
        return derive_state(subject_id, self.store.consents_for(conn, subject_id), catalog)


def _choice_errors(choices: Sequence[Choice], catalog: PurposeCatalog) -> list[FieldError]:
    errors = [
        FieldError(f"choices.{n}.purpose", f"unknown or retired purpose {c.purpose!r}")
        for n, c in enumerate(choices)
        if c.purpose not in catalog
    ]
    seen = [c.purpose for c in choices]
    errors += [
        FieldError(f"choices.{n}.purpose", f"purpose {p!r} is chosen twice")
        for n, p in enumerate(seen)
        if p in seen[:n]
    ]
    if not choices:
        errors.append(FieldError("choices", "at least one choice is required"))
    return errors


def level_of(outcome: Outcome) -> PersonalizationLevel:
    return derive_level(outcome.state, outcome.subject.attributes).level
