"""A person with every kind of data Tactful can hold, seeded through the public API."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any

from sqlalchemy import select

from tactful.consent.ledger import ConsentMethod
from tactful.consent.notice import parse_notice
from tactful.service import Tactful
from tactful.services.export import export_subject
from tactful.services.rectification import correct_profile
from tactful.storage import tables as t
from tests import shop
from tests.consent.test_tcf import JAVA_BITFIELD

EXPLICIT = "personalization.explicit"
BEHAVIORAL = "personalization.behavioral"
ANALYTICS = "analytics.aggregate"
SCRIPT_NAME = "<script>alert('name')</script>"
SCRIPT_QUERY = "<script>alert('query')</script> trail shoes"


@dataclass
class Seeded:
    subject_id: str
    name: str
    email: str
    phone: str
    query: str
    complaint_text: str
    tc_string: str = JAVA_BITFIELD
    event_ids: set[int] = field(default_factory=set)
    decision_ids: list[str] = field(default_factory=list)
    suppressed_item: str = ""
    earlier_requests: list[str] = field(default_factory=list)

    @property
    def markers(self) -> list[str]:
        """Strings that belong to this person alone."""
        return [self.subject_id, self.name, self.email, self.phone, self.query, self.complaint_text]


def seed_person(
    service: Tactful, subject_id: str, *, tag: str, category: str = "running"
) -> Seeded:
    """Profile, sealed identity, one event of each type, consents with receipts and a TCF
    string, objections (one lifted), decisions, a complaint with text and its suppression,
    earlier access and rectification requests, and audit entries about them."""
    person = Seeded(
        subject_id=subject_id,
        name=f"{tag.title()} {SCRIPT_NAME} Quill",
        email=f"{tag}@example.com",
        phone="+44 20 7946 00" + str(len(tag)).zfill(2),
        query=f"{SCRIPT_QUERY} {tag}",
        complaint_text=f"{tag} finds this <b>intrusive</b>",
    )
    service.ingest_subjects(
        [
            {
                "subject_id": subject_id,
                "age_band": "25-34",
                "region": "north",
                "gender": "female",
                "occupation": "engineer",
                "email": person.email,
                "name": person.name,
                "phone": person.phone,
            }
        ]
    )
    # The banner's TCF string first (kept as evidence), then the person's own choices.
    service.apply_tcf(subject_id, JAVA_BITFIELD)
    service.record_consents(
        subject_id,
        {"choices": [*shop.FULL, {"purpose": ANALYTICS, "status": "granted"}]},
    )
    base = shop.T0 + timedelta(days=25)
    rows: list[dict[str, Any]] = []
    for n, kind in enumerate(("view", "click", "add_to_cart", "purchase", "rating", "search")):
        row: dict[str, Any] = {
            "subject_id": subject_id,
            "event_type": kind,
            "timestamp": (base + timedelta(hours=n)).isoformat(),
        }
        if kind == "search":
            row["query"] = person.query
        else:
            row["item_id"] = f"{category}-{n % 3}"
        if kind == "rating":
            row["value"] = 4.5
        rows.append(row)
    service.ingest_events(rows)
    service.object_to_marketing(subject_id, ConsentMethod.API)
    service.lift_objection(subject_id)
    service.object_to_marketing(subject_id, ConsentMethod.WEB_FORM)
    for _ in range(2):
        person.decision_ids.append(service.recommend(subject_id, k=4)["decision_id"])
    first = service.why(subject_id, person.decision_ids[0])
    person.suppressed_item = first["items"][0]["item_id"]
    service.complaints.file(
        subject_id,
        reason="intrusive",
        text=person.complaint_text,
        decision_id=person.decision_ids[0],
        item_id=person.suppressed_item,
    )
    service.audit.record("personal_data.read", subject_id=subject_id, detail={"what": "test"})
    correct_profile(service, subject_id, {"occupation": "teacher"})
    person.earlier_requests.append(export_subject(service, subject_id)["request_id"])
    with service.store.reading() as conn:
        person.event_ids = set(
            conn.execute(
                select(t.events.c.event_id).where(t.events.c.subject_id == subject_id)
            ).scalars()
        )
    return person


def widen(service: Tactful, code: str, version: str = "2026-12-01") -> None:
    """Publish a notice that keeps `code`'s data longer: earlier grants of it turn stale."""
    document = copy.deepcopy(
        tomllib.loads(resources.files("tactful.defaults").joinpath("notice.toml").read_text())
    )
    document["version"] = version
    for purpose in document["purposes"]:
        if purpose["code"] == code:
            purpose["retention_days"] = int(purpose["retention_days"]) + 100
    service.notices.publish(parse_notice(document))
