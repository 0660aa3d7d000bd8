"""Properties of decide_message for any policy, consent state, protections and history.

Each example sends a sequence of requests to one person, appending every "send" to their
history as the store does, and checks every answer against rules restated here by brute
force: no rolling window over any cap, nothing in quiet hours, nothing profiled to a minor,
nothing self-excluded, nothing sensitive without opt-in, and a `retry_after` that works.
"""

from __future__ import annotations

import copy as copying
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tactful.consent.levels import PersonalizationLevel
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.guardrails.policy import DEFAULT_POLICY, Cap, Channel, GuardrailPolicy, is_time_zone
from tactful.messaging.rules import (
    CHECK_ORDER,
    MessageContext,
    MessageDecision,
    MessageRequest,
    PastMessage,
    decide_message,
)
from tests.messaging.test_rules import FAIR, MARKETING, consent_state, context, request

DAY = timedelta(hours=24)
WEEK = timedelta(days=7)
TIME_BOUND = {"cap", "fewer_messages", "fatigue", "quiet_hours"}
ZONES = [
    None,
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Not/A_Zone",
]
# Around the 2026 DST changes of Europe, Lord Howe and the USA, and an ordinary day.
STARTS = [
    datetime(2026, 3, 28, 18, tzinfo=UTC),
    datetime(2026, 4, 4, 10, tzinfo=UTC),
    datetime(2026, 10, 31, 20, tzinfo=UTC),
    datetime(2026, 3, 2, 12, tzinfo=UTC),
]
CAMPAIGNS = [
    (None, False),
    ("shoes", True),
    ("betting_lottery", False),
    ("gambling", True),
    ("wine_spirits", False),
    ("religion", True),
    ("payday_loans", False),
]
COPIES = [FAIR, FAIR, FAIR, "Hurry! Only 2 left!", "春の新作が入荷しました 🌸", ""]
SENSITIVE = sorted(DEFAULT_POLICY.sensitive_codes)
sensitive = st.sampled_from(SENSITIVE)
excludable = st.sampled_from(["gambling", "alcohol", "betting_lottery"])

# Caps of 0 are drawn, but not so often that nothing is ever sent.
day_caps = st.sampled_from([None, None, 0, 1, 1, 2, 3, 4])
week_caps = st.sampled_from([None, None, 0, 1, 2, 3, 5, 8, 12])


@st.composite
def policies(draw: st.DrawFn) -> GuardrailPolicy:
    document: dict[str, Any] = copying.deepcopy(DEFAULT_POLICY.as_dict())
    messaging = document["messaging"]
    messaging["overall"] = {"day": draw(day_caps), "week": draw(week_caps)}
    for channel in list(messaging["channels"]):
        if draw(st.integers(0, 9)) == 0:
            del messaging["channels"][channel]
        else:
            messaging["channels"][channel]["cap"] = {"day": draw(day_caps), "week": draw(week_caps)}
    messaging["fewer_messages_per_week"] = draw(st.integers(0, 3))
    messaging["fatigue"] = {
        "ignored": draw(st.integers(1, 4)),
        "judge_after_hours": draw(st.integers(1, 96)),
        "interval_days": draw(st.integers(1, 8)),
    }
    clock = st.tuples(st.integers(0, 23), st.sampled_from([0, 30]))
    (h1, m1), (h2, m2) = draw(st.one_of(st.just(((0, 0), (0, 0))), st.tuples(clock, clock)))
    messaging["quiet_hours"] = {"start": f"{h1:02d}:{m1:02d}", "end": f"{h2:02d}:{m2:02d}"}
    messaging["default_time_zone"] = draw(st.sampled_from(["UTC", "Europe/Berlin", "Asia/Tokyo"]))
    messaging["copy_check"] = draw(st.sampled_from(["block", "flag"]))
    return GuardrailPolicy.model_validate(document)


@st.composite
def contexts(draw: st.DrawFn, policy: GuardrailPolicy, start: datetime) -> MessageContext:
    minor = draw(st.integers(0, 3)) == 0
    attributes = SubjectAttributes(
        age_band=AgeBand.UNDER_18 if minor else AgeBand.A45_54,
        time_zone=draw(st.sampled_from(ZONES)),
    )
    levels = st.sampled_from(list(PersonalizationLevel))
    history = draw(
        st.lists(
            st.tuples(st.integers(1, 400), st.sampled_from(list(Channel)), st.booleans()),
            max_size=10,
        )
    )
    return context(
        policy=policy,
        state=consent_state(
            granted=draw(st.one_of(st.just(MARKETING), st.sets(st.sampled_from(MARKETING))))
        ),
        attributes=attributes,
        level=PersonalizationLevel.OFF if minor else draw(levels),
        opted_in=() if minor else draw(st.one_of(st.just(SENSITIVE), st.sets(sensitive))),
        self_excluded=draw(st.one_of(st.just(()), st.sets(excludable))),
        vulnerable=draw(st.integers(0, 3)) == 0,
        fewer=draw(
            st.one_of(st.just(()), st.sets(st.sampled_from(["email", "sms", "push", "all"])))
        ),
        sent=[PastMessage(start - timedelta(hours=h), c, e) for h, c, e in history],
    )


@dataclass(frozen=True)
class Step:
    wait_minutes: int
    channel: Channel
    campaign: tuple[str | None, bool]
    copy: str
    engaged: bool


steps = st.builds(
    Step,
    st.integers(0, 12 * 60),
    st.sampled_from(list(Channel)),
    st.sampled_from(CAMPAIGNS),
    st.sampled_from(COPIES),
    st.booleans(),
)


# --- the rules restated by brute force -----------------------------------------------------


def _count(sent: list[PastMessage], at: datetime, window: timedelta, channel: str | None) -> int:
    return sum(1 for m in sent if at - window < m.sent_at <= at and channel in (None, m.channel))


def _codes(policy: GuardrailPolicy, category: str | None) -> set[str]:
    return {
        s.code
        for s in policy.sensitive
        if category is not None and (category == s.code or category in s.catalog_categories)
    }


def _caps_hold(policy: GuardrailPolicy, sent: list[PastMessage], channel: Channel) -> None:
    """After a send on `channel`, no window ending then holds more than its cap, for the
    channel or overall (the history before may already be over another channel's cap)."""
    at = sent[0].sent_at
    scopes: list[tuple[Cap, str | None]] = [(policy.messaging.overall, None)]
    configured = policy.messaging.channels.get(channel)
    if configured is not None:
        scopes.append((configured.cap, channel.value))
    for cap, only in scopes:
        for limit, window in ((cap.day, DAY), (cap.week, WEEK)):
            if limit is not None:
                assert _count(sent, at, window, only) <= limit, (only, window, limit)


def _fatigue_allows(ctx: MessageContext, before: list[PastMessage], at: datetime) -> bool:
    fatigue = ctx.policy.messaging.fatigue
    judge = timedelta(hours=fatigue.judge_after_hours)
    judged = [m for m in before if m.engaged or at - m.sent_at > judge][: fatigue.ignored]
    if len(judged) < fatigue.ignored or any(m.engaged for m in judged):
        return True
    return all(m.sent_at <= at - timedelta(days=fatigue.interval_days) for m in before)


def _check_send(ctx: MessageContext, req: MessageRequest, before: list[PastMessage]) -> None:
    policy, campaign = ctx.policy, req.campaign
    configured = policy.messaging.channels.get(req.channel)
    assert configured is not None
    assert ctx.state.is_granted(configured.purpose)
    assert not (campaign.profiled and ctx.subject.attributes.is_minor)
    assert not (campaign.profiled and ctx.level is PersonalizationLevel.OFF)
    codes = _codes(policy, campaign.category)
    assert codes <= ctx.opted_in_sensitive
    named = codes | ({campaign.category} if campaign.category else set())
    if campaign.category in policy.sensitive_codes:
        named |= {
            c for s in policy.sensitive if s.code == campaign.category for c in s.catalog_categories
        }
    assert not named & ctx.self_excluded
    assert not (ctx.vulnerable and named & set(policy.protection.harm_prone))
    zone = ctx.subject.attributes.time_zone
    zone = zone if zone is not None and is_time_zone(zone) else policy.messaging.default_time_zone
    local = req.now.astimezone(ZoneInfo(zone)).time()
    assert not policy.messaging.quiet_hours.covers(local)
    limit = policy.messaging.fewer_messages_per_week
    if req.channel.value in ctx.fewer_messages:
        assert _count(before, req.now, WEEK, req.channel.value) < limit
    if "all" in ctx.fewer_messages:
        assert _count(before, req.now, WEEK, None) < limit
    assert _fatigue_allows(ctx, before, req.now)
    assert req.copy.strip()


def _check_shape(decision: MessageDecision) -> None:
    assert tuple(c.name for c in decision.checks) == CHECK_ORDER
    assert decision.send == all(c.passed for c in decision.checks)
    assert decision.reasons == tuple(c.detail for c in decision.checks if not c.passed)
    assert all(c.detail for c in decision.checks)
    if decision.retry_after is not None:
        assert not decision.send
        assert {c.name for c in decision.checks if not c.passed} <= TIME_BOUND


def _simulate(ctx: MessageContext, start: datetime, sequence: list[Step]) -> None:
    """Ask for each step's message in turn, keeping every "send" in the history."""
    sent = list(ctx.sent)
    now = start
    for step in sequence:
        now += timedelta(minutes=step.wait_minutes)
        category, profiled = step.campaign
        req = request(
            channel=step.channel, category=category, profiled=profiled, copy=step.copy, now=now
        )
        asked = replace(ctx, sent=list(sent))
        decision = decide_message(req, asked)
        _check_shape(decision)
        if decision.retry_after is not None:
            assert decision.retry_after > now
            # Nothing else happening, the same message is sent at the moment given.
            assert decide_message(replace(req, now=decision.retry_after), asked).send
        if decision.send:
            _check_send(asked, req, sent)
            sent.insert(0, PastMessage(now, step.channel, step.engaged))
            _caps_hold(ctx.policy, sent, step.channel)


@settings(max_examples=200, deadline=None)
@given(
    policy=policies(),
    start=st.sampled_from(STARTS),
    data=st.data(),
    sequence=st.lists(steps, min_size=1, max_size=20),
)
def test_no_sequence_of_decisions_breaks_a_rule(
    policy: GuardrailPolicy, start: datetime, data: st.DataObject, sequence: list[Step]
) -> None:
    _simulate(data.draw(contexts(policy, start)), start, sequence)


frequent = st.builds(
    Step,
    st.integers(0, 6 * 60),
    st.sampled_from(list(Channel)),
    st.just((None, False)),
    st.just(FAIR),
    st.booleans(),
)


@settings(max_examples=120, deadline=None)
@given(
    policy=policies(),
    start=st.sampled_from(STARTS),
    zone=st.sampled_from(ZONES),
    fewer=st.one_of(st.just(()), st.sets(st.sampled_from(["email", "sms", "push", "all"]))),
    history=st.lists(
        st.tuples(st.integers(1, 200), st.sampled_from(list(Channel)), st.booleans()),
        max_size=6,
    ),
    sequence=st.lists(frequent, min_size=1, max_size=30),
)
def test_a_person_who_may_be_messaged_is_never_messaged_over_a_limit(
    policy: GuardrailPolicy,
    start: datetime,
    zone: str | None,
    fewer: set[str],
    history: list[tuple[int, Channel, bool]],
    sequence: list[Step],
) -> None:
    """Consent given, fair copy, nothing sensitive: only caps, "too many messages", fatigue
    and quiet hours stand between the requests and the person, and they hold."""
    ctx = context(
        policy=policy,
        attributes=SubjectAttributes(age_band=AgeBand.A25_34, time_zone=zone),
        fewer=fewer,
        sent=[PastMessage(start - timedelta(hours=h), c, e) for h, c, e in history],
    )
    _simulate(ctx, start, sequence)
