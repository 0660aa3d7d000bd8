"""The subject export (GDPR Art. 15 and 20) through the Python API, on SQLite and PostgreSQL:
every section complete for a person with every kind of data, valid against the published
schema, nobody else's data in it, a readable page with everything escaped, and each export
registered and audited."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
from sqlalchemy import select

from tactful.consent.signing import verify_receipt
from tactful.errors import InvalidInput, NotFound
from tactful.service import Tactful
from tactful.services.export import export_schema, export_subject, render_export_html
from tactful.storage import tables as t
from tactful.storage.rights import count_subject_rows
from tests.rights.seed import ANALYTICS, Seeded, seed_person, widen

SECTIONS = {
    "profile",
    "events",
    "consents",
    "receipts",
    "evidence",
    "decisions",
    "inferences",
    "complaints",
    "suppressions",
    "feedback",
    "protections",
    "messages",
    "rights_requests",
    "access_log",
}


def _validator() -> Any:
    return jsonschema_rs.Draft202012Validator(export_schema(), validate_formats=True)


def _errors(export: dict[str, Any]) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in _validator().iter_errors(export)]


def _audit(service: Tactful, subject_id: str, action: str) -> list[dict[str, Any]]:
    ref = service.cipher.fingerprint(subject_id)
    with service.store.reading() as conn:
        rows = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.detail).where(
                t.audit_log.c.subject_ref == ref, t.audit_log.c.action == action
            )
        )
        return [{"actor": r.actor, "detail": dict(r.detail)} for r in rows]


@pytest.fixture
def rich(service: Tactful) -> Seeded:
    person = seed_person(service, "amara", tag="amara")
    widen(service, ANALYTICS)
    service.give_feedback("amara", "fewer_messages", "email")
    service.protections.self_exclude("amara", "gambling", 30)
    service.protections.set_vulnerable("amara", True)
    service.messaging.add_campaign("autumn", "Autumn running", None, False)
    service.messaging.decide("amara", "email", "autumn", "Hurry, only 2 left!")
    return person


# -- the schema --------------------------------------------------------------------------
def test_the_schema_is_draft_2020_12_and_documents_every_property() -> None:
    schema = export_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema_rs.meta.is_valid(schema)
    undocumented: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not sub.get("description"):
                    undocumented.append(f"{path}.{name}")
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for n, sub in enumerate(node):
                walk(sub, f"{path}[{n}]")

    walk(schema, "")
    assert undocumented == []
    assert set(schema["required"]) >= SECTIONS | {"format", "version", "generated_at"}


def test_exports_of_every_kind_of_person_match_the_schema(service: Tactful, rich: Seeded) -> None:
    service.ingest_subjects([{"subject_id": "bare"}])
    for subject_id in (rich.subject_id, "dan", "bob", "bare"):
        export = export_subject(service, subject_id)
        assert _errors(export) == [], subject_id
    # The validator is not a rubber stamp: a wrong type, a missing section, an unknown
    # field and a bad time are each refused.
    export = export_subject(service, rich.subject_id)
    for broken in (
        {**export, "events": {}},
        {k: v for k, v in export.items() if k != "decisions"},
        {**export, "surprise": 1},
        {**export, "generated_at": "yesterday"},
    ):
        assert _errors(broken)


# -- completeness ------------------------------------------------------------------------
def test_every_section_is_present_and_complete_for_a_richly_seeded_person(
    service: Tactful, rich: Seeded
) -> None:
    export = export_subject(service, rich.subject_id)
    assert (export["format"], export["version"]) == ("tactful-subject-export", "1.0")
    assert export["notice_version"] == "2026-12-01"
    assert export["generated_at"] == service.clock().isoformat()
    assert set(export) >= SECTIONS
    with service.store.reading() as conn:
        rows = count_subject_rows(conn, rich.subject_id)
        decision_ids = {
            str(d)
            for d in conn.execute(
                select(t.decisions.c.decision_id).where(t.decisions.c.subject_id == rich.subject_id)
            ).scalars()
        }

    profile = export["profile"]
    assert profile["attributes"] == {
        "age_band": "25-34",
        "region": "north",
        "gender": "female",
        "occupation": "teacher",
        "time_zone": None,
    }
    assert profile["identity"] == {"email": rich.email, "name": rich.name, "phone": rich.phone}

    events = export["events"]
    assert {e["event_id"] for e in events} == rich.event_ids
    assert len(events) == rows["events"] == 6
    assert {e["event_type"] for e in events} == {
        "view",
        "click",
        "add_to_cart",
        "purchase",
        "rating",
        "search",
    }
    by_type = {e["event_type"]: e for e in events}
    assert by_type["search"]["query"] == rich.query
    assert by_type["rating"]["value"] == 4.5
    assert by_type["purchase"]["purposes"] == [ANALYTICS, "personalization.explicit"]
    assert by_type["view"]["item_title"] == "Running thing 0"
    assert all(e["received_at"] and e["occurred_at"] for e in events)

    consents = export["consents"]
    assert len(consents["ledger"]) == rows["consent_records"] > 3
    assert consents["ledger"] == service.consents(rich.subject_id)["history"]
    assert len(consents["objections"]) == rows["objections"] == 2
    assert [o["lifted_at"] is None for o in consents["objections"]] == [False, True]
    assert consents["objection"]["raised_via"] == "web_form"
    assert consents["level"] == "full"

    receipts = export["receipts"]
    assert len(receipts) == rows["consent_receipts"] > 1
    jwks = service.signer.jwks()
    for receipt in receipts:
        claims = verify_receipt(receipt["jws"], jwks)
        assert claims["consentReceiptID"] == receipt["receipt_id"]

    assert [e["raw"] for e in export["evidence"]] == [rich.tc_string]
    assert len(export["evidence"]) == rows["consent_evidence"]

    decisions = export["decisions"]
    assert {d["decision_id"] for d in decisions} == decision_ids
    assert len(decisions) == rows["decisions"] == 2
    for decision in decisions:
        # The full explanation, exactly as "Why am I seeing this?" gives it.
        why = service.why(rich.subject_id, decision["decision_id"])
        assert {k: v for k, v in decision.items() if k != "purposes"} == why
        assert decision["purposes"]
        assert all(i["reason"] for i in decision["items"])
    assert any(i["because_item_id"] for d in decisions for i in d["items"])

    inferences = export["inferences"]
    assert inferences["personalization_level"]["level"] == "full"
    assert inferences["treated_as_minor"]["minor"] is False
    assert [s["purpose"] for s in inferences["stale_purposes"]] == [ANALYTICS]
    assert inferences["segments"] == []
    assert "no segments" in inferences["segments_note"]
    scores = {s["decision_id"]: s for s in inferences["decision_scores"]}
    assert set(scores) == decision_ids
    for decision_id in decision_ids:
        record = service.decision(decision_id)
        assert scores[decision_id]["items"] == [
            {"item_id": i["item_id"], "rank": i["rank"], "score": i["score"]}
            for i in record["items"]
        ]
        assert scores[decision_id]["model"] == record["model"]
    assert [m["decisions"] for m in inferences["model_versions"]] == [2]

    complaints = export["complaints"]
    assert len(complaints) == rows["complaints"] == 1
    assert complaints[0]["text"] == rich.complaint_text
    assert [s["item_id"] for s in export["suppressions"]] == [rich.suppressed_item]
    assert [(f["kind"], f["target"]) for f in export["feedback"]] == [("fewer_messages", "email")]
    assert sorted((p["kind"], p["category"]) for p in export["protections"]) == [
        ("self_exclusion", "gambling"),
        ("vulnerable", ""),
    ]
    [message] = export["messages"]
    assert (message["campaign_title"], message["decision"]) == ("Autumn running", "hold")
    assert {c["name"] for c in message["checks"] if not c["passed"]} >= {"consent", "copy"}
    assert "Hurry" not in str(message)  # the copy itself is never kept

    kinds = {r["request_id"]: r["kind"] for r in export["rights_requests"]}
    assert set(kinds.values()) == {"access", "rectification"}
    assert set(rich.earlier_requests) <= set(kinds)
    assert export["request_id"] not in kinds

    actions = {a["action"] for a in export["access_log"]}
    assert {
        "complaint.filed",
        "personal_data.read",
        "rectification.made",
        "export.made",
    } <= actions
    assert export["counts"] == {
        "events": 6,
        "consent_records": rows["consent_records"],
        "receipts": rows["consent_receipts"],
        "evidence": 1,
        "decisions": 2,
        "complaints": 1,
        "suppressions": 1,
        "feedback": 1,
        "protections": 2,
        "messages": 1,
        "rights_requests": len(kinds),
        "access_log": len(export["access_log"]),
    }


def test_a_person_with_nothing_but_an_id_gets_empty_sections(service: Tactful) -> None:
    service.ingest_subjects([{"subject_id": "bare"}])
    export = export_subject(service, "bare")
    assert export["profile"]["identity"] is None
    assert export["profile"]["attributes"] == dict.fromkeys(
        ("age_band", "region", "gender", "occupation", "time_zone")
    )
    for section in (
        "events",
        "receipts",
        "evidence",
        "decisions",
        "complaints",
        "feedback",
        "protections",
        "messages",
    ):
        assert export[section] == [], section
    assert export["inferences"]["treated_as_minor"]["minor"] is False
    assert export["consents"]["level"] == "off"


def test_a_minor_is_shown_as_treated_as_a_minor(service: Tactful) -> None:
    service.recommend("dan")
    inferences = export_subject(service, "dan")["inferences"]
    assert inferences["treated_as_minor"]["minor"] is True
    assert "under 18" in inferences["treated_as_minor"]["reason"]
    assert inferences["personalization_level"]["level"] == "off"
    assert "minor" in inferences["personalization_level"]["reason"]


# -- nobody else's data ------------------------------------------------------------------
def test_another_persons_data_is_never_in_an_export(service: Tactful) -> None:
    amara = seed_person(service, "amara", tag="amara")
    bertil = seed_person(service, "bertil", tag="bertil", category="garden")
    export = export_subject(service, amara.subject_id)
    text = json.dumps(export, ensure_ascii=False)
    for marker in bertil.markers:
        assert marker not in text, marker
    assert {e["event_id"] for e in export["events"]}.isdisjoint(bertil.event_ids)
    assert not set(bertil.decision_ids) & {d["decision_id"] for d in export["decisions"]}
    assert not set(bertil.earlier_requests) & {r["request_id"] for r in export["rights_requests"]}
    bertil_receipts = {r["receipt_id"] for r in service.receipts(bertil.subject_id)}
    assert bertil_receipts.isdisjoint({r["receipt_id"] for r in export["receipts"]})
    # And everything of amara's is there.
    for marker in amara.markers:
        assert marker in text, marker
    page = render_export_html(export)
    assert "bertil" not in page.lower()


# -- the page --------------------------------------------------------------------------------
def test_the_page_has_a_heading_and_tables_per_section_and_escapes_everything(
    service: Tactful, rich: Seeded
) -> None:
    export = export_subject(service, rich.subject_id, format="html")
    page = render_export_html(export)
    assert page.startswith("<!DOCTYPE html>")
    # No script at all: the seeded ones are text, escaped.
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#39;query&#39;)&lt;/script&gt; trail shoes amara" in page
    assert "amara finds this &lt;b&gt;intrusive&lt;/b&gt;" in page
    assert "<b>" not in page
    for section in (
        "profile",
        "events",
        "consents",
        "receipts",
        "evidence",
        "decisions",
        "inferences",
        "complaints",
        "suppressions",
        "feedback",
        "protections",
        "messages",
        "rights-requests",
        "access-log",
    ):
        found = re.search(f'<section id="{section}">\\s*<h2>[^<]+</h2>', page)
        assert found, section
    assert page.count("<table>") > 10
    for event in export["events"]:
        assert f"<td>{event['event_id']}</td><td>{event['occurred_at']}</td>" in page
    assert export["generated_at"] in page
    for receipt in export["receipts"]:
        assert receipt["jws"] in page


# -- registered and audited ------------------------------------------------------------------
def test_each_export_is_a_completed_access_request_and_an_audit_entry(
    service: Tactful, clock: Any
) -> None:
    before = _audit(service, "alice", "export.made")
    export = export_subject(service, "alice", format="html", via="consumer")
    listed = service.rights_requests(subject_id="alice")["requests"]
    (request,) = [r for r in listed if r["request_id"] == export["request_id"]]
    assert (request["kind"], request["status"], request["requested_via"]) == (
        "access",
        "completed",
        "consumer",
    )
    assert request["received_at"] == export["generated_at"]
    assert request["completed_at"] is not None
    due = clock.now + timedelta(days=service.settings.rights_request_days)
    assert request["due_at"] == due.isoformat()
    assert [s["step"] for s in request["steps"]] == ["received", "completed"]
    # Counts only: nothing personal in the register.
    assert request["detail"]["format"] == "html"
    assert request["detail"]["counts"]["events"] == len(export["events"])
    with service.store.reading() as conn:
        row = conn.execute(
            select(t.rights_requests.c.subject_ref).where(
                t.rights_requests.c.request_id == uuid.UUID(export["request_id"])
            )
        ).one()
    assert row.subject_ref == service.cipher.fingerprint("alice")
    after = _audit(service, "alice", "export.made")
    assert len(after) == len(before) + 1
    assert after[-1]["detail"]["format"] == "html"


def test_an_export_of_no_one_or_a_bad_request_registers_nothing(service: Tactful) -> None:
    with service.store.reading() as conn:
        before = conn.execute(select(t.rights_requests.c.request_id)).scalars().all()
    with pytest.raises(NotFound):
        export_subject(service, "nobody")
    with pytest.raises(InvalidInput):
        export_subject(service, "alice", format="pdf")
    with pytest.raises(InvalidInput):
        export_subject(service, "not an id!")
    with service.store.reading() as conn:
        after = conn.execute(select(t.rights_requests.c.request_id)).scalars().all()
    assert after == before
