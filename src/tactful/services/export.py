"""Access and portability (GDPR Art. 15 and 20): everything held about one subject.

`export_subject` gathers the profile, the events, the consent ledger with its receipts and
evidence, every decision with its full explanation, what Tactful inferred, the complaints,
the rights requests and the audit entries about the person, as one JSON document that the
published schema (`schemas/export.schema.json`) describes field by field.
`render_export_html` turns that document into a page a person can read.

The store's rows are read from one snapshot, so the sections agree with one another even
while the person's data changes; the identifying fields and the complaints are opened
through their own services (`Tactful.identity`, `ComplaintService.of_subject`), which hold
the keys that open them.

Explanations: each decision is explained by the "why am I seeing this?" machinery
(`explanations.why.why_decision`, what `Tactful.why` answers), which is the record's own
explanation plus the purposes' titles and legal bases, whether each is still granted, the
signals in words, and the controls that would change the decision. It is applied to every
stored record with the consent state worked out once, rather than by calling `Tactful.why`
per decision, which would read the record, the subject and the ledger again each time.
"""

from __future__ import annotations

import gettext
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2

from tactful import templating
from tactful.consent.ledger import derive_state
from tactful.consent.levels import derive_level
from tactful.domain.purposes import PurposeCatalog
from tactful.errors import FieldError, InvalidInput, NotFound
from tactful.explanations.why import why_decision
from tactful.ingestion.schemas import ID_PATTERN
from tactful.services.rights import request_view
from tactful.services.views import consent_view, ledger_view
from tactful.storage import feedback, messages, protections
from tactful.storage import subject_data as data
from tactful.storage.audit import snapshot
from tactful.storage.receipts import active_objection, evidence_for

if TYPE_CHECKING:
    from tactful.consent.ledger import ConsentState
    from tactful.service import Tactful

FORMAT = "tactful-subject-export"
VERSION = "1.0"
SCHEMA_PATH = "/v1/schemas/subject-export.json"
FORMATS = ("json", "html")
CHANNELS = ("consumer", "operator", "cli")

SEGMENTS_NOTE = (
    "Tactful computes no segments, clusters or profiles of people: none are held about you."
)
MODEL_STATE_NOTE = (
    "No model holds anything per person: the models keep item factors only, and your events "
    "are folded in at the moment a decision is made. Your events may have taken part in "
    "training the shared models, as the purposes you granted allowed."
)


def export_subject(
    tactful: Tactful, subject_id: str, *, format: str = "json", via: str = "operator"
) -> dict[str, Any]:
    """Everything held about the subject. The export is registered as a completed access
    request and written to the audit log (`export.made`), in one transaction."""
    _check(subject_id, format, via)
    received = tactful.clock()
    request_id = uuid.uuid4()
    # Opens the sealed fields with the subject's own key (and answers NotFound first).
    identity = tactful.identity(subject_id)
    fingerprint = tactful.cipher.fingerprint(subject_id)
    published = tactful.notices.current()
    history = tactful.notices.history()
    catalog = tactful.purposes
    with snapshot(tactful.store.engine) as conn:
        row = data.subject_row(conn, subject_id)
        subject = tactful.store.get_subject(conn, subject_id)
        if row is None or subject is None:
            raise NotFound(f"No subject {subject_id!r}.")
        records = tactful.store.consents_for(conn, subject_id)
        state = derive_state(subject_id, records, catalog)
        level = derive_level(state, subject.attributes)
        consents = consent_view(
            state, subject.attributes, catalog, history, active_objection(conn, subject_id)
        )
        consents_section = {
            "level": consents["level"],
            "level_reason": consents["level_reason"],
            "notice_version": consents["notice_version"],
            "purposes": consents["purposes"],
            "choices_needed": consents["choices_needed"],
            "objection": consents["objection_to_direct_marketing"],
            "objections": data.objections(conn, subject_id),
            "ledger": ledger_view(records),
        }
        events = list(data.iter_events(conn, subject_id))
        decisions, scores = _decisions(
            data.iter_decisions(conn, subject_id), catalog, state, level.level.value
        )
        receipts = data.receipts(conn, subject_id)
        evidence = evidence_for(conn, subject_id)
        suppressions = data.suppressions(conn, subject_id)
        given_feedback = feedback.of_subject(conn, subject_id)
        held_protections = protections.export_rows(conn, subject_id)
        sent_or_held = messages.export_rows(conn, subject_id)
        requests = [request_view(r, received) for r in data.rights_requests(conn, subject_id)]
        access_log = list(data.audit_entries(conn, fingerprint))
    complaints = tactful.complaints.of_subject(subject_id)
    attributes = row["attributes"]
    minor = subject.attributes.is_minor
    export: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "schema": SCHEMA_PATH,
        "request_id": str(request_id),
        "generated_at": received.isoformat(),
        "notice_version": published.notice.version,
        "controller": published.notice.controller.model_dump(),
        "subject_id": subject_id,
        "profile": {
            "subject_id": subject_id,
            "created_at": row["created_at"],
            "attributes": attributes,
            "attributes_updated_at": row["attributes_updated_at"],
            "identity": identity.as_dict() if identity is not None else None,
            "identity_updated_at": row["identity_updated_at"],
        },
        "events": events,
        "consents": consents_section,
        "receipts": receipts,
        "evidence": evidence,
        "decisions": decisions,
        "explanations_source": (
            "why: each decision as 'Why am I seeing this?' explains it (explanations.why), "
            "built from the stored decision record"
        ),
        "inferences": {
            "personalization_level": {"level": level.level.value, "reason": level.reason},
            "treated_as_minor": {"minor": minor, "reason": _minor_reason(attributes, minor)},
            "stale_purposes": consents["choices_needed"],
            "decision_scores": scores,
            "model_versions": _model_versions(scores),
            "segments": [],
            "segments_note": SEGMENTS_NOTE,
            "model_state": MODEL_STATE_NOTE,
        },
        "complaints": complaints,
        "suppressions": suppressions,
        "feedback": given_feedback,
        "protections": held_protections,
        "messages": sent_or_held,
        "rights_requests": requests,
        "access_log": access_log,
    }
    counts = {
        "events": len(events),
        "consent_records": len(records),
        "receipts": len(receipts),
        "evidence": len(evidence),
        "decisions": len(decisions),
        "complaints": len(complaints),
        "suppressions": len(suppressions),
        "feedback": len(given_feedback),
        "protections": len(held_protections),
        "messages": len(sent_or_held),
        "rights_requests": len(requests),
        "access_log": len(access_log),
    }
    export["counts"] = counts
    _register(tactful, subject_id, request_id, fingerprint, format, via, received, counts)
    return export


def _check(subject_id: str, format: str, via: str) -> None:
    errors = []
    if not isinstance(subject_id, str) or not re.match(ID_PATTERN, subject_id):
        errors.append(FieldError("subject_id", "letters, digits and . _ : @ - only, at most 128"))
    if format not in FORMATS:
        errors.append(FieldError("format", "must be one of: " + ", ".join(FORMATS)))
    if via not in CHANNELS:
        errors.append(FieldError("via", "must be one of: " + ", ".join(CHANNELS)))
    if errors:
        raise InvalidInput("The export request is invalid.", errors)


def _register(
    tactful: Tactful,
    subject_id: str,
    request_id: uuid.UUID,
    fingerprint: str,
    format: str,
    via: str,
    received: datetime,
    counts: Mapping[str, int],
) -> None:
    completed = tactful.clock()
    with tactful.store.transaction() as conn:
        row = data.add_completed_request(
            conn,
            kind="access",
            subject_id=subject_id,
            subject_ref=fingerprint,
            via=via,
            received_at=received,
            completed_at=completed,
            due_at=received + timedelta(days=tactful.settings.rights_request_days),
            detail={"format": format, "counts": dict(counts)},
            request_id=request_id,
        )
        tactful.audit.append(
            conn,
            "export.made",
            subject_id=subject_id,
            detail={"format": format, "request_id": str(row["request_id"])},
        )


def _decisions(
    records: Iterable[Mapping[str, Any]],
    catalog: PurposeCatalog,
    state: ConsentState,
    level_now: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each decision explained, and what it scored for the person (the inference)."""
    explained: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for record in records:
        why = why_decision(record, catalog, state, level_now)
        why["purposes"] = list(record.get("purposes", []))
        explained.append(why)
        scores.append(
            {
                "decision_id": record["decision_id"],
                "created_at": record["created_at"],
                "model": dict(record["model"]),
                "personalized": record["personalized"],
                "items": [
                    {"item_id": i["item_id"], "rank": i["rank"], "score": i["score"]}
                    for i in record["items"]
                ],
            }
        )
    return explained, scores


def _model_versions(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The model versions that made the person's decisions, with how often and when."""
    used: dict[tuple[str, str], dict[str, Any]] = {}
    for s in scores:
        key = (s["model"]["name"], s["model"]["version"])
        entry = used.get(key)
        if entry is None:
            used[key] = {
                "name": key[0],
                "version": key[1],
                "decisions": 1,
                "first_used": s["created_at"],
                "last_used": s["created_at"],
            }
        else:
            entry["decisions"] += 1
            entry["last_used"] = s["created_at"]
    return list(used.values())


def _minor_reason(attributes: Mapping[str, Any], minor: bool) -> str:
    if minor:
        return (
            "Your age band is under 18: you are treated as a minor, never profiled, and "
            "personalization stays off whatever is chosen."
        )
    if attributes.get("age_band") is None:
        return "No age band is held about you: you are not treated as a minor."
    return f"Your age band is {attributes['age_band']}: you are not treated as a minor."


# -- the published schema and the readable page -----------------------------------------
@cache
def export_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the export, as published."""
    text = resources.files("tactful").joinpath("schemas/export.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _templates(translations: gettext.NullTranslations) -> jinja2.Environment:
    """One environment per catalogue (the callers pass the same cached object per language),
    so installing a language never changes a page being rendered in another one."""
    return templating.environment("templates", translations)


_ENGLISH = gettext.NullTranslations()


def render_export_html(
    export: Mapping[str, Any],
    translations: gettext.NullTranslations | None = None,
    lang: str = "en",
) -> str:
    """The export as a self-contained page: a heading and tables per section, times in ISO
    8601, no scripts. Every value is escaped (autoescape), names and queries included.

    The page's own texts are in the language of `translations` (a gettext catalogue, which
    the web adapters choose for the reader; English without one), and `lang` is its tag for
    `<html lang>`. The data is shown as stored: codes, reasons and titles are not translated.
    """
    env = _templates(_ENGLISH if translations is None else translations)
    return env.get_template("export.html").render(export=export, json=_json, lang=lang)


def _json(value: Any) -> str:
    """A compact JSON rendering for nested values in a table cell (escaped by the page)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
