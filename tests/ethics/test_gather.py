"""The ethics report's figures on a shop with known history (tests/ethics/store.py), each
worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus, derive_state
from tactful.errors import InvalidInput
from tactful.service import Tactful
from tests.ethics.store import DAY, NOW, PEOPLE, START, WEEKS, Built
from tests.trained_shop import T0


@pytest.fixture
def report(service: Tactful, history: Built) -> dict[str, Any]:
    return service.ethics.gather(WEEKS)


def _purpose(report: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in report["consent"]["purposes"] if p["purpose"] == code)
    return found


def test_the_period_is_the_weeks_up_to_now(report: dict[str, Any]) -> None:
    period = report["period"]
    assert period["start"] == START.isoformat()
    assert period["end"] == NOW.isoformat()
    assert period["weeks"] == 4
    assert period["week_ends"] == [
        (T0 + (7 * n) * DAY + timedelta(hours=1)).isoformat() for n in (1, 2, 3, 4)
    ]
    assert report["generated_at"] == NOW.isoformat()


def test_people_are_counted_from_when_they_joined(report: dict[str, Any]) -> None:
    # The 35 people of the shop and zq from the start; "newcomer-5521" from T0+8d, so from week 2.
    assert report["consent"]["subjects"] == [36, 37, 37, 37]


def test_consent_rates_follow_each_persons_latest_choice(report: dict[str, Any]) -> None:
    explicit = _purpose(report, "personalization.explicit")
    # 30 crowd, alice, carol, dan and erin granted at T0; bob, zq (and late) never chose.
    assert explicit["granted"] == [34, 34, 34, 34]
    assert explicit["no_choice"] == [2, 3, 3, 3]
    assert explicit["granted_share"] == [round(34 / 36, 6), *[round(34 / 37, 6)] * 3]

    behavioral = _purpose(report, "personalization.behavioral")
    # carol refused at T0; alice withdrew at T0+2d.
    assert behavioral["granted"] == [32, 32, 32, 32]
    assert behavioral["refused"] == [2, 2, 2, 2]

    email = _purpose(report, "marketing.email")
    # crowd-3 objected (T0+2d); crowd-0 and crowd-1 granted (T0+9d); crowd-1 unsubscribed
    # (T0+16d).
    assert email["granted"] == [0, 2, 1, 1]
    assert email["refused"] == [1, 1, 2, 2]
    assert email["no_choice"] == [35, 34, 34, 34]
    assert email["latest"]["granted_by_method"] == {"web_form": 1}
    assert email["latest"]["refused_by_method"] == {"unsubscribe": 1, "web_form": 1}


def test_grants_to_a_widened_purpose_await_renewal(report: dict[str, Any]) -> None:
    statistics = _purpose(report, "analytics.aggregate")
    # 30 crowd granted under the first notice; the second (T0+20d) keeps the data longer,
    # so from week 3 their grants await renewal; crowd-2 granted again at T0+22d.
    assert statistics["granted"] == [30, 30, 0, 1]
    assert statistics["stale"] == [0, 0, 30, 29]
    assert statistics["refused"] == [0, 0, 0, 0]
    assert statistics["no_choice"] == [6, 7, 7, 7]
    assert statistics["granted_share"][2] == 0.0


def test_refusals_are_broken_out_by_how_they_arrived(report: dict[str, Any]) -> None:
    advertising = _purpose(report, "advertising.cross_context")
    # erin's browser sent GPC; crowd-3's objection covers every direct-marketing purpose.
    assert advertising["latest"]["refused_by_method"] == {"gpc": 1, "web_form": 1}
    assert report["consent"]["changes"] == [
        {"purpose": "advertising.cross_context", "status": "denied", "method": "gpc", "count": 1},
        {
            "purpose": "advertising.cross_context",
            "status": "denied",
            "method": "web_form",
            "count": 1,
        },
        {"purpose": "analytics.aggregate", "status": "granted", "method": "api", "count": 1},
        {"purpose": "marketing.email", "status": "denied", "method": "unsubscribe", "count": 1},
        {"purpose": "marketing.email", "status": "denied", "method": "web_form", "count": 1},
        {"purpose": "marketing.email", "status": "granted", "method": "web_form", "count": 2},
        {"purpose": "marketing.push", "status": "denied", "method": "web_form", "count": 1},
        {"purpose": "marketing.sms", "status": "denied", "method": "web_form", "count": 1},
        {"purpose": "personalization.behavioral", "status": "denied", "method": "api", "count": 1},
    ]


def test_every_purpose_of_the_notice_is_reported(service: Tactful, report: dict[str, Any]) -> None:
    codes = [p["purpose"] for p in report["consent"]["purposes"]]
    assert codes == [p.code for p in service.purposes]
    sensitive = {p["purpose"] for p in report["consent"]["purposes"] if p["sensitive"]}
    assert sensitive == {p.code for p in service.purposes if p.sensitive_category}


def test_rights_requests_per_kind(report: dict[str, Any]) -> None:
    kinds = {k["kind"]: k for k in report["rights"]["kinds"]}
    assert report["rights"]["deadline_days"] == 30
    assert kinds["access"] == {
        "kind": "access",
        "received": 4,
        "completed": 3,
        "open": 1,
        "overdue": 0,
        "completed_late": 0,
        # 1, 3 and 5 days: the 90th percentile lies 0.8 of the way from 3 to 5.
        "handling_days": {"median": 3.0, "p90": 4.6, "max": 5.0},
    }
    assert kinds["erasure"] == {
        "kind": "erasure",
        "received": 0,
        "completed": 1,
        "open": 1,
        "overdue": 1,
        "completed_late": 1,
        "handling_days": {"median": 32.0, "p90": 32.0, "max": 32.0},
    }
    # Completed after the period ends: still open at its end.
    assert kinds["rectification"]["received"] == 1
    assert kinds["rectification"]["open"] == 1
    assert kinds["rectification"]["completed"] == 0
    assert kinds["rectification"]["handling_days"]["median"] is None


def test_complaints_with_their_handling_times(report: dict[str, Any]) -> None:
    assert report["complaints"] == {
        "deadline_days": 14,
        "received": 3,
        "completed": 2,
        "open": 1,
        "overdue": 1,
        "completed_late": 1,
        # 2 days (alice's, resolved) and 17 days (erin's, rejected 3 days late).
        "handling_days": {"median": 9.5, "p90": 15.5, "max": 17.0},
        "resolved": 1,
        "rejected": 1,
        "by_reason": {"intrusive": 1, "irrelevant": 1, "other": 1},
    }


def test_items_held_back_and_decisions_per_level(report: dict[str, Any], history: Built) -> None:
    decisions = report["guardrails"]["decisions"]
    # alice (full), erin (full), bob and zq (off) at T0+1d; alice (basic) at T0+11d.
    assert [d["level"] for d in history.decisions] == ["full", "full", "off", "off", "basic"]
    assert decisions["total"] == 5
    assert decisions["by_level"] == {"basic": 1, "full": 2, "off": 2}
    # The four sensitive items of the shop for everyone (nobody opted in); alice's three
    # purchases from her own list, twice.
    assert decisions["held_back"] == [
        {"reason": "sensitive_category", "items": 20, "decisions": 5},
        {"reason": "already_purchased", "items": 6, "decisions": 2},
    ]


def test_messages_sent_and_held_per_check_and_channel(report: dict[str, Any]) -> None:
    messages = report["guardrails"]["messages"]
    assert (messages["total"], messages["sent"], messages["held"]) == (5, 1, 4)
    assert messages["by_channel"] == [
        {"channel": "email", "sent": 1, "held": 3},
        {"channel": "sms", "sent": 0, "held": 1},
    ]
    # carol (email, sms) and zq never agreed to marketing; crowd-0 never opted in to gambling.
    assert messages["held_by_check"] == [
        {"check": "consent", "messages": 3, "by_channel": {"email": 2, "sms": 1}},
        {"check": "sensitive_category", "messages": 1, "by_channel": {"email": 1}},
    ]


def test_protections_in_force_at_the_end(report: dict[str, Any]) -> None:
    # zq's 5-day exclusion ended long before; dan is the shop's minor.
    assert report["guardrails"]["protections"] == {
        "self_exclusions": {"gambling": 1},
        "self_exclusions_total": 1,
        "vulnerable": 1,
        "objections": 1,
        "minors": 1,
    }


def test_the_latest_audit_with_its_key_figures(report: dict[str, Any], history: Built) -> None:
    audit = report["audit"]
    assert audit["summary"]["audit_id"] == history.audit_id
    assert audit["summary"]["alert"] is True
    assert audit["acknowledged"] is False
    assert audit["full_report"] == f"/v1/fairness-audits/{history.audit_id}/report"
    assert [c["check"] for c in audit["checks"]] == [
        "quality_ratio",
        "adverse_impact_ratio",
        "coverage",
        "exposure_gini",
    ]
    assert [(k["check"], k["checked"], k["crossed"], k["worst"]) for k in audit["check_kinds"]] == [
        ("adverse_impact_ratio", 1, 1, 0.5),
        ("quality_ratio", 1, 1, 0.75),
        ("coverage", 1, 0, 0.41),
        ("exposure_gini", 1, 0, 0.62),
    ]
    figures = audit["figures"]
    assert figures["accuracy"] == {"ndcg": 0.31, "precision": 0.12, "recall": None}
    assert figures["quality"] == [
        {
            "attribute": "gender",
            "metric": "ndcg",
            "worst_group": "male",
            "best_group": "female",
            "worst": 0.3,
            "best": 0.4,
            "ratio": 0.75,
        }
    ]
    assert (figures["exposure_gini"], figures["coverage"], figures["long_tail_share"]) == (
        0.62,
        0.41,
        0.08,
    )
    assert figures["targeting_flags"] == [
        {
            "kind": "campaign",
            "segment": "autumn",
            "attribute": "age_band",
            "rate": "served",
            "reference_group": "25-34",
            "groups": [{"group": "55-64", "ratio": 0.5}],
        }
    ]


def test_an_acknowledged_alert_says_so(service: Tactful, history: Built) -> None:
    from tactful.storage import fairness_audits

    with service.store.transaction() as conn:
        assert fairness_audits.acknowledge(conn, history.audit_id, "key:dpo", NOW)
    audit = service.ethics.gather(WEEKS)["audit"]
    assert audit["acknowledged"] is True
    assert audit["summary"]["acknowledged_by"] == "key:dpo"


def test_without_an_audit_the_section_says_none_was_run(service: Tactful) -> None:
    assert service.ethics.gather(1)["audit"] is None


def test_the_recommenders_main_parameters(service: Tactful, report: dict[str, Any]) -> None:
    recommenders = report["recommenders"]
    models = {m["name"]: m for m in recommenders["models"]}
    assert set(models) == {"popularity", "ease"}
    with service.store.reading() as conn:
        ease = service.store.latest_model(conn, "ease")
    assert ease is not None
    assert models["ease"]["version"] == ease.version
    assert models["ease"]["trained_on"] == ease.trained_on
    assert [level["level"] for level in recommenders["levels"]] == [
        "off",
        "aggregate",
        "basic",
        "full",
    ]
    gambling = next(s for s in recommenders["guardrails"]["sensitive"] if s["code"] == "gambling")
    assert gambling["unlocked_by"] == "sensitive.gambling"
    assert recommenders["guardrails"]["self_excludable"] == ["gambling", "alcohol"]
    thresholds = {
        t["check"]: (t["bound"], t["value"]) for t in recommenders["audit_policy"]["thresholds"]
    }
    assert thresholds["quality_ratio"] == ("min", 0.8)
    assert thresholds["exposure_gini"] == ("max", 0.95)


def test_a_period_of_one_week_counts_only_its_events(service: Tactful, history: Built) -> None:
    # The last week (T0+21d+1h to NOW) holds no decision, message, request or complaint.
    report = service.ethics.gather(1)
    assert report["guardrails"]["decisions"]["total"] == 0
    assert report["guardrails"]["messages"]["total"] == 0
    assert report["complaints"]["received"] == 0
    assert report["complaints"]["overdue"] == 1  # zq's, still unanswered
    assert report["consent"]["subjects"] == [37]


@pytest.mark.parametrize("weeks", [0, -1, 261, True, 2.5, "4"])
def test_a_bad_period_is_refused(service: Tactful, weeks: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        service.ethics.gather(weeks)
    assert raised.value.errors[0].field == "weeks"


def test_a_moment_without_a_zone_is_refused(service: Tactful) -> None:
    with pytest.raises(InvalidInput):
        service.ethics.gather(4, datetime(2026, 11, 30))


def test_weekly_counts_agree_with_each_persons_ledger(service: Tactful, history: Built) -> None:
    """The grouped queries against the ledger read person by person, as decisions read it:
    at each week end, `derive_state` over the records dated by then. An import dated before
    a later choice (crowd-4's refusal, dated before the shop opened) wins by ledger order."""
    service.import_consents(
        [
            ConsentRecord(
                "crowd-4",
                "personalization.explicit",
                ConsentStatus.DENIED,
                service.notice_version,
                ConsentMethod.IMPORT,
                T0 - 3 * DAY,
            )
        ]
    )
    report = service.ethics.gather(WEEKS)
    with service.store.reading() as conn:
        ledgers = service.store.consents_for_many(conn, PEOPLE)
    for week, end in enumerate(report["period"]["week_ends"]):
        moment = datetime.fromisoformat(end)
        expected: dict[tuple[str, str], int] = {}
        for person in PEOPLE:
            records = [r for r in ledgers.get(person, []) if r.recorded_at <= moment]
            for purpose, record in derive_state(person, records).choices.items():
                granted = record.status is ConsentStatus.GRANTED
                key = (purpose, "granted" if granted else "refused")
                expected[key] = expected.get(key, 0) + 1
        for p in report["consent"]["purposes"]:
            code = p["purpose"]
            assert p["granted"][week] + p["stale"][week] == expected.get((code, "granted"), 0)
            assert p["refused"][week] == expected.get((code, "refused"), 0)
    assert _purpose(report, "personalization.explicit")["granted"] == [33, 33, 33, 33]


def test_a_page_gathers_only_the_sections_it_shows(
    service: Tactful, report: dict[str, Any]
) -> None:
    some = service.ethics.gather(WEEKS, now=NOW, sections=("consent", "rights"))
    assert some["consent"] == report["consent"]
    assert some["rights"] == report["rights"]
    for left_out in ("audit", "complaints", "guardrails", "recommenders"):
        assert left_out not in some
    with pytest.raises(InvalidInput, match="held_back"):
        service.ethics.gather(WEEKS, now=NOW, sections=("consent", "held_back"))
