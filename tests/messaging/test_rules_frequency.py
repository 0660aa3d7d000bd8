"""Caps over rolling windows, "too many messages", fatigue, and when a hold clears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tactful.guardrails.policy import Channel
from tactful.messaging.rules import PastMessage, decide_message
from tests.messaging.test_rules import (
    T0,
    check,
    context,
    failed,
    policy_with,
    request,
    sent_ago,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# --- caps ----------------------------------------------------------------------------------


def test_the_channel_day_cap_holds_until_the_counted_message_leaves_the_window() -> None:
    assert decide_message(request(), context()).send  # email: 1 a day
    decision = decide_message(request(), context(sent=sent_ago(23)))
    assert failed(decision) == ["cap"]
    assert check(decision, "cap").detail == (
        "Cap reached: 1 of 1 email messages in the last 24 hours."
    )
    assert decision.retry_after == T0 + HOUR


def test_a_message_sent_exactly_24_hours_ago_has_left_the_day_window() -> None:
    assert decide_message(request(), context(sent=sent_ago(24))).send
    almost = [PastMessage(T0 - DAY + timedelta(seconds=1), Channel.EMAIL, False)]
    assert failed(decide_message(request(), context(sent=almost))) == ["cap"]


def test_exactly_at_the_cap_holds_one_below_sends() -> None:
    policy = policy_with({"messaging": {"channels": {"push": {"cap": {"day": 2, "week": None}}}}})
    one = context(policy=policy, sent=sent_ago(1, channel=Channel.PUSH))
    decision = decide_message(request(channel=Channel.PUSH), one)
    assert decision.send
    assert "1 of 2 push messages in the last 24 hours" in check(decision, "cap").detail
    two = context(policy=policy, sent=sent_ago(1, 2, channel=Channel.PUSH))
    assert failed(decide_message(request(channel=Channel.PUSH), two)) == ["cap"]


def test_other_channels_do_not_count_towards_a_channel_cap() -> None:
    ctx = context(sent=sent_ago(1, channel=Channel.SMS))
    assert decide_message(request(channel=Channel.EMAIL), ctx).send


def test_the_overall_day_cap_counts_every_channel() -> None:
    sent = [*sent_ago(1, 2, channel=Channel.PUSH), *sent_ago(3, channel=Channel.SMS)]
    decision = decide_message(request(channel=Channel.EMAIL), context(sent=sent))
    assert failed(decision) == ["cap"]
    assert "3 of 3 messages over all channels in the last 24 hours" in check(decision, "cap").detail
    # The oldest counted message (the sms, 3 hours ago) leaves the window first.
    assert decision.retry_after == T0 + 21 * HOUR


def test_over_the_cap_after_a_policy_change_waits_for_enough_messages_to_leave() -> None:
    policy = policy_with(
        {
            "messaging": {
                "overall": {"day": None},
                "channels": {"email": {"cap": {"day": 2, "week": None}}},
            }
        }
    )
    decision = decide_message(request(), context(policy=policy, sent=sent_ago(1, 2, 3)))
    assert "3 of 2 email messages" in check(decision, "cap").detail
    # Two must leave for one more to fit: the one sent 2 hours ago is the second to go.
    assert decision.retry_after == T0 + 22 * HOUR


def test_the_week_cap_rolls_over_seven_times_24_hours() -> None:
    # Email: at most 5 a week, one a day (engaged, so that fatigue stays out of it).
    sent = sent_ago(25, 49, 73, 97, 121, engaged=True)
    decision = decide_message(request(), context(sent=sent))
    assert failed(decision) == ["cap"]
    assert check(decision, "cap").detail == (
        "Cap reached: 5 of 5 email messages in the last 7 days."
    )
    assert decision.retry_after == T0 - 121 * HOUR + 7 * DAY
    assert decide_message(request(), context(sent=sent_ago(25, 49, 73, 97, 168, engaged=True))).send


def test_a_cap_of_zero_switches_the_channel_off_and_waiting_never_helps() -> None:
    policy = policy_with({"messaging": {"channels": {"sms": {"cap": {"day": 0}}}}})
    decision = decide_message(request(channel=Channel.SMS), context(policy=policy))
    assert failed(decision) == ["cap"]
    assert "this channel is switched off by the policy" in check(decision, "cap").detail
    assert decision.retry_after is None
    assert decide_message(request(channel=Channel.EMAIL), context(policy=policy)).send


def test_an_overall_cap_of_zero_stops_everything() -> None:
    policy = policy_with({"messaging": {"overall": {"week": 0}}})
    for channel in Channel:
        decision = decide_message(request(channel=channel), context(policy=policy))
        assert failed(decision) == ["cap"]
        assert "all messages are switched off" in check(decision, "cap").detail
        assert decision.retry_after is None


def test_no_cap_means_no_limit() -> None:
    policy = policy_with(
        {
            "messaging": {
                "overall": {"day": None, "week": None},
                "channels": {"email": {"cap": {"day": None, "week": None}}},
            }
        }
    )
    decision = decide_message(request(), context(policy=policy, sent=sent_ago(*range(1, 40))))
    assert check(decision, "cap").passed
    assert check(decision, "cap").detail == "No cap applies."


def test_a_message_recorded_just_after_now_by_a_concurrent_decision_counts() -> None:
    ahead = [PastMessage(T0 + timedelta(seconds=2), Channel.EMAIL, False)]
    decision = decide_message(request(), context(sent=ahead))
    assert failed(decision) == ["cap"]
    assert decision.retry_after == T0 + timedelta(seconds=2) + DAY


def test_naive_times_are_taken_as_utc() -> None:
    naive_now = T0.replace(tzinfo=None)
    sent = [PastMessage(naive_now - 2 * HOUR, Channel.EMAIL, False)]
    decision = decide_message(request(now=naive_now), context(sent=sent))
    assert failed(decision) == ["cap"]
    assert decision.retry_after == T0 + 22 * HOUR


# --- too many messages ---------------------------------------------------------------------


def test_fewer_messages_for_one_channel_limits_that_channel_only() -> None:
    ctx = context(fewer={"email"}, sent=sent_ago(72, channel=Channel.EMAIL))
    decision = decide_message(request(channel=Channel.EMAIL), ctx)
    assert failed(decision) == ["fewer_messages"]
    detail = check(decision, "fewer_messages").detail
    assert detail.startswith("You asked for fewer messages: at most 1 a week.")
    assert "1 email message sent in the last 7 days" in detail
    assert decision.retry_after == T0 + 4 * DAY
    sms = decide_message(request(channel=Channel.SMS), ctx)
    assert sms.send
    assert check(sms, "fewer_messages").detail == "No request for fewer messages."


def test_fewer_messages_for_one_channel_ignores_other_channels_history() -> None:
    ctx = context(fewer={"email"}, sent=sent_ago(72, channel=Channel.SMS))
    assert decide_message(request(channel=Channel.EMAIL), ctx).send


def test_fewer_messages_for_all_counts_every_channel() -> None:
    ctx = context(fewer={"all"}, sent=sent_ago(72, channel=Channel.SMS))
    for channel in (Channel.EMAIL, Channel.PUSH):
        decision = decide_message(request(channel=channel), ctx)
        assert failed(decision) == ["fewer_messages"]
        assert decision.retry_after == T0 + 4 * DAY


def test_fewer_messages_allows_one_a_week_again_after_seven_days() -> None:
    ctx = context(fewer={"email"}, sent=sent_ago(7 * 24, channel=Channel.EMAIL))
    decision = decide_message(request(), ctx)
    assert decision.send
    assert "0 email messages sent" in check(decision, "fewer_messages").detail


def test_fewer_messages_set_to_zero_stops_the_channel_for_good() -> None:
    policy = policy_with({"messaging": {"fewer_messages_per_week": 0}})
    decision = decide_message(request(), context(policy=policy, fewer={"email"}))
    assert failed(decision) == ["fewer_messages"]
    assert decision.retry_after is None


# --- fatigue (3 ignored, judged after 72 hours, then one every 7 days) ---------------------


def test_three_ignored_messages_allow_one_message_every_seven_days() -> None:
    ctx = context(sent=sent_ago(96, 120, 144, channel=Channel.PUSH))
    decision = decide_message(request(), ctx)
    assert failed(decision) == ["fatigue"]
    detail = check(decision, "fatigue").detail
    assert "The last 3 messages were ignored" in detail
    assert "one message every 7 days" in detail
    assert decision.retry_after == T0 - 96 * HOUR + 7 * DAY


def test_fatigue_allows_a_message_when_none_was_sent_within_the_interval() -> None:
    ctx = context(sent=sent_ago(8 * 24, 9 * 24, 10 * 24, channel=Channel.PUSH))
    decision = decide_message(request(), ctx)
    assert decision.send
    assert "none was sent in that time" in check(decision, "fatigue").detail


def test_one_engaged_message_among_the_last_three_means_no_fatigue() -> None:
    sent = [
        *sent_ago(96, 144, channel=Channel.PUSH),
        *sent_ago(120, channel=Channel.PUSH, engaged=True),
    ]
    assert decide_message(request(), context(sent=sent)).send


def test_young_unanswered_messages_are_not_judged_yet() -> None:
    # Two ignored, one sent a day ago with no answer yet: not three judged, no fatigue.
    sent = sent_ago(24, 96, 120, channel=Channel.PUSH)
    decision = decide_message(request(), context(sent=sent))
    assert decision.send
    assert "Fewer than 3 messages can be judged yet" in check(decision, "fatigue").detail
    # A fourth, older ignored message completes the three judged ones.
    older = sent_ago(24, 96, 120, 144, channel=Channel.PUSH)
    held = decide_message(request(), context(sent=older))
    assert failed(held) == ["fatigue"]
    # Every message counts for the interval, judged or not: the young one was the last.
    assert held.retry_after == T0 - 24 * HOUR + 7 * DAY


def test_engagement_settles_a_young_message_at_once() -> None:
    sent = [
        *sent_ago(1, channel=Channel.PUSH, engaged=True),
        *sent_ago(96, 120, 144, channel=Channel.PUSH),
    ]
    decision = decide_message(request(), context(sent=sent))
    assert check(decision, "fatigue").passed
    assert "engaged" in check(decision, "fatigue").detail


# --- retry_after over several rules --------------------------------------------------------


def test_retry_after_is_the_latest_clear_time_of_every_time_bound_hold() -> None:
    # At 23:00 UTC: quiet hours end at 08:00, the email cap at 10:00 (sent at 10:00 today).
    now = T0.replace(hour=23)
    ctx = context(sent=sent_ago(13, engaged=True, now=now))
    decision = decide_message(request(now=now), ctx)
    assert failed(decision) == ["cap", "quiet_hours"]
    assert decision.retry_after == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert decide_message(request(now=decision.retry_after), ctx).send


def test_fewer_messages_counts_the_message_that_made_the_cap_too() -> None:
    sent = [*sent_ago(2), *sent_ago(72)]
    decision = decide_message(request(), context(fewer={"email"}, sent=sent))
    assert failed(decision) == ["cap", "fewer_messages"]
    # Both emails must leave the week: the one sent 2 hours ago leaves it last.
    assert decision.retry_after == T0 - 2 * HOUR + 7 * DAY


def test_a_clear_time_inside_quiet_hours_moves_to_their_end() -> None:
    # The email sent at 23:00 yesterday clears at 23:00 tonight: quiet until 08:00 UTC.
    decision = decide_message(request(), context(sent=sent_ago(13)))
    assert failed(decision) == ["cap"]
    assert decision.retry_after == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_a_clear_time_at_which_fatigue_sets_in_moves_on_to_where_fatigue_allows() -> None:
    # Judged after 12 hours: when the email cap clears, the email has become the third
    # ignored message in a row, and fatigue allows the next one a week after it.
    policy = policy_with({"messaging": {"fatigue": {"judge_after_hours": 12}}})
    sent = [*sent_ago(1), *sent_ago(96, 120, channel=Channel.PUSH)]
    ctx = context(policy=policy, sent=sent)
    decision = decide_message(request(), ctx)
    assert failed(decision) == ["cap"]
    assert decision.retry_after == T0 - HOUR + 7 * DAY
    assert failed(decide_message(request(now=T0 + 23 * HOUR), ctx)) == ["fatigue"]
    assert decide_message(request(now=decision.retry_after), ctx).send


def test_no_retry_after_when_a_hold_is_not_only_time_bound() -> None:
    decision = decide_message(request(copy="Hurry!"), context(sent=sent_ago(2)))
    assert failed(decision) == ["cap", "copy"]
    assert decision.retry_after is None
