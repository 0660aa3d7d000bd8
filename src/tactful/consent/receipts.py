"""Consent receipts: what a person chose, as a Kantara Consent Receipt v1.1 (KI-CR-v1.1.0).

A receipt is the record a person keeps of what they agreed to, and the operator's evidence
of it (GDPR Art. 7(1): the controller must be able to demonstrate consent). This module only
builds the claims; `tactful.consent.signing` signs them. It takes small frozen inputs rather
than the stored notice, so it does not care how the operator keeps the notice.

Field names and meanings follow the Kantara specification:

- `consentTimestamp` is integer seconds since the epoch (v1.1 changed it from a string);
- `consentType` is "EXPLICIT": every purpose on a receipt is a choice the person made;
- `termination` is a sentence for people: the consent lasts until withdrawn, and the data
  it covers is kept at most the purpose's retention;
- `thirdPartyName` is present exactly when `thirdPartyDisclosure` is true (the spec
  requires a name when data is disclosed, and has nothing to say otherwise);
- `sensitive` is true when any purpose concerns a sensitive category, and `spiCat` lists
  those categories (empty otherwise);
- `piiCategory` may be empty: some purposes (direct marketing by contact details, or a
  sensitive-category opt-in) read no event category;
- `publicKey` is omitted: the receipt is signed as a JWS whose `kid` names the key in the
  operator's published JWKS, which is where a verifier should get it.

Kantara records *that* a purpose was consented to, not a refusal or a withdrawal, and has no
place for the notice version or the ledger entries behind the receipt. Those are what make
a receipt checkable against Tactful's own records, so they go in one top-level, clearly
namespaced extension, `"tactful"`, which Kantara readers can ignore:

    "tactful": {"notice_version", "method", "choices": [{"purpose", "status", "legal_basis"}],
                "ledger_sequences": [...], "evidence": ... or null}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tactful.consent.ledger import ConsentMethod, ConsentStatus
from tactful.errors import FieldError, InvalidInput

VERSION = "KI-CR-v1.1.0"
CONSENT_TYPE = "EXPLICIT"
EXTENSION = "tactful"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STATUSES = frozenset(s.value for s in ConsentStatus)
_METHODS = frozenset(m.value for m in ConsentMethod)
_STATUS_NAMES = ", ".join(sorted(_STATUSES))
_METHOD_NAMES = ", ".join(sorted(_METHODS))


@dataclass(frozen=True, slots=True)
class ReceiptController:
    """The PII controller as the notice names it. `url` may be empty (Kantara: MAY)."""

    name: str
    contact: str
    address: str
    email: str
    phone: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class ReceiptPurpose:
    """One purpose of the notice, with the person's current choice about it."""

    code: str
    title: str
    status: str  # "granted" | "denied" | "withdrawn"
    data_categories: tuple[str, ...]
    legal_basis: str
    retention_days: int
    third_party_disclosure: bool = False
    third_party_names: tuple[str, ...] = ()
    sensitive_category: str | None = None
    primary: bool = False


@dataclass(frozen=True, slots=True)
class ReceiptContext:
    """What the notice says about the service, independent of any one person."""

    jurisdiction: str
    language: str
    policy_url: str
    service_name: str
    controllers: tuple[ReceiptController, ...]
    notice_version: str


def termination_text(retention_days: int) -> str:
    """Kantara's `termination`, in words a person reads: until withdrawn, kept at most N days."""
    days = "1 day" if retention_days == 1 else f"{retention_days} days"
    return (
        "Until you withdraw this consent; the data it covers is kept at most "
        f"{days} and then deleted."
    )


def build_receipt(
    *,
    receipt_id: str,
    subject_id: str,
    issued_at: datetime,
    collection_method: str,
    method_code: str,
    purposes: Sequence[ReceiptPurpose],
    context: ReceiptContext,
    ledger_sequences: Sequence[int] = (),
    evidence: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The claims of a Kantara Consent Receipt v1.1 with Tactful's `"tactful"` extension.

    Raises InvalidInput, listing every problem at once, when the input cannot make a receipt
    that satisfies the specification's required fields.
    """
    errors: list[FieldError] = []
    _text(receipt_id, "receipt_id", errors)
    _text(subject_id, "subject_id", errors)
    _text(collection_method, "collection_method", errors)
    if not isinstance(method_code, str) or method_code not in _METHODS:
        errors.append(FieldError("method_code", f"must be one of: {_METHOD_NAMES}"))
    timestamp = _timestamp(issued_at, errors)
    _check_context(context, errors)
    if isinstance(purposes, str | bytes) or not isinstance(purposes, Sequence) or not purposes:
        errors.append(FieldError("purposes", "a receipt needs at least one purpose"))
        purposes = ()
    seen: set[str] = set()
    for n, purpose in enumerate(purposes):
        _check_purpose(purpose, f"purposes.{n}", errors)
        if isinstance(purpose, ReceiptPurpose):
            if purpose.code in seen:
                errors.append(FieldError(f"purposes.{n}.code", f"{purpose.code!r} is listed twice"))
            seen.add(purpose.code)
    sequences = _sequences(ledger_sequences, errors)
    evidence_copy = _evidence(evidence, errors)
    if errors:
        raise InvalidInput("These choices cannot make a valid consent receipt.", errors)

    spi = sorted({p.sensitive_category for p in purposes if p.sensitive_category is not None})
    return {
        "version": VERSION,
        "jurisdiction": context.jurisdiction,
        "consentTimestamp": timestamp,
        "collectionMethod": collection_method,
        "consentReceiptID": receipt_id,
        "language": context.language,
        "piiPrincipalId": subject_id,
        "piiControllers": [_controller(c) for c in context.controllers],
        "policyUrl": context.policy_url,
        "services": [
            {"service": context.service_name, "purposes": [_purpose(p) for p in purposes]}
        ],
        "sensitive": bool(spi),
        "spiCat": spi,
        EXTENSION: {
            "notice_version": context.notice_version,
            "method": method_code,
            "choices": [
                {"purpose": p.code, "status": p.status, "legal_basis": p.legal_basis}
                for p in purposes
            ],
            "ledger_sequences": sequences,
            "evidence": evidence_copy,
        },
    }


def _controller(c: ReceiptController) -> dict[str, Any]:
    # Kantara v1.1 makes the address an object (schema.org PostalAddress); the notice keeps
    # one line, which is the street address as the operator writes it.
    out: dict[str, Any] = {
        "piiController": c.name,
        "contact": c.contact,
        "address": {"streetAddress": c.address},
        "email": c.email,
        "phone": c.phone,
    }
    if c.url:
        out["piiControllerUrl"] = c.url
    return out


def _purpose(p: ReceiptPurpose) -> dict[str, Any]:
    out: dict[str, Any] = {
        "purpose": p.title,
        "purposeCategory": [p.code],
        "consentType": CONSENT_TYPE,
        "piiCategory": list(p.data_categories),
        "primaryPurpose": p.primary,
        "termination": termination_text(p.retention_days),
        "thirdPartyDisclosure": p.third_party_disclosure,
    }
    if p.third_party_disclosure:
        out["thirdPartyName"] = ", ".join(p.third_party_names)
    return out


def _text(value: object, name: str, errors: list[FieldError]) -> None:
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(name, "must be a non-empty string"))


def _texts(values: object, name: str, errors: list[FieldError]) -> None:
    if not isinstance(values, tuple | list):
        errors.append(FieldError(name, "must be a list of strings"))
        return
    for n, value in enumerate(values):
        _text(value, f"{name}.{n}", errors)


def _timestamp(issued_at: object, errors: list[FieldError]) -> int:
    if not isinstance(issued_at, datetime) or issued_at.utcoffset() is None:
        # A naive time could be any of 26 hours; a receipt must name one instant.
        errors.append(FieldError("issued_at", "must be a timezone-aware datetime"))
        return 0
    return (issued_at - _EPOCH) // timedelta(seconds=1)


def _check_context(context: object, errors: list[FieldError]) -> None:
    if not isinstance(context, ReceiptContext):
        errors.append(FieldError("context", "must be a ReceiptContext"))
        return
    for name in ("jurisdiction", "language", "service_name", "notice_version"):
        _text(getattr(context, name), f"context.{name}", errors)
    url = context.policy_url
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or " " in url:
        errors.append(FieldError("context.policy_url", "must be an http(s) URL"))
    if not isinstance(context.controllers, tuple | list) or not context.controllers:
        errors.append(FieldError("context.controllers", "a receipt names at least one controller"))
        return
    for n, c in enumerate(context.controllers):
        where = f"context.controllers.{n}"
        if not isinstance(c, ReceiptController):
            errors.append(FieldError(where, "must be a ReceiptController"))
            continue
        for name in ("name", "contact", "address", "email"):
            _text(getattr(c, name), f"{where}.{name}", errors)
        # Kantara requires the field; the notice may leave the phone empty.
        for name in ("phone", "url"):
            if not isinstance(getattr(c, name), str):
                errors.append(FieldError(f"{where}.{name}", "must be a string (may be empty)"))


def _check_purpose(p: object, where: str, errors: list[FieldError]) -> None:
    if not isinstance(p, ReceiptPurpose):
        errors.append(FieldError(where, "must be a ReceiptPurpose"))
        return
    for name in ("code", "title", "legal_basis"):
        _text(getattr(p, name), f"{where}.{name}", errors)
    if p.status not in _STATUSES:
        errors.append(FieldError(f"{where}.status", f"must be one of: {_STATUS_NAMES}"))
    _texts(p.data_categories, f"{where}.data_categories", errors)
    days = p.retention_days
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        errors.append(FieldError(f"{where}.retention_days", "must be a whole number of days ≥ 1"))
    if not isinstance(p.primary, bool):
        errors.append(FieldError(f"{where}.primary", "must be true or false"))
    if not isinstance(p.third_party_disclosure, bool):
        errors.append(FieldError(f"{where}.third_party_disclosure", "must be true or false"))
    _texts(p.third_party_names, f"{where}.third_party_names", errors)
    if p.third_party_disclosure is True and not p.third_party_names:
        errors.append(
            FieldError(f"{where}.third_party_names", "a disclosure must name the third parties")
        )
    if p.third_party_disclosure is False and p.third_party_names:
        errors.append(
            FieldError(f"{where}.third_party_disclosure", "third parties are named: must be true")
        )
    if p.sensitive_category is not None:
        _text(p.sensitive_category, f"{where}.sensitive_category", errors)


def _sequences(values: object, errors: list[FieldError]) -> list[int]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        errors.append(FieldError("ledger_sequences", "must be a list of ledger positions"))
        return []
    out: list[int] = []
    for n, value in enumerate(values):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.append(FieldError(f"ledger_sequences.{n}", "must be a whole number ≥ 0"))
        else:
            out.append(value)
    return out


def _evidence(evidence: object, errors: list[FieldError]) -> dict[str, Any] | None:
    """A deep copy through JSON: the receipt must not change if the caller's mapping does,
    and must be signable as JSON."""
    if evidence is None:
        return None
    if not isinstance(evidence, Mapping):
        errors.append(FieldError("evidence", "must be a JSON object"))
        return None
    try:
        copied = json.loads(json.dumps(evidence, allow_nan=False))
    except (TypeError, ValueError) as exc:
        errors.append(FieldError("evidence", f"must be plain JSON: {exc}"))
        return None
    if not isinstance(copied, dict):  # pragma: no cover - a Mapping dumps to an object
        errors.append(FieldError("evidence", "must be a JSON object"))
        return None
    return copied


__all__ = [
    "CONSENT_TYPE",
    "EXTENSION",
    "VERSION",
    "ReceiptContext",
    "ReceiptController",
    "ReceiptPurpose",
    "build_receipt",
    "termination_text",
]
