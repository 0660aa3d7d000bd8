"""The domain's sentences on the pages: every English template in `web.texts` writes exactly
what the domain records (so a translation always says what the record says), a record the
templates do not fit is shown as written, and numbers come out the reader's way.

The sentences are made by the domain's own functions (explanations, why, levels, the
fairness audit's checks, the messaging rules), never copied into this file by hand.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy import sparse

from tactful.consent.ledger import (
    ConsentMethod,
    ConsentRecord,
    ConsentState,
    ConsentStatus,
    derive_state,
)
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import (
    DEFAULT_PURPOSES,
    PERSONALIZATION_AGGREGATE,
    PERSONALIZATION_BEHAVIORAL,
    PERSONALIZATION_EXPLICIT,
)
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.explanations import why
from tactful.explanations.reasons import (
    Explanation,
    explain_cohort,
    explain_exploration,
    explain_personal,
    explain_pinned,
    explain_popular,
)
from tactful.fairness.audit import run_audit
from tactful.fairness.checks import SegmentReport, quality_checks, targeting_checks
from tactful.fairness.policy import BOUND_KINDS
from tactful.guardrails.copy import MAX_COPY_CHARS
from tactful.guardrails.policy import Channel
from tactful.messaging.rules import CHECK_ORDER, MessageDecision, decide_message
from tactful.metrics import GroupBreakdown
from tactful.metrics.groups import Gap
from tactful.metrics.targeting import AdverseImpact, GroupImpact, TargetingReport
from tactful.reports.audit import CHECK_LABELS
from tactful.service import Tactful
from tactful.web.catalogue import extract
from tactful.web.i18n import gettext_for
from tactful.web.texts import (
    AUDIT_CHECKS,
    CHECK_NAMES,
    CONTROLS,
    LEVEL_REASONS,
    MESSAGE_CHECKS,
    NO_VERB,
    NUMERIC,
    REASONS,
    SIGNALS,
    VERBS,
    Localizer,
    Part,
    Sentence,
    parse,
)
from tests.fairness.test_audit import make_data, tight_policy
from tests.messaging.test_rules import (
    MINOR,
    T0,
    consent_state,
    context,
    policy_with,
    request,
    sent_ago,
)

pytest_plugins = ["tests.trained_shop"]

ENGLISH = Localizer(gettext_for("en"))


def marked(message: str, **values: Any) -> str:
    """A stand-in translation that shows it was used: the template in brackets, filled."""
    return "[" + (message % values if values else message) + "]"


MARKED = Localizer(marked)


def unmarked(text: str) -> str:
    return re.sub(r"[\[\]]", "", text)


# -- explanations --------------------------------------------------------------------------
ITEM = Item("i1", "Trail shoes \u201cX\u201d 50% off", "running")
EDITORIAL = Item("i2", "Staff pick", "garden", editorial=True)
AT = datetime(2026, 9, 1, tzinfo=UTC)


def explanations() -> Iterator[Explanation]:
    """One explanation of every kind the domain writes."""
    purposes = frozenset({PERSONALIZATION_EXPLICIT})
    for kind in EventType:
        event = Event("s", kind, AT, ITEM.item_id)
        yield explain_personal((ITEM, event), frozenset({kind}), purposes, "v1")
    for n in range(len(EventType) + 1):
        for kinds in itertools.combinations(EventType, n):
            yield explain_personal(None, frozenset(kinds), purposes, "v1")
    for level, item, none in itertools.product(
        PersonalizationLevel, (ITEM, EDITORIAL), (True, False)
    ):
        yield explain_popular(level, item, "v1", had_no_signals=none)
    yield explain_exploration(purposes, "v1", personal=True)
    yield explain_exploration(frozenset(), "v1", personal=False)
    yield explain_pinned(frozenset(), "v1")
    aggregate = frozenset({PERSONALIZATION_AGGREGATE})
    for basis in ("cohort", "too_small", "no_cohort"):
        cohort = None if basis == "no_cohort" else "north, 25-34"
        yield explain_cohort(basis, cohort, 50, 0.5, aggregate, "v1")


def test_every_reason_code_writes_exactly_the_recorded_sentence() -> None:
    seen = set()
    for explanation in explanations():
        recorded = explanation.as_dict()
        assert recorded["reason_code"] in REASONS
        seen.add(recorded["reason_code"])
        assert ENGLISH.reason(recorded) == explanation.reason
        # The template was used (not the recorded text as a fallback), and says the same.
        shown = MARKED.reason(recorded)
        assert shown.startswith("[")
        assert shown != explanation.reason
        assert unmarked(shown) == unmarked(explanation.reason)
    assert seen == set(REASONS)


def test_overall_translates_each_verb_in_the_recorded_order() -> None:
    explanation = explain_personal(
        None, frozenset({EventType.SEARCH, EventType.PURCHASE, EventType.VIEW}), frozenset(), "v"
    )
    assert explanation.reason_args == {"signals": "purchase,search,view"}
    assert MARKED.reason(explanation.as_dict()) == (
        "[Picked from what you [bought], [searched for], [viewed] overall, not from one item "
        "in particular.]"
    )
    nothing = explain_personal(None, frozenset(), frozenset(), "v").as_dict()
    assert MARKED.reason(nothing) == (
        f"[Picked from what you [{NO_VERB}] overall, not from one item in particular.]"
    )


def test_a_record_made_before_codes_or_not_matching_its_code_is_shown_as_written() -> None:
    event = Event("s", EventType.PURCHASE, AT, ITEM.item_id)
    recorded = explain_personal((ITEM, event), frozenset(), frozenset(), "v").as_dict()
    old = {k: v for k, v in recorded.items() if k not in ("reason_code", "reason_args")}
    assert MARKED.reason(old) == recorded["reason"]
    for changed in (
        {"reason_code": "because.rating"},  # another verb than the recorded sentence's
        {"reason_args": {"title": "Another title"}},
        {"reason_args": {}},  # the title is missing
        {"reason_args": {"title": 3}},  # not text
        {"reason_args": ["title"]},
        {"reason_code": "because.teleport"},  # unknown
        {"reason_code": None, "reason_args": None},  # what why() gives for an old record
        {"reason": "Edited by hand."},
    ):
        assert MARKED.reason({**recorded, **changed}) == {**recorded, **changed}["reason"]
    overall = explain_personal(None, frozenset({EventType.RATING}), frozenset(), "v").as_dict()
    for signals in ("rating,teleport", "purchase", None):
        wrong = {**overall, "reason_args": {"signals": signals}}
        assert MARKED.reason(wrong) == overall["reason"]


def test_an_explanation_keeps_its_code_when_given_other_purposes() -> None:
    popular = explain_popular(PersonalizationLevel.OFF, ITEM, "v", had_no_signals=True)
    sensitive = popular.with_purposes(("sensitive.gambling",))
    assert sensitive.purposes == ("sensitive.gambling",)
    assert (sensitive.reason, sensitive.reason_code) == (popular.reason, "popular.off")


def test_an_explanation_with_arguments_stays_hashable() -> None:
    event = Event("s", EventType.PURCHASE, AT, ITEM.item_id)
    explanation = explain_personal((ITEM, event), frozenset(), frozenset(), "v")
    assert hash(explanation) == hash(explain_personal((ITEM, event), frozenset(), frozenset(), "v"))


# -- why: signals and controls ----------------------------------------------------------------
def test_signal_words_are_the_ones_why_writes() -> None:
    assert SIGNALS == why._SIGNAL_WORDS
    assert {e.value for e in EventType} == set(SIGNALS)
    assert {e.value for e in EventType} == set(VERBS)
    assert MARKED.signal("purchase") == "[what you bought]"
    assert MARKED.signal("telepathy") == "telepathy"


def _state(*granted: str) -> Any:
    records = [
        ConsentRecord("s", p, ConsentStatus.GRANTED, "v1", ConsentMethod.API, AT) for p in granted
    ]
    return derive_state("s", records)


def test_every_control_writes_exactly_its_label() -> None:
    decision = {"level": "basic"}
    seen = set()
    granted = (PERSONALIZATION_EXPLICIT, PERSONALIZATION_BEHAVIORAL)
    for personal, level_now in itertools.product((True, False), ("off", "basic", "full")):
        item = {
            "item_id": "i1",
            "title": "T",
            "rank": 1,
            "explanation": {
                "reason": "r",
                "personal": personal,
                "signals": ["purchase"],
                "purposes": list(granted),
                "model_version": "v",
            },
        }
        answer = why.why_item(decision, item, DEFAULT_PURPOSES, _state(*granted), level_now)
        assert (answer["reason_code"], answer["reason_args"]) == (None, None)
        for control in answer["controls"]:
            seen.add(control["code"])
            assert ENGLISH.control(control) == control["label"]
            shown = MARKED.control(control)
            assert shown == f"[{control['label']}]"
    assert seen == set(CONTROLS)
    withdraw = {"label": "Stop using my data for \u201cAds\u201d", "code": "withdraw_consent"}
    assert MARKED.control({**withdraw, "args": {"title": "Ads"}}) == f"[{withdraw['label']}]"
    assert MARKED.control({**withdraw, "args": {"title": "Other"}}) == withdraw["label"]
    assert MARKED.control({"label": "Old label"}) == "Old label"


# -- level reasons ------------------------------------------------------------------------------
def test_every_level_reason_writes_exactly_the_recorded_sentence() -> None:
    adult = SubjectAttributes(age_band=AgeBand.A25_34)
    minor = SubjectAttributes(age_band=AgeBand.UNDER_18)
    denied = derive_state(
        "s",
        [
            ConsentRecord(
                "s", PERSONALIZATION_EXPLICIT, ConsentStatus.DENIED, "v1", ConsentMethod.API, AT
            )
        ],
    )
    cases = [
        (_state(), minor),
        (_state(), adult),
        (denied, adult),
        (_state(PERSONALIZATION_EXPLICIT), adult),
        (_state(PERSONALIZATION_EXPLICIT, PERSONALIZATION_BEHAVIORAL), adult),
        (_state(PERSONALIZATION_AGGREGATE), adult),
    ]
    reasons = [derive_level(state, who).reason for state, who in cases]
    for reason in reasons:
        assert ENGLISH.level_reason(reason) == reason
        assert MARKED.level_reason(reason) == f"[{reason}]"
    assert sorted(reasons) == sorted(s.template for s in LEVEL_REASONS)
    assert MARKED.level_reason("Personalization is off, says the operator.") == (
        "Personalization is off, says the operator."
    )


# -- fairness audit checks ------------------------------------------------------------------------
def _audit_checks() -> list[dict[str, Any]]:
    """Checks of real audits: crossed and not, floors and ceilings, nothing measured, and
    targeting with several groups below the floor."""
    found = []
    for policy in (tight_policy(), tight_policy(quality_ratio=0.5, exposure_gini=0.557)):
        found += run_audit(make_data(), policy).as_dict()["checks"]
    empty = make_data(
        lists=np.zeros((0, 3), dtype=np.int64),
        list_person=np.zeros(0, dtype=np.int64),
        relevant=sparse.csr_array((0, 8)),
        segments=(),
    )
    found += run_audit(empty, tight_policy()).as_dict()["checks"]
    nan = float("nan")
    nobody = GroupBreakdown("age band", {}, {"mrr": Gap("mrr", "a", "b", 0.0, 0.0, 0.0, nan)})
    found += [c.as_dict() for c in quality_checks({"age band": nobody}, 10, "min", 0.8)]

    def impact(rate: str) -> AdverseImpact:
        groups = {
            "F": GroupImpact(0.2, 0.4, True, False),
            "M": GroupImpact(0.5, 1.0, False, False),
            "X": GroupImpact(0.3, 0.6, True, False),
            "Y": GroupImpact(0.35, 0.7, True, False),
            "Z": GroupImpact(0.1, 0.2, True, True),
        }
        return AdverseImpact(rate, "M", 0.5, groups)

    rates = ("eligible", "served", "converted")
    report = TargetingReport("gender", 0.8, 5, 0, {}, {r: impact(r) for r in rates})
    segment = SegmentReport("campaign", "spring sale", {"gender": report})
    found += [c.as_dict() for c in targeting_checks([segment], "min", 0.8)]
    return found


def test_every_audit_check_message_writes_exactly_the_recorded_sentence() -> None:
    checks = _audit_checks()
    used: set[str] = set()
    for check in checks:
        assert ENGLISH.check(check) == check["message"], check
        shown = MARKED.check(check)
        assert shown.startswith("[["), check
        assert unmarked(shown) == check["message"]
        _collect(parse(check["message"], AUDIT_CHECKS[check["check"]]), used)
    assert {c["check"] for c in checks} == set(AUDIT_CHECKS) == set(BOUND_KINDS)
    assert used == _templates(AUDIT_CHECKS.values())


def test_audit_numbers_are_written_the_readers_way() -> None:
    check = next(
        c
        for c in _audit_checks()
        if c["check"] == "provider_exposure_ratio" and "% of the exposure" in c["message"]
    )
    french = Localizer(marked, "fr").check(check)
    assert re.search(r"\d\.\d", check["message"])
    assert not re.search(r"\d\.\d", french), french
    assert re.search(r"\d,\d\xa0% of the exposure", french), french  # 12,5 % in French
    assert unmarked(Localizer(marked, "en").check(check)) == check["message"]
    assert Localizer(marked, "fr").number("1,234.5") == "1\u202f234,5"
    assert Localizer(marked, "fr").number("12.5%") == "12,5\xa0%"
    assert Localizer(marked, "fr").number("-0.75") == "-0,75"
    assert Localizer(marked, "en").number("1,234.5") == "1,234.5"


def test_a_check_message_the_templates_do_not_fit_is_shown_as_written() -> None:
    for check in (
        {"check": "coverage", "message": "Coverage was fine, said nobody."},
        {"check": "no_such_check", "message": "Anything at all; below the floor of 0.80."},
        {"message": "By gender, men got 0.77 of women's nDCG@3; below the floor of 0.80."},
        {"name": "cap", "passed": False, "detail": "Cap reached: the moon is full."},
        {
            "name": "teleport",
            "passed": True,
            "detail": "No purpose is configured for this channel.",
        },
    ):
        assert MARKED.check(check) == check.get("message", check.get("detail"))


# -- messaging checks ----------------------------------------------------------------------------
def _decisions() -> Iterator[MessageDecision]:
    """Messaging decisions that between them give every detail each rule can write."""
    yield decide_message(request(), context())
    yield decide_message(
        request(category="betting_lottery", profiled=True, copy="Hurry! Only 2 left!"),
        context(state=consent_state(granted=()), attributes=MINOR, self_excluded={"gambling"}),
    )
    no_sms = policy_with({}, drop_channels=["sms"])
    yield decide_message(request(channel=Channel.SMS), context(policy=no_sms))
    withdrawn = consent_state(granted=(), withdrawn=("marketing.email",))
    yield decide_message(request(), context(state=withdrawn))
    denied = derive_state(
        "ana",
        [
            ConsentRecord(
                "ana", "marketing.email", ConsentStatus.DENIED, "v1", ConsentMethod.API, T0
            )
        ],
    )
    yield decide_message(request(), context(state=denied))
    granted = consent_state()
    stale = ConsentState("ana", granted.choices, frozenset({"marketing.email"}))
    yield decide_message(request(), context(state=stale))
    for level in PersonalizationLevel:
        yield decide_message(request(profiled=True), context(level=level))
    yield decide_message(request(category="alcohol"), context(opted_in={"alcohol"}))
    yield decide_message(request(category="alcohol"), context(vulnerable=True))
    yield decide_message(request(category="clothes"), context(vulnerable=True))
    # Caps: within, reached (channel and overall, day and week), switched off, none at all.
    yield decide_message(request(), context(sent=sent_ago(23)))
    yield decide_message(request(), context(sent=sent_ago(30, 60, 90, 120, 150)))
    sent = [*sent_ago(1, 2, channel=Channel.PUSH), *sent_ago(3, channel=Channel.SMS)]
    yield decide_message(request(), context(sent=sent))
    weekly = policy_with({"messaging": {"overall": {"day": None, "week": 2}}})
    yield decide_message(request(channel=Channel.PUSH), context(policy=weekly, sent=sent))
    yield decide_message(
        request(channel=Channel.SMS),
        context(policy=policy_with({"messaging": {"channels": {"sms": {"cap": {"day": 0}}}}})),
    )
    yield decide_message(
        request(), context(policy=policy_with({"messaging": {"overall": {"week": 0}}}))
    )
    uncapped = {"day": None, "week": None}
    yield decide_message(
        request(),
        context(
            policy=policy_with(
                {"messaging": {"overall": uncapped, "channels": {"email": {"cap": uncapped}}}}
            )
        ),
    )
    # Fewer messages: for one channel and for all, 0, 1 and more sent this week.
    long_ago = sent_ago(30, 60, channel=Channel.EMAIL, engaged=True)
    yield decide_message(request(), context(fewer={"email"}, sent=long_ago))
    yield decide_message(request(), context(fewer={"email", "all"}, sent=long_ago[:1]))
    yield decide_message(request(), context(fewer={"all"}))
    # Fatigue (3 ignored, judged after 72 hours, one every 7 days): too few to judge, one
    # engaged, ignored with and without a message in the interval; 1 ignored, 1 day.
    yield decide_message(request(), context(sent=sent_ago(100, 200)))
    yield decide_message(request(), context(sent=sent_ago(100)))
    yield decide_message(
        request(), context(sent=[*sent_ago(100, 200), *sent_ago(300, engaged=True)])
    )
    yield decide_message(request(), context(sent=sent_ago(100, 200, 300)))
    yield decide_message(request(), context(sent=sent_ago(200, 300, 400)))
    yield decide_message(request(), context(sent=sent_ago(24 * 8, 24 * 9, 24 * 10)))
    one = policy_with({"messaging": {"fatigue": {"ignored": 1, "interval_days": 1}}})
    yield decide_message(request(), context(policy=one, sent=sent_ago(100)))
    yield decide_message(request(), context(policy=one, sent=sent_ago(48, 100)))
    yield decide_message(request(), context(policy=one))
    yield decide_message(request(), context(policy=one, sent=sent_ago(10, 100)))
    two = policy_with({"messaging": {"fatigue": {"ignored": 2, "interval_days": 1}}})
    yield decide_message(request(), context(policy=two, sent=sent_ago(100, 110)))
    yield decide_message(request(), context(policy=two, sent=sent_ago(90, 100)))
    yield decide_message(request(), context(policy=two, sent=sent_ago(10, 90, 100)))
    week = policy_with({"messaging": {"fatigue": {"ignored": 1}}})
    yield decide_message(request(), context(policy=week, sent=sent_ago(100)))
    yield decide_message(request(), context(policy=week, sent=sent_ago(24 * 9)))
    # Quiet hours: outside, inside (the person's zone, none, an unknown one), none set.
    paris = SubjectAttributes(age_band=AgeBand.A25_34, time_zone="Europe/Paris")
    yield decide_message(request(), context(attributes=paris))
    yield decide_message(request(now=T0 + timedelta(hours=10)), context(attributes=paris))
    yield decide_message(request(now=T0 + timedelta(hours=10)), context())
    lost = SubjectAttributes(age_band=AgeBand.A25_34, time_zone="Mars/Olympus_Mons")
    yield decide_message(request(), context(attributes=lost))
    quiet = {"messaging": {"quiet_hours": {"start": "08:00", "end": "08:00"}}}
    yield decide_message(request(), context(policy=policy_with(quiet)))
    # Copy: empty, too long, one and several passages, blocked and flagged.
    yield decide_message(request(copy=" "), context())
    yield decide_message(request(copy="a" * (MAX_COPY_CHARS + 1)), context())
    every = (
        "No thanks, I don't like saving money. After everything we've done for you, you "
        "leave? Flights from $49* - book. Start your free trial. Then $14.99/month, billed "
        "automatically. Drowning in debt? Cash in minutes. Hurry! Only 2 left! You could "
        "lose everything without cover."
    )
    flag = policy_with({"messaging": {"copy_check": "flag"}})
    for copy in ("Last chance!", "Hurry! Only 2 left!", every):
        yield decide_message(request(copy=copy), context())
        yield decide_message(request(copy=copy), context(policy=flag))


def test_every_messaging_detail_writes_exactly_the_recorded_sentence() -> None:
    used: set[str] = set()
    names: set[str] = set()
    for decision in _decisions():
        for check in decision.as_dict()["checks"]:
            names.add(check["name"])
            assert ENGLISH.check(check) == check["detail"], check
            shown = MARKED.check(check)
            assert shown.startswith("["), check
            assert unmarked(shown) == unmarked(check["detail"])
            _collect(parse(check["detail"], MESSAGE_CHECKS[check["name"]]), used)
        for reason in decision.as_dict()["reasons"]:
            assert MARKED.hold_reason(reason).startswith("[")
    assert names == set(CHECK_ORDER) == set(MESSAGE_CHECKS)
    # Every template is one the rules really write (none invented, none left untested),
    # except the copy-check error's, whose detail carries the checker's own message.
    missing = _templates(MESSAGE_CHECKS.values()) - used
    assert missing == {"The copy cannot be checked: %(problem)s"}


# -- all templates ------------------------------------------------------------------------------
def _collect(parsed: Any, into: set[str]) -> None:
    assert parsed is not None
    into.add(parsed.sentence.template)
    for value in parsed.values.values():
        for piece in value if isinstance(value, tuple) else ():
            if not isinstance(piece, str):
                _collect(piece, into)


def _sentences(tables: Any) -> Iterator[Sentence]:
    for table in tables:
        for sentence in table:
            yield sentence
            for part in sentence.parts.values():
                yield from _sentences([part.sentences])


def _templates(tables: Any) -> set[str]:
    return {s.template for s in _sentences(tables)}


def _example(sentence: Sentence, n: int) -> str:
    values: dict[str, str] = {}
    for name in re.findall(r"%\((\w+)\)s", sentence.template):
        part = sentence.parts.get(name)
        if part is not None:
            values[name] = _example(part.sentences[0], n) if part.sentences else "Z"
        else:
            values[name] = str(n) if name in NUMERIC else f"v{n} w"
    return sentence.template % values if values else sentence.template


def _tables() -> list[tuple[Sentence, ...]]:
    tables: list[tuple[Sentence, ...]] = [LEVEL_REASONS, *AUDIT_CHECKS.values()]
    tables += MESSAGE_CHECKS.values()
    stack = list(tables)
    while stack:
        for sentence in stack.pop():
            for part in sentence.parts.values():
                tables.append(part.sentences)
                stack.append(part.sentences)
    return tables


def test_each_template_reads_back_as_itself_not_an_earlier_one() -> None:
    for table in _tables():
        for n, sentence in enumerate(table, start=1):
            text = _example(sentence, n)
            parsed = parse(text, table)
            assert parsed is not None, text
            assert parsed.sentence is sentence, text
            assert ENGLISH._sentence(text, table) == text


def test_every_template_is_in_the_catalogue_with_its_placeholders() -> None:
    wanted = (
        set(REASONS.values())
        | set(VERBS.values())
        | {NO_VERB}
        | set(SIGNALS.values())
        | set(CONTROLS.values())
        | set(CHECK_NAMES.values())
        | _templates(_tables())
    )
    extracted = {str(m.id) for m in extract() if m.id}
    assert wanted - extracted == set()


def test_check_names_are_the_audit_reports_labels_and_the_rules_names() -> None:
    assert {k: CHECK_NAMES[k] for k in CHECK_LABELS} == CHECK_LABELS
    assert set(CHECK_NAMES) == set(CHECK_LABELS) | set(CHECK_ORDER)
    assert MARKED.check_name("quiet_hours") == "[Quiet hours]"
    assert MARKED.check_name("something_new") == "something_new"


def test_a_part_that_is_no_known_sentence_fails_the_whole_sentence() -> None:
    caps = MESSAGE_CHECKS["cap"]
    text = "Cap reached: 1 of 1 email messages in the last 24 hours; the moon is full."
    assert parse(text, caps) is None
    verbatim = Part((Sentence("known %(n)s"),), separator=", ", verbatim=True)
    sentence = Sentence("Found: %(things)s.", {"things": verbatim})
    # The separator is translated too (French puts a no-break space before a semicolon).
    assert MARKED._sentence("Found: known 2, unknown.", (sentence,)) == (
        "[Found: [known 2][, ]unknown.]"
    )


# -- recorded decisions, end to end --------------------------------------------------------------
def test_stored_decisions_and_why_carry_codes_that_write_their_reasons(service: Tactful) -> None:
    codes = set()
    for subject in ("alice", "bob", "carol", "dan", "erin"):
        made = service.recommend(subject, k=8)
        stored = service.decision(made["decision_id"])
        answer = service.why(subject, made["decision_id"])
        for item, explained in zip(stored["items"], answer["items"], strict=True):
            recorded = item["explanation"]
            assert (explained["reason_code"], explained["reason_args"]) == (
                recorded["reason_code"],
                recorded["reason_args"],
            )
            assert ENGLISH.reason(explained) == recorded["reason"]
            codes.add(recorded["reason_code"])
            assert MARKED.reason(recorded).startswith("["), recorded
            assert MARKED.reason(explained) == MARKED.reason(recorded)
            for control in explained["controls"]:
                assert MARKED.control(control) == f"[{control['label']}]"
        assert MARKED.level_reason(stored["level_reason"]) == f"[{stored['level_reason']}]"
    # alice and carol: because and overall; bob and dan: level off; erin: nothing usable.
    assert {"because.purchase", "overall", "popular.off", "popular.no_signals"} <= codes
