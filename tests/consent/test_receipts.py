"""Kantara Consent Receipt v1.1 claims: every field, its type and meaning, and refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tactful.consent.receipts import (
    ReceiptContext,
    ReceiptController,
    ReceiptPurpose,
    build_receipt,
    termination_text,
)
from tactful.errors import InvalidInput

ISSUED = datetime(2026, 11, 2, 9, 30, 15, 999_999, tzinfo=UTC)
ISSUED_EPOCH = 1_793_611_815  # `date -u -d 2026-11-02T09:30:15Z +%s`

CONTROLLER = ReceiptController(
    name="Example Shop Ltd",
    contact="Privacy Office",
    address="1 Example Street, 1000 Example City",
    email="privacy@shop.example.com",
    phone="+00 000 000 000",
    url="https://shop.example.com",
)
CONTEXT = ReceiptContext(
    jurisdiction="EU",
    language="en",
    policy_url="https://shop.example.com/privacy",
    service_name="Personalized recommendations at Example Shop",
    controllers=(CONTROLLER,),
    notice_version="2026-11-01",
)
EXPLICIT = ReceiptPurpose(
    code="personalization.explicit",
    title="Recommendations from what you bought and rated",
    status="granted",
    data_categories=("purchase_history", "explicit_feedback"),
    legal_basis="consent (GDPR Art. 6(1)(a))",
    retention_days=730,
    primary=True,
)
MARKETING = ReceiptPurpose(
    code="marketing.email",
    title="Marketing messages",
    status="denied",
    data_categories=(),
    legal_basis="consent (GDPR Art. 6(1)(a))",
    retention_days=1,
)
ADVERTISING = ReceiptPurpose(
    code="advertising.cross_context",
    title="Advertising on other sites",
    status="granted",
    data_categories=("purchase_history", "browsing_history"),
    legal_basis="consent (GDPR Art. 6(1)(a))",
    retention_days=365,
    third_party_disclosure=True,
    third_party_names=("Ad partner A", "Ad partner B"),
)
HEALTH = ReceiptPurpose(
    code="sensitive.health",
    title="Recommendations in health",
    status="withdrawn",
    data_categories=(),
    legal_basis="explicit consent (GDPR Art. 9(2)(a))",
    retention_days=180,
    sensitive_category="health",
)
GAMBLING = replace(
    HEALTH, code="sensitive.gambling", status="granted", sensitive_category="gambling"
)
PURPOSES = (EXPLICIT, MARKETING, ADVERTISING, HEALTH, GAMBLING)


def _receipt(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "receipt_id": "5f0c3c1e-5d1a-4b8e-9d3c-7a2f1b6e4d90",
        "subject_id": "subject-42",
        "issued_at": ISSUED,
        "collection_method": "Choices made on the shop's privacy settings page",
        "method_code": "web_form",
        "purposes": PURPOSES,
        "context": CONTEXT,
        "ledger_sequences": (17, 18, 19),
        "evidence": {"user_agent": "Mozilla/5.0", "gpc": False},
    }
    args.update(overrides)
    return build_receipt(**args)


def _fields(error: InvalidInput) -> set[str]:
    return {e.field for e in error.errors}


def test_top_level_fields_are_kantara_v1_1_plus_one_namespaced_extension() -> None:
    receipt = _receipt()
    assert set(receipt) == {
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "language",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
        "spiCat",
        "tactful",
    }
    assert "publicKey" not in receipt  # the JWS kid and the JWKS say which key signed it
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == "EU"
    assert receipt["collectionMethod"] == "Choices made on the shop's privacy settings page"
    assert receipt["consentReceiptID"] == "5f0c3c1e-5d1a-4b8e-9d3c-7a2f1b6e4d90"
    assert receipt["language"] == "en"
    assert receipt["piiPrincipalId"] == "subject-42"
    assert receipt["policyUrl"] == "https://shop.example.com/privacy"


def test_consent_timestamp_is_whole_seconds_since_the_epoch_in_any_timezone() -> None:
    stamp = _receipt()["consentTimestamp"]
    assert type(stamp) is int
    assert stamp == ISSUED_EPOCH  # the microseconds are dropped, not rounded up
    paris = ISSUED.astimezone(timezone(timedelta(hours=1)))
    assert _receipt(issued_at=paris)["consentTimestamp"] == ISSUED_EPOCH
    before_epoch = datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)
    assert _receipt(issued_at=before_epoch)["consentTimestamp"] == -1  # floor, not truncation


def test_controllers_carry_every_kantara_field() -> None:
    [controller] = _receipt()["piiControllers"]
    assert controller == {
        "piiController": "Example Shop Ltd",
        "contact": "Privacy Office",
        "address": {"streetAddress": "1 Example Street, 1000 Example City"},
        "email": "privacy@shop.example.com",
        "phone": "+00 000 000 000",
        "piiControllerUrl": "https://shop.example.com",
    }
    # The URL is optional in Kantara (MAY): no empty string stands in for it.
    no_url = replace(CONTEXT, controllers=(replace(CONTROLLER, url=""),))
    assert "piiControllerUrl" not in _receipt(context=no_url)["piiControllers"][0]


def test_each_purpose_has_every_kantara_field_with_its_type() -> None:
    [service] = _receipt()["services"]
    assert service["service"] == "Personalized recommendations at Example Shop"
    purposes = service["purposes"]
    assert [p["purpose"] for p in purposes] == [p.title for p in PURPOSES]
    for purpose in purposes:
        assert isinstance(purpose["purpose"], str)
        assert isinstance(purpose["purposeCategory"], list)
        assert purpose["consentType"] == "EXPLICIT"
        assert isinstance(purpose["piiCategory"], list)
        assert all(isinstance(c, str) for c in purpose["piiCategory"])
        assert isinstance(purpose["primaryPurpose"], bool)
        assert isinstance(purpose["termination"], str)
        assert isinstance(purpose["thirdPartyDisclosure"], bool)
    explicit, marketing, advertising, health, _ = purposes
    assert advertising["piiCategory"] == ["purchase_history", "browsing_history"]
    assert explicit["purposeCategory"] == ["personalization.explicit"]
    assert explicit["piiCategory"] == ["purchase_history", "explicit_feedback"]
    assert explicit["primaryPurpose"] is True
    assert marketing["primaryPurpose"] is False
    assert marketing["piiCategory"] == []
    assert health["purposeCategory"] == ["sensitive.health"]


def test_third_party_name_is_given_exactly_when_data_is_disclosed() -> None:
    purposes = _receipt()["services"][0]["purposes"]
    advertising = purposes[2]
    assert advertising["thirdPartyDisclosure"] is True
    assert advertising["thirdPartyName"] == "Ad partner A, Ad partner B"
    for other in purposes[:2] + purposes[3:]:
        assert other["thirdPartyDisclosure"] is False
        assert "thirdPartyName" not in other


def test_termination_says_until_withdrawn_and_the_longest_retention() -> None:
    purposes = _receipt()["services"][0]["purposes"]
    assert purposes[0]["termination"] == (
        "Until you withdraw this consent; the data it covers is kept at most 730 days "
        "and then deleted."
    )
    assert "at most 1 day " in purposes[1]["termination"]
    assert termination_text(180) in purposes[3]["termination"]


def test_sensitive_and_spi_categories_follow_the_purposes() -> None:
    receipt = _receipt()
    assert receipt["sensitive"] is True
    assert receipt["spiCat"] == ["gambling", "health"]  # sorted, each once
    plain = _receipt(purposes=(EXPLICIT, MARKETING))
    assert plain["sensitive"] is False
    assert plain["spiCat"] == []


def test_the_tactful_extension_records_each_decision_and_its_evidence() -> None:
    evidence: dict[str, Any] = {"user_agent": "Mozilla/5.0", "screens": ["notice", "choices"]}
    receipt = _receipt(evidence=evidence, method_code="api")
    assert receipt["tactful"] == {
        "notice_version": "2026-11-01",
        "method": "api",
        "choices": [
            {"purpose": p.code, "status": p.status, "legal_basis": p.legal_basis} for p in PURPOSES
        ],
        "ledger_sequences": [17, 18, 19],
        "evidence": {"user_agent": "Mozilla/5.0", "screens": ["notice", "choices"]},
    }
    statuses = {c["purpose"]: c["status"] for c in receipt["tactful"]["choices"]}
    assert statuses["marketing.email"] == "denied"
    assert statuses["sensitive.health"] == "withdrawn"
    # The receipt holds its own copy: changing the caller's evidence later changes nothing.
    evidence["screens"].append("later")
    assert receipt["tactful"]["evidence"]["screens"] == ["notice", "choices"]
    assert _receipt(evidence=None, ledger_sequences=())["tactful"]["evidence"] is None


def test_the_receipt_is_plain_json_and_the_same_input_gives_the_same_receipt() -> None:
    receipt = _receipt()
    assert json.loads(json.dumps(receipt, allow_nan=False)) == receipt
    assert _receipt() == receipt


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purposes": ()}, "purposes"),
        ({"subject_id": ""}, "subject_id"),
        ({"subject_id": "   "}, "subject_id"),
        ({"receipt_id": ""}, "receipt_id"),
        ({"collection_method": ""}, "collection_method"),
        ({"method_code": "carrier_pigeon"}, "method_code"),
        ({"issued_at": datetime(2026, 11, 2, 9, 30)}, "issued_at"),
        ({"purposes": (replace(EXPLICIT, status="maybe"),)}, "purposes.0.status"),
        ({"purposes": (replace(EXPLICIT, title=""),)}, "purposes.0.title"),
        ({"purposes": (replace(EXPLICIT, legal_basis=""),)}, "purposes.0.legal_basis"),
        ({"purposes": (replace(EXPLICIT, retention_days=0),)}, "purposes.0.retention_days"),
        ({"purposes": (replace(EXPLICIT, retention_days=True),)}, "purposes.0.retention_days"),
        ({"purposes": (EXPLICIT, EXPLICIT)}, "purposes.1.code"),
        (
            {"purposes": (replace(ADVERTISING, third_party_names=()),)},
            "purposes.0.third_party_names",
        ),
        (
            {"purposes": (replace(ADVERTISING, third_party_disclosure=False),)},
            "purposes.0.third_party_disclosure",
        ),
        ({"purposes": (replace(HEALTH, sensitive_category=""),)}, "purposes.0.sensitive_category"),
        ({"context": replace(CONTEXT, controllers=())}, "context.controllers"),
        ({"context": replace(CONTEXT, policy_url="shop.example.com")}, "context.policy_url"),
        ({"context": replace(CONTEXT, language="")}, "context.language"),
        ({"context": replace(CONTEXT, notice_version="")}, "context.notice_version"),
        (
            {"context": replace(CONTEXT, controllers=(replace(CONTROLLER, email=""),))},
            "context.controllers.0.email",
        ),
        ({"ledger_sequences": (3, -1)}, "ledger_sequences.1"),
        ({"evidence": {"when": datetime(2026, 1, 1, tzinfo=UTC)}}, "evidence"),
        ({"evidence": {"ratio": float("nan")}}, "evidence"),
    ],
)
def test_input_that_cannot_make_a_valid_receipt_is_refused(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _receipt(**overrides)
    assert field in _fields(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        _receipt(subject_id="", purposes=(), issued_at=datetime(2026, 1, 1))
    assert _fields(caught.value) == {"subject_id", "purposes", "issued_at"}


def test_an_empty_phone_is_accepted_because_the_notice_may_leave_it_out() -> None:
    context = replace(CONTEXT, controllers=(replace(CONTROLLER, phone=""),))
    assert _receipt(context=context)["piiControllers"][0]["phone"] == ""
