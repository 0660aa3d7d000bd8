"""Rectification (GDPR Art. 16) through the Python API, on SQLite and PostgreSQL: profile
corrections with the import's rules, identifying fields sealed again, removal of chosen
events; each effective on the next decision, and a refused request changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tactful.errors import Forbidden, InvalidInput, NotFound
from tactful.ingestion.schemas import SubjectIn
from tactful.service import Tactful
from tactful.services.rectification import (
    ProfileChange,
    correct_profile,
    get_profile,
    history_page,
    remove_events,
    remove_events_by_item,
)
from tactful.storage import tables as t

IDENTITY = {"email": "alice@example.com", "name": "Alice Example", "phone": "+44 20 7946 0001"}


def _state(service: Tactful) -> dict[str, Any]:
    """What a refused request must leave exactly as it was."""
    with service.store.reading() as conn:
        events = conn.execute(
            select(t.events.c.subject_id, func.count()).group_by(t.events.c.subject_id)
        ).all()
        return {
            "events": sorted((s, int(n)) for s, n in events),
            "attributes": sorted(
                tuple(r) for r in conn.execute(select(t.subject_attributes)).all()
            ),
            "identity": sorted(tuple(r) for r in conn.execute(select(t.subject_identity)).all()),
            "requests": conn.execute(select(func.count()).select_from(t.rights_requests)).scalar(),
            "audit": conn.execute(select(func.count()).select_from(t.audit_log)).scalar(),
        }


def _actions(service: Tactful, subject_id: str, action: str) -> list[dict[str, Any]]:
    ref = service.cipher.fingerprint(subject_id)
    with service.store.reading() as conn:
        rows = conn.execute(
            select(t.audit_log.c.detail)
            .where(t.audit_log.c.subject_ref == ref, t.audit_log.c.action == action)
            .order_by(t.audit_log.c.seq)
        )
        return [dict(r.detail) for r in rows]


def _events_about(service: Tactful, subject_id: str, item_id: str) -> list[int]:
    page = history_page(service, subject_id, limit=200, item_id=item_id)
    return [e["event_id"] for e in page["events"]]


# -- the profile ------------------------------------------------------------------------------
def test_profile_fields_are_set_cleared_or_left_and_identity_is_sealed_again(
    service: Tactful,
) -> None:
    service.ingest_subjects(
        [{"subject_id": "alice", "age_band": "25-34", "region": "north", **IDENTITY}]
    )
    with service.store.reading() as conn:
        sealed_before = conn.execute(select(t.subject_identity.c.sealed)).scalars().all()

    profile = correct_profile(
        service,
        "alice",
        {
            "region": None,
            "occupation": " nurse ",
            "time_zone": "Europe/Lisbon",
            "email": "alice.new@example.com",
            "name": None,
        },
    )
    assert profile["attributes"] == {
        "age_band": "25-34",  # absent: unchanged
        "region": None,  # null: cleared
        "gender": None,
        "occupation": "nurse",  # the import's rules: stripped
        "time_zone": "Europe/Lisbon",
    }
    assert profile["identity"] == {
        "email": "alice.new@example.com",
        "name": None,
        "phone": IDENTITY["phone"],
    }
    identity = service.identity("alice")
    assert identity is not None
    assert (identity.email, identity.name, identity.phone) == (
        "alice.new@example.com",
        None,
        IDENTITY["phone"],
    )
    with service.store.reading() as conn:
        (sealed,) = conn.execute(
            select(t.subject_identity.c.sealed).where(t.subject_identity.c.subject_id == "alice")
        ).scalars()
    assert sealed not in sealed_before
    assert b"alice.new@example.com" not in bytes(sealed)
    assert get_profile(service, "alice") == profile
    # The audit entry names the changed fields, never their values.
    (entry,) = _actions(service, "alice", "rectification.made")
    assert entry == {"fields": ["region", "occupation", "time_zone", "email", "name"]}
    (request,) = service.rights_requests(subject_id="alice", kind="rectification")["requests"]
    assert (request["status"], request["detail"]) == ("completed", {"fields_changed": 5})


def test_clearing_every_identifying_field_removes_the_sealed_row(service: Tactful) -> None:
    service.ingest_subjects([{"subject_id": "alice", **IDENTITY}])
    profile = correct_profile(service, "alice", dict.fromkeys(IDENTITY))
    assert profile["identity"] is None
    assert service.identity("alice") is None
    with service.store.reading() as conn:
        held = conn.execute(
            select(func.count())
            .select_from(t.subject_identity)
            .where(t.subject_identity.c.subject_id == "alice")
        ).scalar()
    assert held == 0
    # And fields can be given again to someone who had none.
    again = correct_profile(service, "alice", {"phone": "+1 555 0100"})
    assert again["identity"] == {"email": None, "name": None, "phone": "+1 555 0100"}


def test_a_change_to_under_18_turns_personalization_off_on_the_next_decision(
    service: Tactful,
) -> None:
    before = service.recommend("alice", k=5)
    assert (before["level"], before["personalized"]) == ("full", True)

    correct_profile(service, "alice", {"age_band": "under_18"})
    after = service.recommend("alice", k=5)
    assert (after["level"], after["personalized"], after["signals_used"]) == ("off", False, {})
    assert "minor" in after["level_reason"]
    assert all(not i["explanation"]["personal"] for i in after["items"])


def test_a_person_cannot_lift_their_own_under_18_band_but_the_operator_can(
    service: Tactful,
) -> None:
    before = _state(service)
    with pytest.raises(Forbidden):
        correct_profile(service, "dan", {"age_band": "25-34"}, via="consumer")
    with pytest.raises(Forbidden):
        correct_profile(service, "dan", {"age_band": None, "region": "x"}, via="consumer")
    assert _state(service) == before
    # Other fields they may correct; the operator, who checks ages, may change the band.
    correct_profile(service, "dan", {"region": "east"}, via="consumer")
    profile = correct_profile(service, "dan", {"age_band": "18-24"}, via="operator")
    assert profile["attributes"]["age_band"] == "18-24"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"age_band": "teen"}, "age_band"),
        ({"region": ""}, "region"),
        ({"name": "bell\u0007"}, "name"),
        ({"phone": "call me"}, "phone"),
        ({"favourite_colour": "green"}, "favourite_colour"),
        ({"subject_id": "mallory"}, "subject_id"),
        ({"occupation": "x" * 65}, "occupation"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        # One good field beside a bad one: refused whole.
        ({"region": "south", "email": "nope"}, "email"),
        ({}, "body"),
    ],
)
def test_an_invalid_correction_is_refused_whole(
    service: Tactful, change: dict[str, Any], field: str
) -> None:
    service.ingest_subjects([{"subject_id": "alice", "region": "north", **IDENTITY}])
    before = _state(service)
    with pytest.raises(InvalidInput) as refused:
        correct_profile(service, "alice", change)
    assert field in {e.field for e in refused.value.errors}
    assert _state(service) == before


def test_corrections_of_no_one_or_not_an_object_are_refused(service: Tactful) -> None:
    before = _state(service)
    with pytest.raises(NotFound):
        correct_profile(service, "nobody", {"region": "x"})
    with pytest.raises(InvalidInput):
        correct_profile(service, "alice", ["region"])
    with pytest.raises(InvalidInput):
        correct_profile(service, "bad id!", {"region": "x"})
    assert _state(service) == before


def test_the_correction_takes_the_import_field_types() -> None:
    imported = {k: v for k, v in SubjectIn.model_fields.items() if k != "subject_id"}
    assert ProfileChange.model_fields.keys() == imported.keys()
    for name, info in ProfileChange.model_fields.items():
        assert info.annotation == imported[name].annotation, name
        assert info.metadata == imported[name].metadata, name


# -- the history ------------------------------------------------------------------------------
def test_the_history_pages_list_each_event_once_newest_first(service: Tactful) -> None:
    seen: list[dict[str, Any]] = []
    page = history_page(service, "alice", limit=2)
    while True:
        seen += page["events"]
        if page["next_before"] is None:
            break
        page = history_page(service, "alice", limit=2, before=page["next_before"])
    with service.store.reading() as conn:
        stored = set(
            conn.execute(
                select(t.events.c.event_id).where(t.events.c.subject_id == "alice")
            ).scalars()
        )
    keys = [(e["occurred_at"], e["event_id"]) for e in seen]
    assert keys == sorted(keys, reverse=True)
    assert {e["event_id"] for e in seen} == stored
    assert len(seen) == len(stored) == 6
    with pytest.raises(InvalidInput):
        history_page(service, "alice", limit=0)
    with pytest.raises(InvalidInput):
        history_page(service, "alice", before="yesterday")


def test_removing_the_events_a_recommendation_was_based_on_changes_the_next_one(
    service: Tactful,
) -> None:
    first = service.recommend("alice", k=5)
    cited = {i["explanation"]["because_item_id"] for i in first["items"]} - {None}
    assert cited, "the first decision should explain items by alice's own history"
    removed_ids = [n for item in sorted(cited) for n in _events_about(service, "alice", item)]

    done = remove_events(service, "alice", removed_ids, via="consumer")
    assert done["removed"] == len(removed_ids)
    assert all(_events_about(service, "alice", item) == [] for item in cited)

    after = service.recommend("alice", k=5)
    now_cited = {i["explanation"]["because_item_id"] for i in after["items"]} - {None}
    assert now_cited.isdisjoint(cited)
    assert sum(after["signals_used"].values()) == sum(first["signals_used"].values()) - len(
        removed_ids
    )
    assert [i["item_id"] for i in after["items"]] != [i["item_id"] for i in first["items"]]
    assert _actions(service, "alice", "history.removed") == [{"count": len(removed_ids)}]
    (request,) = service.rights_requests(subject_id="alice", kind="rectification")["requests"]
    assert (request["requested_via"], request["detail"]) == (
        "consumer",
        {"events_removed": len(removed_ids)},
    )


def test_forgetting_an_item_removes_every_event_about_it(service: Tactful) -> None:
    assert len(_events_about(service, "alice", "running-0")) == 2  # a view and a purchase
    done = remove_events_by_item(service, "alice", "running-0")
    assert done["removed"] == 2
    assert _events_about(service, "alice", "running-0") == []
    assert len(_events_about(service, "alice", "running-1")) == 2
    with pytest.raises(NotFound):
        remove_events_by_item(service, "alice", "running-0")
    with pytest.raises(InvalidInput):
        remove_events_by_item(service, "alice", "not an id!")


def test_a_removal_naming_any_event_not_the_persons_removes_nothing(service: Tactful) -> None:
    alice = _events_about(service, "alice", "running-0")
    carol = _events_about(service, "carol", "kitchen-0")
    assert alice
    assert carol
    before = _state(service)
    # Another person's event is answered exactly like a missing one.
    for ids in ([*alice, carol[0]], [carol[0]], [*alice, 10**12]):
        with pytest.raises(NotFound) as refused:
            remove_events(service, "alice", ids)
        assert "nothing was removed" in refused.value.detail
    assert _state(service) == before
    assert _actions(service, "alice", "history.removed") == []


@pytest.mark.parametrize(
    "ids",
    [[], [0], [-3], ["12"], [True], [1.5], list(range(1, 1002)), "12", None],
)
def test_a_malformed_removal_is_refused_and_removes_nothing(service: Tactful, ids: Any) -> None:
    before = _state(service)
    with pytest.raises(InvalidInput):
        remove_events(service, "alice", ids)
    assert _state(service) == before


def test_a_removal_for_no_one_is_not_found(service: Tactful) -> None:
    with pytest.raises(NotFound):
        remove_events(service, "nobody", [1])
    with pytest.raises(InvalidInput):
        remove_events(service, "alice", [1], via="carrier pigeon")
