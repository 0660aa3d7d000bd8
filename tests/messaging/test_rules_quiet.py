"""Quiet hours in the person's time zone: wrap past midnight, defaults, DST nights."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.guardrails.policy import QuietHours
from tactful.messaging.quiet import next_quiet_end
from tactful.messaging.rules import decide_message
from tests.messaging.test_rules import check, context, failed, policy_with, request

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def person(zone: str | None) -> SubjectAttributes:
    return SubjectAttributes(age_band=AgeBand.A35_44, time_zone=zone)


def quiet(start: str, end: str) -> dict[str, object]:
    return {"messaging": {"quiet_hours": {"start": start, "end": end}}}


@pytest.mark.parametrize(
    ("hour", "minute", "held", "ends"),
    [
        (20, 59, False, None),
        (21, 0, True, at(2026, 3, 3, 8)),  # the start is inside
        (23, 30, True, at(2026, 3, 3, 8)),
        (0, 0, True, at(2026, 3, 2, 8)),  # past midnight: today's 08:00
        (2, 0, True, at(2026, 3, 2, 8)),
        (7, 59, True, at(2026, 3, 2, 8)),
        (8, 0, False, None),  # the end is outside
    ],
)
def test_default_quiet_hours_wrap_past_midnight(
    hour: int, minute: int, held: bool, ends: datetime | None
) -> None:
    decision = decide_message(request(now=at(2026, 3, 2, hour, minute)), context())
    assert (failed(decision) == ["quiet_hours"]) is held
    assert decision.retry_after == ends


def test_a_person_without_a_time_zone_gets_the_policy_default() -> None:
    decision = decide_message(request(now=at(2026, 3, 2, 22)), context(attributes=person(None)))
    assert decision.time_zone == "UTC"
    assert decision.time_zone_defaulted
    assert "the default, since the person has no time zone" in check(decision, "quiet_hours").detail


def test_the_operator_can_set_another_default_zone() -> None:
    policy = policy_with({"messaging": {"default_time_zone": "America/New_York"}})
    # 22:00 UTC is 17:00 in New York: outside quiet hours there.
    decision = decide_message(request(now=at(2026, 3, 2, 22)), context(policy=policy))
    assert decision.send
    assert decision.time_zone == "America/New_York"
    assert decision.time_zone_defaulted


def test_an_unknown_stored_zone_falls_back_to_the_default() -> None:
    decision = decide_message(request(), context(attributes=person("Mars/Olympus_Mons")))
    assert decision.time_zone == "UTC"
    assert decision.time_zone_defaulted
    assert "zone is unknown" in check(decision, "quiet_hours").detail


def test_quiet_hours_are_judged_on_the_persons_clock() -> None:
    tokyo = context(attributes=person("Asia/Tokyo"))
    # Noon UTC is 21:00 in Tokyo: quiet until 08:00 there, 23:00 UTC.
    decision = decide_message(request(now=at(2026, 3, 2, 12)), tokyo)
    assert failed(decision) == ["quiet_hours"]
    assert decision.time_zone == "Asia/Tokyo"
    assert not decision.time_zone_defaulted
    assert check(decision, "quiet_hours").detail == (
        "It is 21:00 in Asia/Tokyo, inside quiet hours (21:00 to 08:00); "
        "they end at 08:00 local time."
    )
    assert decision.retry_after == at(2026, 3, 2, 23)
    # 23:00 UTC is 08:00 in Tokyo, and 23:00 in UTC is quiet for the person without a zone.
    assert decide_message(request(now=at(2026, 3, 2, 23)), tokyo).send
    assert not decide_message(request(now=at(2026, 3, 2, 23)), context()).send


def test_start_equal_to_end_means_no_quiet_hours() -> None:
    policy = policy_with(quiet("00:00", "00:00"))
    for hour in (0, 3, 12, 23):
        decision = decide_message(request(now=at(2026, 3, 2, hour)), context(policy=policy))
        assert decision.send
        assert check(decision, "quiet_hours").detail == "No quiet hours are set."


def test_quiet_hours_within_one_day() -> None:
    policy = policy_with(quiet("13:00", "14:30"))
    held = decide_message(request(now=at(2026, 3, 2, 13, 15)), context(policy=policy))
    assert failed(held) == ["quiet_hours"]
    assert held.retry_after == at(2026, 3, 2, 14, 30)
    assert decide_message(request(now=at(2026, 3, 2, 23)), context(policy=policy)).send


def test_berlin_spring_forward_night_ends_at_eight_summer_time() -> None:
    # 22:00 CET on 28 March 2026; the clocks go from 02:00 to 03:00 that night.
    decision = decide_message(
        request(now=at(2026, 3, 28, 21)), context(attributes=person("Europe/Berlin"))
    )
    assert failed(decision) == ["quiet_hours"]
    # 08:00 CEST is 06:00 UTC, not 07:00 as the evening's offset would say.
    assert decision.retry_after == at(2026, 3, 29, 6)
    assert decision.retry_after.astimezone(BERLIN).time() == time(8, 0)


def test_new_york_fall_back_night_ends_at_eight_standard_time() -> None:
    # 22:00 EDT on 31 October 2026; the clocks go from 02:00 back to 01:00 on 1 November.
    decision = decide_message(
        request(now=at(2026, 11, 1, 2)), context(attributes=person("America/New_York"))
    )
    assert failed(decision) == ["quiet_hours"]
    assert decision.retry_after == at(2026, 11, 1, 13)
    assert decision.retry_after.astimezone(NEW_YORK).time() == time(8, 0)
    # 07:30 EST (12:30 UTC) is still quiet, though 07:30 EDT would not have been.
    assert not decide_message(
        request(now=at(2026, 11, 1, 12, 30)), context(attributes=person("America/New_York"))
    ).send


def test_an_end_the_clocks_skip_ends_at_the_jump() -> None:
    # Quiet until 02:30 in Berlin; on 29 March 2026 the clock jumps from 02:00 to 03:00.
    hours = QuietHours(start=time(21, 0), end=time(2, 30))
    end = next_quiet_end(hours, BERLIN, at(2026, 3, 28, 22))
    assert end == at(2026, 3, 29, 1)
    assert end.astimezone(BERLIN).time() == time(3, 0)
    assert hours.covers((end - timedelta(seconds=1)).astimezone(BERLIN).time())
    assert not hours.covers(end.astimezone(BERLIN).time())


def test_an_end_the_clocks_pass_twice_ends_the_first_time_and_again_after_the_repeat() -> None:
    # Quiet until 01:30 in New York; on 1 November 2026 01:00-02:00 happens twice.
    hours = QuietHours(start=time(21, 0), end=time(1, 30))
    first = next_quiet_end(hours, NEW_YORK, at(2026, 11, 1, 3))  # 23:00 EDT
    assert first == at(2026, 11, 1, 5, 30)  # 01:30 EDT
    # After the clocks fall back, 01:10 EST is quiet again, until 01:30 EST.
    assert hours.covers(at(2026, 11, 1, 6, 10).astimezone(NEW_YORK).time())
    again = next_quiet_end(hours, NEW_YORK, at(2026, 11, 1, 6, 10))
    assert again == at(2026, 11, 1, 6, 30)


@pytest.mark.parametrize(
    "zone",
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"],
)
def test_the_end_of_quiet_hours_is_always_outside_them_and_quiet_until_then(zone: str) -> None:
    info = ZoneInfo(zone)
    hours = QuietHours(start=time(22, 0), end=time(2, 30))
    moment = at(2026, 3, 27, 0)
    while moment < at(2026, 4, 8, 0):  # both DST changes of Lord Howe and Europe in range
        if hours.covers(moment.astimezone(info).time()):
            end = next_quiet_end(hours, info, moment)
            assert end > moment
            assert not hours.covers(end.astimezone(info).time())
            # Every quarter hour up to the end is still quiet.
            probe = moment
            while probe < end:
                assert hours.covers(probe.astimezone(info).time())
                probe += timedelta(minutes=15)
        moment += timedelta(minutes=25)
