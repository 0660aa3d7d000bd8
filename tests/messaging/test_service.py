"""The messaging service against the store (SQLite and PostgreSQL): every decision recorded
with its reasons and without its copy, each rule reached through what is stored (consent,
caps, quiet hours in the person's zone, minors, self-exclusion, fatigue fed by engagement),
campaigns, engagement and the retention of messages."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tactful.errors import Conflict, InvalidInput, NotFound
from tactful.service import Tactful
from tactful.storage import messages as stored
from tactful.storage import tables as t
from tests.clock import Clock
from tests.messaging.test_service_support import FAIR, clock, count, failed, mservice
from tests.trained_shop import T0

__all__ = ["clock", "mservice"]


def _row(service: Tactful, message_id: str) -> stored.StoredMessage:
    with service.store.reading() as conn:
        found = stored.get(conn, uuid.UUID(message_id))
    assert found is not None
    return found


def test_a_send_is_recorded_with_its_reasons_and_without_its_copy(mservice: Tactful) -> None:
    answer = mservice.messaging.decide("alice", "email", "autumn", FAIR)
    assert answer["decision"] == "send"
    assert answer["reasons"] == []
    assert [c["name"] for c in answer["checks"]][:2] == ["channel", "consent"]
    assert all(c["passed"] for c in answer["checks"])
    assert answer["disclosure"]["automated"] is True
    assert answer["disclosure"]["label"]
    headers = answer["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    base = mservice.settings.resolved_public_url
    assert headers["List-Unsubscribe"].startswith(f"<{base}/v1/unsubscribe/")
    row = _row(mservice, answer["message_id"])
    assert (row.subject_id, row.channel, row.campaign_id, row.outcome) == (
        "alice",
        "email",
        "autumn",
        "send",
    )
    assert FAIR not in str(row.record)
    assert row.record["request"]["copy_sha256"] == hashlib.sha256(FAIR.encode()).hexdigest()
    assert row.record["checks"] == answer["checks"]
    # Only the token's hash is kept.
    token = headers["List-Unsubscribe"][1:-1].rsplit("/", 1)[1]
    with mservice.store.reading() as conn:
        kept = conn.execute(
            select(t.messages.c.unsubscribe_hash).where(
                t.messages.c.message_id == uuid.UUID(answer["message_id"])
            )
        ).scalar_one()
    assert kept == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row.record)


def test_a_hold_is_an_answer_recorded_like_a_send(mservice: Tactful) -> None:
    # carol never chose any marketing channel.
    answer = mservice.messaging.decide("carol", "email", "autumn", FAIR)
    assert answer["decision"] == "hold"
    assert failed(answer) == ["consent"]
    assert answer["reasons"] == ["No consent to marketing.email has been given."]
    assert "headers" not in answer
    assert answer["retry_after"] is None
    assert count(mservice, outcome="hold", subject_id="carol") == 1
    assert count(mservice, "message_gate", subject_id="carol") == 1


def test_only_a_sent_email_carries_unsubscribe_headers(mservice: Tactful) -> None:
    sms = mservice.messaging.decide("alice", "sms", "autumn", FAIR)
    assert sms["decision"] == "send"
    assert "headers" not in sms
    with mservice.store.reading() as conn:
        hashes = conn.execute(select(t.messages.c.unsubscribe_hash)).scalars().all()
    assert hashes == [None]


def test_the_channel_cap_holds_until_the_window_has_passed(mservice: Tactful, clock: Clock) -> None:
    # The shipped policy: one email a day.
    assert mservice.messaging.decide("alice", "email", "autumn", FAIR)["decision"] == "send"
    clock.advance(hours=2)
    again = mservice.messaging.decide("alice", "email", "autumn", FAIR)
    assert failed(again) == ["cap"]
    assert again["retry_after"] == (T0 + timedelta(days=1)).isoformat()
    # Another channel is not held by the email cap.
    assert mservice.messaging.decide("alice", "push", "autumn", FAIR)["decision"] == "send"
    clock.advance(hours=22)
    assert mservice.messaging.decide("alice", "email", "autumn", FAIR)["decision"] == "send"
    assert count(mservice, outcome="send", subject_id="alice") == 3


def test_quiet_hours_are_judged_in_the_persons_time_zone(mservice: Tactful, clock: Clock) -> None:
    # 10:00 UTC is 19:00 in Tokyo; three hours later it is 22:00 there, inside quiet hours.
    clock.advance(hours=3)
    tokyo = mservice.messaging.decide("tokyo", "push", "autumn", FAIR)
    assert failed(tokyo) == ["quiet_hours"]
    assert (tokyo["time_zone"], tokyo["time_zone_defaulted"]) == ("Asia/Tokyo", False)
    # Quiet hours end at 08:00 in Tokyo: 23:00 UTC.
    assert tokyo["retry_after"] == (T0 + timedelta(hours=13)).isoformat()
    # alice has no time zone: the policy's default (UTC), where it is 13:00.
    alice = mservice.messaging.decide("alice", "push", "autumn", FAIR)
    assert alice["decision"] == "send"
    assert (alice["time_zone"], alice["time_zone_defaulted"]) == ("UTC", True)
    clock.advance(hours=10)
    assert mservice.messaging.decide("tokyo", "push", "autumn", FAIR)["decision"] == "send"


def test_a_minor_gets_no_profiled_campaign(mservice: Tactful) -> None:
    profiled = mservice.messaging.decide("dan", "email", "picked", FAIR)
    assert failed(profiled) == ["profiling"]
    assert "minor" in profiled["reasons"][0]
    # An adult with personalization on gets it; the minor gets a campaign sent to everyone.
    assert mservice.messaging.decide("alice", "email", "picked", FAIR)["decision"] == "send"
    assert mservice.messaging.decide("dan", "email", "plain", FAIR)["decision"] == "send"


def test_a_self_exclusion_holds_the_campaigns_of_its_category(mservice: Tactful) -> None:
    mservice.record_consents(
        "erin", {"choices": [{"purpose": "sensitive.gambling", "status": "granted"}]}
    )
    assert mservice.messaging.decide("erin", "push", "derby", FAIR)["decision"] == "send"
    mservice.protections.self_exclude("erin", "gambling", None)
    held = mservice.messaging.decide("erin", "push", "derby", FAIR)
    assert failed(held) == ["self_exclusion"]
    assert held["retry_after"] is None
    # Other campaigns still reach her.
    assert mservice.messaging.decide("erin", "push", "autumn", FAIR)["decision"] == "send"


def test_manipulative_copy_is_held_with_its_findings(mservice: Tactful) -> None:
    pushy = "Only 2 left! Hurry, offer ends tonight. No thanks, I hate saving money."
    answer = mservice.messaging.decide("alice", "email", "autumn", pushy)
    assert failed(answer) == ["copy"]
    assert answer["copy_findings"]
    first = answer["copy_findings"][0]
    assert pushy[first["start"] : first["end"]] == first["text"]
    # The stock is a fact: the scarcity claim is then fair.
    facts = mservice.messaging.decide("bob", "email", "autumn", "Only 2 left in size 44.", stock=2)
    assert facts["decision"] == "send"


def test_fatigue_follows_engagement(mservice: Tactful, clock: Clock) -> None:
    sent = []
    for _ in range(3):
        sent.append(mservice.messaging.decide("alice", "email", "autumn", FAIR)["message_id"])
        clock.advance(days=1)
    # Three days after the third, all three are judged ignored: at most one a week.
    clock.advance(days=3)
    tired = mservice.messaging.decide("alice", "email", "autumn", FAIR)
    assert failed(tired) == ["fatigue"]
    assert tired["retry_after"] is not None
    # An open of one of them (reported in time) says she is not ignoring them.
    mservice.messaging.engagement(sent[1], "opened", T0 + timedelta(days=1, hours=5))
    assert mservice.messaging.decide("alice", "email", "autumn", FAIR)["decision"] == "send"


def test_fatigue_sees_ignored_messages_behind_a_young_one(mservice: Tactful, clock: Clock) -> None:
    for _ in range(3):
        assert mservice.messaging.decide("alice", "push", "autumn", FAIR)["decision"] == "send"
        clock.advance(days=1)
    # Eight days after the third, one may go (one a week)...
    clock.advance(days=7)
    assert mservice.messaging.decide("alice", "push", "autumn", FAIR)["decision"] == "send"
    # ...and an hour later the three ignored ones still count, though the young one is
    # too young to judge and they are older than a week.
    clock.advance(hours=1)
    assert failed(mservice.messaging.decide("alice", "push", "autumn", FAIR)) == ["fatigue"]


def test_engagement_keeps_the_first_time_and_only_grows_stronger(
    mservice: Tactful, clock: Clock
) -> None:
    message = mservice.messaging.decide("alice", "email", "autumn", FAIR)["message_id"]
    clock.advance(hours=1)
    first = mservice.messaging.engagement(message, "opened")
    assert (first["engagement"], first["changed"]) == ("opened", True)
    clock.advance(hours=1)
    clicked = mservice.messaging.engagement(message, "clicked")
    assert clicked["engagement"] == "clicked"
    assert clicked["engaged_at"] == first["engaged_at"]
    weaker = mservice.messaging.engagement(message, "opened")
    assert (weaker["engagement"], weaker["changed"]) == ("clicked", False)
    converted = mservice.messaging.engagement(message, "converted")
    assert converted["engagement"] == "converted"
    assert converted["engaged_at"] == (T0 + timedelta(hours=1)).isoformat()


def test_engagement_refuses_what_it_cannot_be_about(mservice: Tactful) -> None:
    held = mservice.messaging.decide("carol", "email", "autumn", FAIR)["message_id"]
    with pytest.raises(Conflict):
        mservice.messaging.engagement(held, "opened")
    with pytest.raises(NotFound):
        mservice.messaging.engagement(str(uuid.uuid4()), "opened")
    with pytest.raises(InvalidInput):
        mservice.messaging.engagement("not-a-uuid", "opened")
    sent = mservice.messaging.decide("alice", "email", "autumn", FAIR)["message_id"]
    with pytest.raises(InvalidInput):
        mservice.messaging.engagement(sent, "forwarded")
    with pytest.raises(InvalidInput):
        mservice.messaging.engagement(sent, "opened", T0 - timedelta(hours=1))
    assert _row(mservice, sent).engagement is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("alice", "fax", "autumn", FAIR), "channel"),
        (("alice", "email", "nope", FAIR), "campaign_id"),
        (("alice", "email", "autumn", "   "), "copy"),
        (("alice", "email", "autumn", "x" * 20_001), "copy"),
        (("al ice", "email", "autumn", FAIR), "subject_id"),
    ],
)
def test_bad_requests_store_nothing(
    mservice: Tactful, args: tuple[str, str, str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        mservice.messaging.decide(*args)
    assert field in [e.field for e in raised.value.errors]
    assert count(mservice) == 0
    assert count(mservice, "message_gate") == 0


def test_an_unknown_subject_is_not_found_and_leaves_nothing(mservice: Tactful) -> None:
    with pytest.raises(NotFound):
        mservice.messaging.decide("nobody", "email", "autumn", FAIR)
    assert count(mservice) == 0
    assert count(mservice, "message_gate") == 0


def test_campaigns_are_added_once_and_checked(mservice: Tactful) -> None:
    before = count(mservice, "audit_log")
    view, created = mservice.messaging.add_campaign("winter", "Winter", "garden", True)
    assert created
    assert count(mservice, "audit_log") == before + 1
    same, created = mservice.messaging.add_campaign("winter", "Winter", "garden", True)
    assert (same, created) == (view, False)
    with pytest.raises(Conflict):
        mservice.messaging.add_campaign("winter", "Winter!", "garden", True)
    with pytest.raises(InvalidInput):
        mservice.messaging.add_campaign("spring", "Spring", "no-such-category")
    with pytest.raises(InvalidInput):
        mservice.messaging.add_campaign("bad id", "Spring")
    # A sensitive category code of the policy is accepted, as is none.
    assert mservice.messaging.add_campaign("pills", "Pharmacy", "health")[1]
    assert mservice.messaging.campaign("winter") == view
    # Oldest first; added in the same instant, by id.
    ids = [c["campaign_id"] for c in mservice.messaging.campaigns()]
    assert ids == sorted(["autumn", "picked", "derby", "plain", "winter", "pills"])
    with pytest.raises(NotFound):
        mservice.messaging.campaign("spring")


def test_the_persons_messages_newest_first_in_pages(mservice: Tactful, clock: Clock) -> None:
    ids = []
    for channel in ("email", "sms", "push", "email"):
        ids.append(mservice.messaging.decide("alice", channel, "autumn", FAIR)["message_id"])
        clock.advance(minutes=5)
    mservice.messaging.decide("bob", "email", "autumn", FAIR)
    first = mservice.messaging.messages_of("alice", limit=3)
    assert [m["message_id"] for m in first["messages"]] == ids[::-1][:3]
    assert first["messages"][0]["decision"] == "hold"  # the second email of the day
    assert first["messages"][0]["campaign_title"] == "Autumn running"
    assert first["messages"][0]["disclosure"]["label"]
    rest = mservice.messaging.messages_of("alice", limit=3, before=first["next_before"])
    assert [m["message_id"] for m in rest["messages"]] == [ids[0]]
    assert rest["next_before"] is None
    with pytest.raises(InvalidInput):
        mservice.messaging.messages_of("alice", limit=0)
    with pytest.raises(NotFound):
        mservice.messaging.messages_of("nobody")


def test_expired_messages_are_counted_and_deleted(mservice: Tactful, clock: Clock) -> None:
    mservice.messaging.decide("alice", "email", "autumn", FAIR)
    clock.advance(days=10)
    mservice.messaging.decide("bob", "email", "autumn", FAIR)
    cutoff = T0 + timedelta(days=5)
    with mservice.store.transaction() as conn:
        assert stored.expired(conn, cutoff) == 1
        assert stored.delete_expired(conn, cutoff) == 1
    assert count(mservice, subject_id="alice") == 0
    assert count(mservice, subject_id="bob") == 1


def test_the_retention_run_deletes_old_messages_and_long_ended_protections(
    mservice: Tactful, clock: Clock
) -> None:
    days = mservice.settings.decision_retention_days
    mservice.messaging.decide("alice", "email", "autumn", FAIR)
    mservice.protections.self_exclude("erin", "gambling", 30)
    mservice.protections.self_exclude("erin", "alcohol", None)
    clock.advance(days=days + 1)
    mservice.messaging.decide("bob", "email", "autumn", FAIR)
    dry = mservice.run_retention(dry_run=True)
    # The dated exclusion ended 30 days in and has been over for `days - 29` days: kept.
    assert (dry["messages_expired"], dry["protections_expired"]) == (1, 0)
    clock.advance(days=30)
    report = mservice.run_retention()
    assert (report["messages_deleted"], report["protections_deleted"]) == (1, 1)
    assert count(mservice, subject_id="alice") == 0
    assert count(mservice, subject_id="bob") == 1
    # The exclusion without an end is never deleted by retention.
    kept = mservice.protections.of("erin")["self_exclusions"]
    assert [e["category"] for e in kept] == ["alcohol"]
