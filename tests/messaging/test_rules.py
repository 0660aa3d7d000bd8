"""decide_message(): channel, consent, profiling, sensitive, self-exclusion, vulnerability,
copy and the decision's shape. Caps, fatigue and quiet hours: test_rules_frequency.py and
test_rules_quiet.py. The builders here are shared by those files."""

from __future__ import annotations

import copy as copying
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tactful.consent.ledger import (
    ConsentMethod,
    ConsentRecord,
    ConsentState,
    ConsentStatus,
    derive_state,
)
from tactful.consent.levels import PersonalizationLevel
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.guardrails.copy import MAX_COPY_CHARS, CopyFacts, CopyPattern
from tactful.guardrails.policy import DEFAULT_POLICY, Channel, GuardrailPolicy
from tactful.messaging.rules import (
    AUTOMATED_LABEL,
    CHECK_ORDER,
    Campaign,
    Check,
    MessageContext,
    MessageDecision,
    MessageRequest,
    PastMessage,
    decide_message,
)

SUBJECT = "ana"
# A Monday at noon: outside the default quiet hours in UTC, the default zone.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MARKETING = ("marketing.email", "marketing.sms", "marketing.push")
FAIR = "Our spring catalogue is out: linen shirts and summer dresses, from 19 euros."
ADULT = SubjectAttributes(age_band=AgeBand.A25_34)
MINOR = SubjectAttributes(age_band=AgeBand.UNDER_18)

# --- builders ------------------------------------------------------------------------------


def _merge(into: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def policy_with(changes: Mapping[str, Any], drop_channels: Iterable[str] = ()) -> GuardrailPolicy:
    """The shipped policy with `changes` merged in, validated as an operator's file would be."""
    document = copying.deepcopy(DEFAULT_POLICY.as_dict())
    _merge(document, changes)
    for channel in drop_channels:
        del document["messaging"]["channels"][channel]
    return GuardrailPolicy.model_validate(document)


def consent_state(
    granted: Iterable[str] = MARKETING, withdrawn: Iterable[str] = ()
) -> ConsentState:
    """The state the ledger derives: grants a month ago, withdrawals (an unsubscribe or an
    objection to direct marketing) a week ago."""
    records = [
        ConsentRecord(
            SUBJECT, p, ConsentStatus.GRANTED, "v1", ConsentMethod.API, T0 - timedelta(days=30)
        )
        for p in granted
    ]
    records += [
        ConsentRecord(
            SUBJECT,
            p,
            ConsentStatus.WITHDRAWN,
            "v1",
            ConsentMethod.UNSUBSCRIBE,
            T0 - timedelta(days=7),
            sequence=100 + n,
        )
        for n, p in enumerate(withdrawn)
    ]
    return derive_state(SUBJECT, records)


def context(
    *,
    policy: GuardrailPolicy = DEFAULT_POLICY,
    state: ConsentState | None = None,
    attributes: SubjectAttributes = ADULT,
    level: PersonalizationLevel | None = None,
    opted_in: Iterable[str] = (),
    self_excluded: Iterable[str] = (),
    vulnerable: bool = False,
    fewer: Iterable[str] = (),
    sent: Iterable[PastMessage] = (),
) -> MessageContext:
    if level is None:
        level = PersonalizationLevel.OFF if attributes.is_minor else PersonalizationLevel.BASIC
    return MessageContext(
        subject=Subject(SUBJECT, attributes),
        state=consent_state() if state is None else state,
        level=level,
        policy=policy,
        opted_in_sensitive=frozenset(opted_in),
        self_excluded=frozenset(self_excluded),
        vulnerable=vulnerable,
        fewer_messages=frozenset(fewer),
        sent=sorted(sent, key=lambda m: m.sent_at, reverse=True),
    )


def request(
    *,
    channel: Channel = Channel.EMAIL,
    category: str | None = None,
    profiled: bool = False,
    copy: str = FAIR,
    facts: CopyFacts | None = None,
    generated: bool = False,
    now: datetime = T0,
) -> MessageRequest:
    return MessageRequest(
        subject_id=SUBJECT,
        channel=channel,
        campaign=Campaign("spring", "Spring catalogue", category, profiled),
        copy=copy,
        facts=facts or CopyFacts(),
        generated=generated,
        now=now,
    )


def sent_ago(
    *hours: float, channel: Channel = Channel.EMAIL, engaged: bool = False, now: datetime = T0
) -> list[PastMessage]:
    return [PastMessage(now - timedelta(hours=h), channel, engaged) for h in hours]


def check(decision: MessageDecision, name: str) -> Check:
    (found,) = [c for c in decision.checks if c.name == name]
    return found


def failed(decision: MessageDecision) -> list[str]:
    return [c.name for c in decision.checks if not c.passed]


# --- every rule, every time ----------------------------------------------------------------


def test_a_fair_message_with_consent_is_sent_and_every_rule_is_listed() -> None:
    decision = decide_message(request(), context())
    assert decision.send
    assert tuple(c.name for c in decision.checks) == CHECK_ORDER
    assert all(c.passed for c in decision.checks)
    assert decision.reasons == ()
    assert decision.retry_after is None
    assert decision.findings == ()


def test_a_hold_names_every_failed_rule_at_once() -> None:
    decision = decide_message(
        request(category="betting_lottery", profiled=True, copy="Hurry! Only 2 left!"),
        context(state=consent_state(granted=()), attributes=MINOR, self_excluded={"gambling"}),
    )
    assert not decision.send
    assert failed(decision) == [
        "consent",
        "profiling",
        "sensitive_category",
        "self_exclusion",
        "copy",
    ]
    assert decision.reasons == tuple(c.detail for c in decision.checks if not c.passed)
    assert decision.retry_after is None


# --- channel and consent -------------------------------------------------------------------


def test_a_channel_without_a_configured_purpose_is_held() -> None:
    policy = policy_with({}, drop_channels=["sms"])
    decision = decide_message(request(channel=Channel.SMS), context(policy=policy))
    assert failed(decision) == ["channel", "consent"]
    assert check(decision, "channel").detail == "No purpose is configured for this channel."
    assert decision.retry_after is None


def test_consent_to_one_channel_does_not_cover_another() -> None:
    ctx = context(state=consent_state(granted=["marketing.email"]))
    assert decide_message(request(channel=Channel.EMAIL), ctx).send
    decision = decide_message(request(channel=Channel.SMS), ctx)
    assert failed(decision) == ["consent"]
    assert "marketing.sms" in check(decision, "consent").detail


def test_no_choice_and_a_withdrawal_are_both_a_hold_naming_the_purpose() -> None:
    never = decide_message(request(), context(state=consent_state(granted=())))
    assert check(never, "consent").detail == "No consent to marketing.email has been given."
    # An unsubscribe or an objection to direct marketing reaches the ledger as a withdrawal.
    gone = decide_message(request(), context(state=consent_state(withdrawn=["marketing.email"])))
    assert not gone.send
    assert check(gone, "consent").detail == "Consent to marketing.email is withdrawn."


def test_a_grant_to_an_outdated_notice_does_not_count() -> None:
    granted = consent_state()
    stale = ConsentState(SUBJECT, granted.choices, frozenset({"marketing.email"}))
    decision = decide_message(request(), context(state=stale))
    assert failed(decision) == ["consent"]
    assert "older notice" in check(decision, "consent").detail


# --- profiling -----------------------------------------------------------------------------


def test_a_minor_never_gets_a_profiled_message() -> None:
    decision = decide_message(request(profiled=True), context(attributes=MINOR))
    assert failed(decision) == ["profiling"]
    detail = check(decision, "profiling").detail
    assert "minor" in detail
    assert "DSA Art. 28" in detail


def test_a_minor_whose_level_was_wrongly_recorded_is_still_refused_profiling() -> None:
    ctx = context(attributes=MINOR, level=PersonalizationLevel.FULL)
    assert failed(decide_message(request(profiled=True), ctx)) == ["profiling"]


def test_a_minor_may_get_an_unprofiled_message() -> None:
    decision = decide_message(request(profiled=False), context(attributes=MINOR))
    assert decision.send
    assert check(decision, "profiling").detail == "Not a profiled campaign."


def test_level_off_refuses_a_profiled_campaign_and_basic_allows_it() -> None:
    off = decide_message(request(profiled=True), context(level=PersonalizationLevel.OFF))
    assert failed(off) == ["profiling"]
    assert "off" in check(off, "profiling").detail
    assert decide_message(request(profiled=True), context(level=PersonalizationLevel.BASIC)).send


# --- sensitive categories, self-exclusion, vulnerability -----------------------------------


@pytest.mark.parametrize("category", ["betting_lottery", "gambling"])
def test_a_sensitive_campaign_needs_the_opt_in_by_catalog_category_or_code(category: str) -> None:
    held = decide_message(request(category=category), context())
    assert failed(held) == ["sensitive_category"]
    assert "Gambling and betting" in check(held, "sensitive_category").detail
    assert decide_message(request(category=category), context(opted_in={"gambling"})).send


def test_an_opt_in_to_another_sensitive_category_does_not_count() -> None:
    decision = decide_message(request(category="wine_spirits"), context(opted_in={"gambling"}))
    assert failed(decision) == ["sensitive_category"]
    assert "Alcohol" in check(decision, "sensitive_category").detail


def test_an_ordinary_category_needs_no_opt_in() -> None:
    decision = decide_message(request(category="shoes"), context())
    assert decision.send
    assert check(decision, "sensitive_category").detail == "Not a sensitive category."


def test_a_category_the_operator_did_not_declare_sensitive_needs_no_opt_in() -> None:
    document = copying.deepcopy(DEFAULT_POLICY.as_dict())
    document["sensitive"] = [s for s in document["sensitive"] if s["code"] != "alcohol"]
    document["protection"]["self_excludable"] = ["gambling"]
    document["protection"]["harm_prone"] = ["gambling"]
    policy = GuardrailPolicy.model_validate(document)
    assert decide_message(request(category="wine_spirits"), context(policy=policy)).send


def test_self_exclusion_reaches_the_catalog_categories_of_the_code() -> None:
    # Opted in to gambling, then excluded themselves: the exclusion wins.
    ctx = context(opted_in={"gambling"}, self_excluded={"gambling"})
    decision = decide_message(request(category="betting_lottery"), ctx)
    assert failed(decision) == ["self_exclusion"]
    assert "Gambling and betting" in check(decision, "self_exclusion").detail


def test_excluding_a_catalog_category_covers_a_campaign_for_the_whole_code() -> None:
    ctx = context(opted_in={"gambling"}, self_excluded={"betting_lottery"})
    assert failed(decide_message(request(category="gambling"), ctx)) == ["self_exclusion"]


def test_self_exclusion_leaves_other_categories_alone() -> None:
    ctx = context(opted_in={"gambling"}, self_excluded={"alcohol"})
    assert decide_message(request(category="betting_lottery"), ctx).send
    assert decide_message(request(category=None), ctx).send


def test_a_vulnerable_person_never_gets_a_harm_prone_category_even_opted_in() -> None:
    opted = {"alcohol", "religion"}
    vulnerable = context(opted_in=opted, vulnerable=True)
    decision = decide_message(request(category="wine_spirits"), vulnerable)
    assert failed(decision) == ["vulnerability"]
    assert "harm-prone" in check(decision, "vulnerability").detail
    # Religion is sensitive but not harm-prone; and without the flag alcohol may go.
    assert decide_message(request(category="religion"), vulnerable).send
    assert decide_message(request(category="wine_spirits"), context(opted_in=opted)).send


def test_an_operator_can_mark_a_catalog_category_harm_prone() -> None:
    policy = policy_with({"protection": {"harm_prone": ["energy_drinks"]}})
    ctx = context(policy=policy, vulnerable=True)
    assert failed(decide_message(request(category="energy_drinks"), ctx)) == ["vulnerability"]
    assert decide_message(request(category="energy_drinks"), context(policy=policy)).send


# --- copy ----------------------------------------------------------------------------------

PUSHY = "Hurry! Only 2 left - this offer ends tonight!"


def test_manipulative_copy_is_held_when_the_policy_blocks() -> None:
    decision = decide_message(request(copy=PUSHY), context())
    assert failed(decision) == ["copy"]
    assert decision.findings
    assert {f.pattern for f in decision.findings} >= {
        CopyPattern.FALSE_URGENCY,
        CopyPattern.FALSE_SCARCITY,
    }
    assert decision.retry_after is None


def test_manipulative_copy_goes_with_its_findings_when_the_policy_only_flags() -> None:
    policy = policy_with({"messaging": {"copy_check": "flag"}})
    decision = decide_message(request(copy=PUSHY), context(policy=policy))
    assert decision.send
    copy_check = check(decision, "copy")
    assert copy_check.passed
    assert f"{len(decision.findings)} manipulative passages" in copy_check.detail
    assert "flagged" in copy_check.detail
    assert len(decision.as_dict()["copy_findings"]) == len(decision.findings)


def test_a_real_stock_figure_makes_a_scarcity_claim_fair() -> None:
    decision = decide_message(request(copy="Only 2 left in blue."), context())
    assert failed(decision) == ["copy"]
    backed = decide_message(
        request(copy="Only 2 left in blue.", facts=CopyFacts(stock=2)), context()
    )
    assert backed.send


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_copy_is_held_not_raised(text: str) -> None:
    decision = decide_message(request(copy=text), context())
    assert failed(decision) == ["copy"]
    assert check(decision, "copy").detail == "The copy is empty."


def test_copy_over_the_limit_is_held_not_raised() -> None:
    decision = decide_message(request(copy="a" * (MAX_COPY_CHARS + 1)), context())
    assert failed(decision) == ["copy"]
    assert "longer than" in check(decision, "copy").detail
    assert decide_message(request(copy="Fine. " * (MAX_COPY_CHARS // 6)), context()).send


@pytest.mark.parametrize(
    "text",
    [
        "春の新作が入荷しました。リネンのシャツとワンピースをご覧ください。",
        "وصلت مجموعة الربيع الجديدة: قمصان الكتان والفساتين الصيفية.",
        "🌸🌿✨ 👗👕",
        "שלום! Новая коллекция 🌸 ที่นี่ \u200f\u202e reversed \u202c",
        "e\u0301te\u0301 \U0001f1eb\U0001f1f7 Z\u0351\u0308a\u0352\u0307l\u0353\u0300go",
    ],
)
def test_copy_in_any_script_is_judged_without_error(text: str) -> None:
    decision = decide_message(request(copy=text), context())
    assert check(decision, "copy").passed
    assert decision.send
    json.dumps(decision.as_dict())


def test_findings_point_into_the_original_copy_after_emoji() -> None:
    text = "🌸🌸 Spring is here 🌸 Hurry, ends tonight!"
    decision = decide_message(request(copy=text), context())
    assert decision.findings
    for finding in decision.as_dict()["copy_findings"]:
        assert text[finding["start"] : finding["end"]] == finding["text"]
        assert finding["pattern"] in {p.value for p in CopyPattern}
        assert finding["why"]


# --- the answer's shape --------------------------------------------------------------------


def test_as_dict_of_a_send() -> None:
    answer = decide_message(request(), context()).as_dict()
    assert set(answer) == {
        "decision",
        "checks",
        "reasons",
        "copy_findings",
        "time_zone",
        "time_zone_defaulted",
        "retry_after",
        "disclosure",
    }
    assert answer["decision"] == "send"
    assert [c["name"] for c in answer["checks"]] == list(CHECK_ORDER)
    assert all(set(c) == {"name", "passed", "detail"} for c in answer["checks"])
    assert answer["reasons"] == []
    assert answer["copy_findings"] == []
    assert answer["time_zone"] == "UTC"
    assert answer["time_zone_defaulted"] is True
    assert answer["retry_after"] is None
    assert answer["disclosure"] == {
        "automated": True,
        "label": AUTOMATED_LABEL,
        "generated_content": False,
    }
    json.dumps(answer)


def test_as_dict_of_a_hold_with_a_retry_and_generated_copy() -> None:
    ctx = context(sent=sent_ago(2))
    answer = decide_message(request(generated=True), ctx).as_dict()
    assert answer["decision"] == "hold"
    assert answer["reasons"] == ["Cap reached: 1 of 1 email messages in the last 24 hours."]
    assert answer["retry_after"] == "2026-03-03T10:00:00+00:00"
    assert answer["disclosure"]["generated_content"] is True
    assert answer["disclosure"]["label"].startswith(AUTOMATED_LABEL)
    assert "written by AI" in answer["disclosure"]["label"]
