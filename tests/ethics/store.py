"""A shop with four weeks of known history, for the ethics report: every figure the report
gathers from it is worked out by hand in the tests.

The trained shop (tests/shop.py) records its consents at T0. Then, on the test's clock:

  T0+1d   erin self-excludes from gambling; zq (a person with an identity) self-excludes
          from alcohol for 5 days (ended before the period does); alice flags she is
          vulnerable; decisions for alice, erin, bob and zq
  T0+2d   alice withdraws personalization.behavioral (api); crowd-3 objects to direct
          marketing (web_form: denies email, sms, push); alice files a complaint
  T0+3d   erin's browser sends GPC (denies advertising.cross_context); erin files one
  T0+4d   alice's complaint resolved (2 days)
  T0+5d   zq files a complaint (never answered: overdue at the end)
  T0+8d   "newcomer-5521", a person with no choice, joins the store
  T0+9d   crowd-0 and crowd-1 grant marketing.email (web_form)
  T0+10d  messages: crowd-0 email sent; carol email and sms held; zq email held
  T0+11d  crowd-0's gambling offer held; another decision for alice
  T0+16d  crowd-1 unsubscribes from email (method unsubscribe)
  T0+20d  notice 2026-12-01 keeps shop statistics longer: earlier grants await renewal;
          erin's complaint rejected (17 days, 3 late)
  T0+22d  crowd-2 grants analytics.aggregate again

The report covers the 4 weeks up to NOW = T0+28d+1h, so its weeks end at T0+7d+1h,
T0+14d+1h, T0+21d+1h and NOW. Rights requests are written with known times directly.
"""

from __future__ import annotations

import copy
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any

from sqlalchemy import update

from tactful.consent.ledger import ConsentMethod
from tactful.consent.notice import parse_notice
from tactful.service import Tactful
from tactful.storage import fairness_audits, rights
from tactful.storage import tables as t
from tactful.storage.fairness_audits import AuditRun
from tests.clock import Clock
from tests.trained_shop import T0

DAY = timedelta(days=1)
NOW = T0 + 28 * DAY + timedelta(hours=1)
WEEKS = 4
START = NOW - 28 * DAY
PERSON = "zq-person-7731"
EMAIL = "zq7731@example.org"
NAME = "Quentin Zebulon"
# Every person of the store: none may appear in the report.
PEOPLE = ["alice", "bob", "carol", "dan", "erin", "newcomer-5521", PERSON] + [
    f"crowd-{n}" for n in range(30)
]
FAIR = "Our autumn running shoes are in. Have a look when you like."
V2 = "2026-12-01"


@dataclass
class Built:
    decisions: list[dict[str, Any]] = field(default_factory=list)
    audit_id: str = ""


def build(service: Tactful, clock: Clock) -> Built:
    built = Built()
    service.ingest_subjects([{"subject_id": PERSON, "email": EMAIL, "name": NAME}])
    # Rows are stamped with the wall clock; the shop's people are there from the start.
    _created(service, T0 - DAY)
    for campaign, category in (("autumn", "running"), ("derby", "gambling")):
        service.messaging.add_campaign(campaign, campaign.title(), category, False)

    clock.now = T0 + DAY
    service.protections.self_exclude("erin", "gambling", None)
    service.protections.self_exclude(PERSON, "alcohol", 5)
    service.protections.set_vulnerable("alice", True)
    for who in ("alice", "erin", "bob", PERSON):
        built.decisions.append(service.recommend(who, k=5))

    clock.now = T0 + 2 * DAY
    _choose(service, "alice", "personalization.behavioral", "denied")
    service.object_to_marketing("crowd-3", ConsentMethod.WEB_FORM)
    alice = _complain(service, "alice", built.decisions[0], "irrelevant")

    clock.now = T0 + 3 * DAY
    service.apply_gpc("erin")
    erin = _complain(service, "erin", built.decisions[1], "intrusive")

    clock.now = T0 + 4 * DAY
    service.complaints.resolve(alice, "We changed the list.")

    clock.now = T0 + 5 * DAY
    _complain(service, PERSON, built.decisions[3], "other", f"I am {NAME}, write to {EMAIL}")

    clock.now = T0 + 8 * DAY
    service.ingest_subjects([{"subject_id": "newcomer-5521"}])
    _created(service, T0 + 8 * DAY, "newcomer-5521")

    clock.now = T0 + 9 * DAY
    for who in ("crowd-0", "crowd-1"):
        _choose(service, who, "marketing.email", "granted", ConsentMethod.WEB_FORM)

    clock.now = T0 + 10 * DAY
    for who, channel in (("crowd-0", "email"), ("carol", "email"), ("carol", "sms")):
        service.messaging.decide(who, channel, "autumn", FAIR)
    service.messaging.decide(PERSON, "email", "autumn", FAIR)

    clock.now = T0 + 11 * DAY
    service.messaging.decide("crowd-0", "email", "derby", FAIR)
    built.decisions.append(service.recommend("alice", k=5))

    clock.now = T0 + 16 * DAY
    _choose(service, "crowd-1", "marketing.email", "denied", ConsentMethod.UNSUBSCRIBE)

    clock.now = T0 + 20 * DAY
    service.notices.publish(_longer_statistics())
    service.complaints.reject(erin, "The message was within your choices.")

    clock.now = T0 + 22 * DAY
    _choose(service, "crowd-2", "analytics.aggregate", "granted")

    _rights_requests(service)
    built.audit_id = _audits(service)
    clock.now = NOW
    return built


def _created(service: Tactful, when: Any, subject_id: str | None = None) -> None:
    query = update(t.subjects).values(created_at=when)
    if subject_id is not None:
        query = query.where(t.subjects.c.subject_id == subject_id)
    with service.store.transaction() as conn:
        conn.execute(query)


def _choose(
    service: Tactful,
    subject_id: str,
    purpose: str,
    status: str,
    method: ConsentMethod | None = None,
) -> None:
    change = {"choices": [{"purpose": purpose, "status": status}]}
    service.record_consents(subject_id, change, method=method)


def _complain(
    service: Tactful,
    subject_id: str,
    decision: dict[str, Any],
    reason: str,
    text: str | None = None,
) -> str:
    filed = service.complaints.file(
        subject_id, reason=reason, text=text, decision_id=decision["decision_id"]
    )
    complaint_id: str = filed["complaint"]["complaint_id"]
    return complaint_id


def _longer_statistics() -> Any:
    text = resources.files("tactful.defaults").joinpath("notice.toml").read_text("utf-8")
    document = copy.deepcopy(tomllib.loads(text))
    document["version"] = V2
    for purpose in document["purposes"]:
        if purpose["code"] == "analytics.aggregate":
            purpose["retention_days"] += 100
    return parse_notice(document)


# (kind, received, due, completed), in days after T0; the subject is zq for every one.
REQUESTS = [
    ("access", 2, 32, 3),  # 1 day
    ("access", 4, 34, 7),  # 3 days
    ("access", 5, 35, 10),  # 5 days
    ("access", 6, 36, None),  # open, not yet due
    ("erasure", -40, -10, None),  # open and overdue, received before the period
    ("erasure", -20, 10, 12),  # 32 days, completed 2 days late
    ("erasure", -50, -20, -30),  # completed before the period: not counted
    ("rectification", 27, 57, 29),  # completed after the period ends: open at its end
]


def _rights_requests(service: Tactful) -> None:
    with service.store.transaction() as conn:
        for kind, received, due, completed in REQUESTS:
            at = T0 + received * DAY
            rights.add_request(
                conn,
                {
                    "request_id": uuid.uuid4(),
                    "kind": kind,
                    "subject_id": PERSON,
                    "subject_ref": service.cipher.fingerprint(PERSON),
                    "status": "received" if completed is None else "completed",
                    "requested_via": "operator",
                    "received_at": at,
                    "due_at": T0 + due * DAY,
                    "updated_at": at,
                    "completed_at": None if completed is None else T0 + completed * DAY,
                    "steps": [],
                    "detail": {},
                },
            )


# A stored audit result as `tactful.fairness` writes it (see the contract in
# `tactful.fairness`): two of four checks crossed.
AUDIT_RESULT: dict[str, Any] = {
    "source": "store",
    "label": "store",
    "window": {"start": "2026-11-20T11:00:00+00:00", "end": "2026-11-30T11:00:00+00:00"},
    "counts": {"lists": 120, "people": 40, "items": 44, "providers": 6, "segments": 2},
    "accuracy": {"ndcg": 0.31, "precision": 0.12, "recall": None},
    "quality": {
        "gender": {
            "attribute": "gender",
            "groups": {},
            "gaps": {
                "ndcg": {
                    "metric": "ndcg",
                    "best_group": "female",
                    "worst_group": "male",
                    "best": 0.4,
                    "worst": 0.3,
                    "difference": 0.1,
                    "ratio": 0.75,
                },
                "recall": {
                    "metric": "recall",
                    "best_group": "male",
                    "worst_group": "female",
                    "best": 0.5,
                    "worst": 0.45,
                    "difference": 0.05,
                    "ratio": 0.9,
                },
            },
        },
        "age_band": {"attribute": "age_band", "groups": {}, "gaps": {}},
    },
    "exposure": {"position_weights": "log", "k": 10, "gini": 0.62, "top_items": []},
    "popularity": {"coverage": 0.41, "long_tail_share": 0.08, "miscalibration": 0.5},
    "targeting": [
        {
            "kind": "campaign",
            "segment": "autumn",
            "reports": {
                "age_band": {
                    "impact": {
                        "served": {
                            "reference_group": "25-34",
                            "flagged": ["55-64"],
                            "groups": {"55-64": {"ratio": 0.5, "flagged": True}},
                        },
                        "eligible": {"reference_group": "25-34", "flagged": [], "groups": {}},
                    }
                }
            },
        }
    ],
    "checks": [
        {
            "check": "coverage",
            "scope": "catalog",
            "value": 0.41,
            "bound": "min",
            "threshold": 0.05,
            "crossed": False,
            "message": "Coverage 0.41 is above 0.05.",
        },
        {
            "check": "quality_ratio",
            "scope": "gender: ndcg",
            "value": 0.75,
            "bound": "min",
            "threshold": 0.8,
            "crossed": True,
            "message": "male get 0.75 of the ndcg of female.",
        },
        {
            "check": "exposure_gini",
            "scope": "items",
            "value": 0.62,
            "bound": "max",
            "threshold": 0.95,
            "crossed": False,
            "message": "Gini 0.62 is below 0.95.",
        },
        {
            "check": "adverse_impact_ratio",
            "scope": "campaign autumn / age_band / served: 55-64",
            "value": 0.5,
            "bound": "min",
            "threshold": 0.8,
            "crossed": True,
            "message": "55-64 are served half as often as 25-34.",
        },
    ],
    "alert": True,
}


def _audits(service: Tactful) -> str:
    """An older clean run, then the latest: alerting, not acknowledged."""
    latest = str(uuid.uuid4())
    with service.store.transaction() as conn:
        for audit_id, days, alert in ((str(uuid.uuid4()), 15, False), (latest, 25, True)):
            result = AUDIT_RESULT | {"audit_id": audit_id, "alert": alert}
            fairness_audits.add(
                conn,
                AuditRun(
                    audit_id=audit_id,
                    source="store",
                    label="store",
                    window_start=T0 + (days - 10) * DAY,
                    window_end=T0 + days * DAY,
                    started_at=T0 + days * DAY,
                    seconds=1.5,
                    triggered_by="schedule",
                    alert=alert,
                    crossed=[c for c in result["checks"] if c["crossed"]] if alert else [],
                    result=result,
                    acknowledged_at=None,
                    acknowledged_by=None,
                ),
            )
    return latest
