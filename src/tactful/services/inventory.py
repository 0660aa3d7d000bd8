"""The data inventory of one subject: what is held, from where, why, until when, and who
on the operator's side may read it (GDPR Art. 15(1), in the person's own terms).

"Who may read it" comes from the operator API keys themselves: the scopes that reach each
kind of data, and the names of the keys, neither revoked nor expired, that hold them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tactful.consent.notice import Notice
from tactful.domain.purposes import PurposeCatalog
from tactful.domain.subjects import Subject
from tactful.services.access import readers
from tactful.storage import inventory as stored
from tactful.storage.api_keys import usable_keys

_EVENT_SOURCE = "Sent by the shop's systems as you used the shop (events API or import)"
_CATEGORY_WORDS = {
    "purchase_history": "What you bought",
    "explicit_feedback": "How you rated items",
    "browsing_history": "What you viewed, clicked and put in your cart",
    "search_history": "What you searched for",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def subject_inventory(
    conn: Connection,
    subject: Subject,
    notice: Notice,
    catalog: PurposeCatalog,
    decision_retention_days: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    keys = usable_keys(conn, now or datetime.now(UTC))
    entries: list[dict[str, Any]] = []
    for group in stored.event_groups(conn, subject.subject_id):
        kept = [catalog.by_code[p] for p in group["purposes"] if p in catalog]
        days = max((p.retention_days for p in kept), default=0)
        entries.append(
            {
                "kind": "events",
                "data_category": group["data_category"],
                "description": _CATEGORY_WORDS.get(group["data_category"], group["data_category"]),
                "count": group["count"],
                "source": _EVENT_SOURCE,
                "purposes": [{"purpose": p.code, "title": p.title} for p in kept],
                "retention_days": days,
                # Each event is deleted `days` after it happened.
                "oldest_deleted_on": _iso(group["oldest"] + timedelta(days=days)),
                "all_deleted_by": _iso(group["newest"] + timedelta(days=days)),
                "readable_by": readers(group["data_category"], keys),
            }
        )
    attributes = subject.attributes
    held = {
        name: value
        for name, value in (
            ("age_band", attributes.age_band.value if attributes.age_band else None),
            ("region", attributes.region),
            ("gender", attributes.gender),
            ("occupation", attributes.occupation),
            ("time_zone", attributes.time_zone),
        )
        if value is not None
    }
    if held:
        entries.append(
            {
                "kind": "profile",
                "data_category": "profile",
                "description": "Profile details: " + ", ".join(sorted(held)),
                "fields": sorted(held),
                "source": "The shop's customer records (subjects API or import)",
                "purposes": [
                    {
                        "purpose": "protection",
                        "title": "Never profiling minors, and checking that no group of "
                        "people is treated unfairly",
                    }
                ],
                "retention_days": None,
                "all_deleted_by": None,
                "retention": "Until your account is erased",
                "readable_by": readers("profile", keys),
            }
        )
    counts = stored.counts(conn, subject.subject_id)
    consent_n, consent_oldest = counts["consent"]
    if consent_n:
        entries.append(
            {
                "kind": "consent",
                "data_category": "consent",
                "description": "Your choices, their receipts, and the signals behind them",
                "count": consent_n,
                "receipts": counts["receipts"][0],
                "evidence": counts["evidence"][0],
                "source": "Your own choices, your browser's Global Privacy Control signal, or "
                "your consent banner (IAB TCF)",
                "purposes": [
                    {
                        "purpose": "accountability",
                        "title": "Proving what you agreed to (GDPR Art. 7(1))",
                    }
                ],
                "oldest": _iso(consent_oldest),
                "retention_days": None,
                "all_deleted_by": None,
                "retention": "Kept as evidence until your account is erased",
                "readable_by": readers("consent", keys),
            }
        )
    decisions_n, decisions_oldest = counts["decisions"]
    if decisions_n:
        entries.append(
            {
                "kind": "decisions",
                "data_category": "decisions",
                "description": "What you were shown, and why",
                "count": decisions_n,
                "source": "Made by Tactful each time recommendations were shown to you",
                "purposes": [
                    {
                        "purpose": "transparency",
                        "title": "Answering \u201cwhy am I seeing this?\u201d and auditing "
                        "recommendations",
                    }
                ],
                "retention_days": decision_retention_days,
                "oldest_deleted_on": _iso(
                    decisions_oldest + timedelta(days=decision_retention_days)
                    if decisions_oldest
                    else None
                ),
                "readable_by": readers("decisions", keys),
            }
        )
    messages_n, messages_oldest = counts["messages"]
    if messages_n:
        entries.append(
            {
                "kind": "messages",
                "data_category": "messages",
                "description": "Each time a marketing message to you was considered: sent or "
                "held, and why (never its text)",
                "count": messages_n,
                "source": "Made by Tactful each time the shop asked whether to message you; "
                "opens and clicks as the shop's sender reported them",
                "purposes": [
                    {
                        "purpose": "protection",
                        "title": "Keeping to your choices, your limits and the frequency caps, "
                        "and showing why a message was or was not sent",
                    }
                ],
                "retention_days": decision_retention_days,
                "oldest_deleted_on": _iso(
                    messages_oldest + timedelta(days=decision_retention_days)
                    if messages_oldest
                    else None
                ),
                "readable_by": readers("decisions", keys),
            }
        )
    controls_n = counts["feedback"][0] + counts["protections"][0]
    if controls_n:
        entries.append(
            {
                "kind": "controls",
                "data_category": "controls",
                "description": "What you asked for: items and categories you want less of, "
                "fewer messages, self-exclusions, and whether you told us you are vulnerable",
                "count": controls_n,
                "source": "You, in the privacy center (or a privacy officer at your request)",
                "purposes": [
                    {
                        "purpose": "protection",
                        "title": "Honouring what you asked for in every recommendation and message",
                    }
                ],
                "retention_days": None,
                "all_deleted_by": None,
                "retention": "Until you take it back; an ended self-exclusion is deleted "
                f"{decision_retention_days} days after it ended",
                "readable_by": readers("profile", keys),
            }
        )
    return {"subject_id": subject.subject_id, "notice_version": notice.version, "data": entries}
