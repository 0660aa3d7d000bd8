"""The JSON shapes of consent state that the HTTP API and the CLI both return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tactful.consent.ledger import ConsentRecord, ConsentState
from tactful.consent.levels import derive_level
from tactful.consent.notice import PublishedNotice
from tactful.domain.purposes import Purpose, PurposeCatalog
from tactful.domain.subjects import SubjectAttributes


def _status(purpose: Purpose, state: ConsentState, record: ConsentRecord | None) -> str:
    if record is None:
        return "not_chosen"
    if purpose.code in state.stale:
        return "stale"
    return record.status.value


def _renewal(catalog: PurposeCatalog, history: Sequence[PublishedNotice], code: str) -> list[str]:
    since = catalog.renewed_at.get(code)
    for published in history:
        if published.sequence == since:
            return [f"notice {published.notice.version}: {r}" for r in published.changes[code]]
    return []


def consent_view(
    state: ConsentState,
    attributes: SubjectAttributes,
    catalog: PurposeCatalog,
    history: Sequence[PublishedNotice],
    objection: Mapping[str, Any] | None,
) -> dict[str, Any]:
    level = derive_level(state, attributes)
    purposes = []
    for purpose in catalog:
        record = state.choices.get(purpose.code)
        status = _status(purpose, state, record)
        purposes.append(
            {
                "purpose": purpose.code,
                "title": purpose.title,
                "description": purpose.description,
                "status": status,
                "granted": state.is_granted(purpose.code),
                "needs_choice": status == "stale",
                "notice_version": record.notice_version if record else None,
                "method": record.method.value if record else None,
                "recorded_at": record.recorded_at.isoformat() if record else None,
            }
        )
    return {
        "subject_id": state.subject_id,
        "level": level.level.value,
        "level_reason": level.reason,
        # A minor is never profiled, whatever is chosen: pages offer no level above off.
        "minor": attributes.is_minor,
        "notice_version": history[-1].notice.version if history else None,
        "purposes": purposes,
        # Grants a newer notice made stale: they count as not granted until chosen again.
        "choices_needed": [
            {
                "purpose": code,
                "title": catalog.by_code[code].title,
                "why": _renewal(catalog, history, code),
            }
            for code in sorted(state.stale)
            if code in catalog
        ],
        "objection_to_direct_marketing": dict(objection) if objection else None,
    }


def ledger_view(records: Sequence[ConsentRecord]) -> list[dict[str, Any]]:
    return [
        {
            "sequence": r.sequence,
            "purpose": r.purpose,
            "status": r.status.value,
            "notice_version": r.notice_version,
            "method": r.method.value,
            "recorded_at": r.recorded_at.isoformat(),
        }
        for r in records
    ]


def notice_view(published: PublishedNotice) -> dict[str, Any]:
    notice = published.notice
    return {
        "version": notice.version,
        "published_at": published.published_at.isoformat(),
        "language": notice.language,
        "jurisdiction": notice.jurisdiction,
        "title": notice.title,
        "text": notice.text,
        "policy_url": notice.policy_url,
        "service": notice.service,
        "controller": notice.controller.model_dump(),
        "purposes": [
            {
                "purpose": p.code,
                "title": p.title,
                "description": p.description,
                "data_categories": sorted(str(c) for c in p.data_categories),
                "profiling": p.profiling,
                "legal_basis": p.legal_basis,
                "retention_days": p.retention_days,
                "tcf_purposes": list(p.tcf_purposes),
                "fides_data_uses": list(p.fides_data_uses),
                "sensitive_category": p.sensitive_category,
                "sale_or_sharing": p.sale_or_sharing,
                "direct_marketing": p.direct_marketing,
                "third_parties": list(p.third_parties),
            }
            for p in notice.purposes.values()
        ],
        "changes": {code: list(reasons) for code, reasons in published.changes.items()},
    }
