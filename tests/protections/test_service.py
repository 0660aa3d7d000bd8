"""Self-exclusions and the vulnerability flag through `service.protections`: they only grow
while in force, lift only after the cooling-off, and are what `Store.exclusions` reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tactful.errors import Conflict, InvalidInput, NotFound
from tactful.service import Tactful
from tactful.storage import tables as t
from tests.clock import Clock
from tests.trained_shop import T0


def _excluded(service: Tactful) -> dict[str, frozenset[str]]:
    with service.store.reading() as conn:
        return service.store.exclusions(conn, "erin", service.clock())


def _one(view: dict[str, Any], category: str = "gambling") -> dict[str, Any]:
    found = [x for x in view["self_exclusions"] if x["category"] == category]
    assert len(found) == 1, view
    return found[0]


def _audit(service: Tactful) -> list[tuple[str, dict[str, Any]]]:
    with service.store.reading() as conn:
        rows = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.detail)
            .where(t.audit_log.c.action.like("protection.%"))
            .order_by(t.audit_log.c.seq)
        )
        return [(r.action, r.detail) for r in rows]


def test_a_dated_exclusion_is_in_force_until_it_ends_and_cannot_be_lifted(
    service: Tactful, clock: Clock
) -> None:
    added = service.protections.self_exclude("erin", "gambling", 30)
    assert added["outcome"] == "added"
    row = _one(added)
    assert row["status"] == "in_force"
    assert row["ends_at"] == (T0 + timedelta(days=30)).isoformat()
    assert row["title"] == "Gambling and betting"
    assert row["can_lift"] is False
    assert _excluded(service)["self_exclusion"] == {"gambling"}

    clock.advance(days=29)
    with pytest.raises(Conflict) as refused:
        service.protections.lift("erin", "gambling")
    assert (T0 + timedelta(days=30)).isoformat() in refused.value.detail
    assert _excluded(service)["self_exclusion"] == {"gambling"}

    clock.advance(days=1)
    assert "self_exclusion" not in _excluded(service)
    assert _one(service.protections.of("erin"))["status"] == "ended"
    with pytest.raises(NotFound):
        service.protections.lift("erin", "gambling")


def test_adding_again_extends_to_the_later_end_and_never_shortens(
    service: Tactful, clock: Clock
) -> None:
    service.protections.self_exclude("erin", "alcohol", 90)
    shorter = service.protections.self_exclude("erin", "alcohol", 10)
    assert shorter["outcome"] == "unchanged"
    assert _one(shorter, "alcohol")["ends_at"] == (T0 + timedelta(days=90)).isoformat()

    clock.advance(days=5)
    longer = service.protections.self_exclude("erin", "alcohol", 100)
    assert longer["outcome"] == "extended"
    row = _one(longer, "alcohol")
    assert row["ends_at"] == (T0 + timedelta(days=105)).isoformat()
    assert row["since"] == T0.isoformat()

    forever = service.protections.self_exclude("erin", "alcohol", None)
    assert forever["outcome"] == "extended"
    assert _one(forever, "alcohol")["ends_at"] is None
    # An exclusion without an end stays so, whatever is asked next.
    dated = service.protections.self_exclude("erin", "alcohol", 3650)
    assert dated["outcome"] == "unchanged"
    assert _one(dated, "alcohol")["ends_at"] is None
    assert [a for a, _ in _audit(service)] == [
        "protection.added",
        "protection.extended",
        "protection.extended",
    ]


def test_an_exclusion_without_end_lifts_only_after_the_cooling_off(
    service: Tactful, clock: Clock
) -> None:
    cooling = service.guardrails.protection.self_exclusion_cooling_off_days
    assert cooling > 0
    service.protections.self_exclude("erin", "gambling", None)
    assert _one(service.protections.of("erin"))["can_lift"] is True

    clock.advance(days=400)
    lifting = service.protections.lift("erin", "gambling")
    assert lifting["outcome"] == "lifting"
    row = _one(lifting)
    lift_at = T0 + timedelta(days=400)
    assert row["status"] == "lifting"
    assert row["lift_requested_at"] == lift_at.isoformat()
    assert row["ends_at"] == (lift_at + timedelta(days=cooling)).isoformat()
    assert row["can_lift"] is False
    assert _excluded(service)["self_exclusion"] == {"gambling"}

    # Asking again does not bring the end nearer.
    clock.advance(days=cooling - 1)
    again = service.protections.lift("erin", "gambling")
    assert again["outcome"] == "unchanged"
    assert _one(again)["ends_at"] == row["ends_at"]
    assert _excluded(service)["self_exclusion"] == {"gambling"}

    clock.advance(days=1)
    assert "self_exclusion" not in _excluded(service)
    assert _one(service.protections.of("erin"))["status"] == "ended"
    assert [a for a, _ in _audit(service)] == ["protection.added", "protection.lifted"]
    assert _audit(service)[1][1] == {
        "kind": "self_exclusion",
        "category": "gambling",
        "ends_at": row["ends_at"],
    }


def test_excluding_again_while_lifting_cancels_the_lift(service: Tactful, clock: Clock) -> None:
    service.protections.self_exclude("erin", "gambling", None)
    service.protections.lift("erin", "gambling")
    clock.advance(days=1)
    renewed = service.protections.self_exclude("erin", "gambling", None)
    assert renewed["outcome"] == "extended"
    row = _one(renewed)
    assert (row["status"], row["ends_at"], row["lift_requested_at"]) == ("in_force", None, None)
    clock.advance(days=365)
    assert _excluded(service)["self_exclusion"] == {"gambling"}


def test_an_ended_exclusion_is_replaced_by_a_new_one(service: Tactful, clock: Clock) -> None:
    service.protections.self_exclude("erin", "gambling", 1)
    clock.advance(days=2)
    assert "self_exclusion" not in _excluded(service)
    again = service.protections.self_exclude("erin", "gambling", 7)
    assert again["outcome"] == "added"
    row = _one(again)
    assert row["since"] == (T0 + timedelta(days=2)).isoformat()
    assert row["ends_at"] == (T0 + timedelta(days=9)).isoformat()
    assert _excluded(service)["self_exclusion"] == {"gambling"}


def test_vulnerability_is_set_and_cleared_at_once(service: Tactful, clock: Clock) -> None:
    view = service.protections.of("erin")
    assert view["vulnerable"] is False
    assert {c["category"] for c in view["harm_prone"]} == set(
        service.guardrails.protection.harm_prone
    )
    assert {c["category"] for c in view["self_excludable"]} == {"gambling", "alcohol"}

    flagged = service.protections.set_vulnerable("erin", True)
    assert (flagged["outcome"], flagged["vulnerable"]) == ("added", True)
    assert flagged["vulnerable_since"] == T0.isoformat()
    assert _excluded(service)["vulnerable"] == {""}
    assert service.protections.set_vulnerable("erin", True)["outcome"] == "unchanged"

    clock.advance(hours=1)
    cleared = service.protections.set_vulnerable("erin", False)
    assert (cleared["outcome"], cleared["vulnerable"]) == ("lifted", False)
    assert "vulnerable" not in _excluded(service)
    assert service.protections.set_vulnerable("erin", False)["outcome"] == "unchanged"
    assert _audit(service) == [
        ("protection.added", {"kind": "vulnerable", "category": "", "ends_at": None}),
        (
            "protection.lifted",
            {
                "kind": "vulnerable",
                "category": "",
                "ends_at": (T0 + timedelta(hours=1)).isoformat(),
            },
        ),
    ]


def test_exclusions_hold_every_category_in_force_and_the_flag(
    service: Tactful, clock: Clock
) -> None:
    service.protections.self_exclude("erin", "gambling", None)
    service.protections.self_exclude("erin", "alcohol", 3)
    service.protections.set_vulnerable("erin", True)
    excluded = _excluded(service)
    assert excluded["self_exclusion"] == {"gambling", "alcohol"}
    assert excluded["vulnerable"] == {""}
    clock.advance(days=3)
    excluded = _excluded(service)
    assert excluded["self_exclusion"] == {"gambling"}
    # Another person's protections are theirs only.
    with service.store.reading() as conn:
        others = service.store.exclusions(conn, "alice", clock())
    assert "self_exclusion" not in others
    assert "vulnerable" not in others


@pytest.mark.parametrize(
    ("category", "days", "field"),
    [
        ("tobacco", None, "category"),
        ("poker night", 5, "category"),
        ("", None, "category"),
        ("gambling", 0, "days"),
        ("gambling", 3651, "days"),
        ("gambling", -1, "days"),
        ("gambling", True, "days"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    service: Tactful, category: str, days: Any, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.protections.self_exclude("erin", category, days)
    assert [e.field for e in refused.value.errors] == [field]
    if field == "category":
        assert "gambling, alcohol" in refused.value.errors[0].message
    with service.store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(t.protections)).scalar_one() == 0
    assert _audit(service) == []


def test_unknown_people_and_bad_ids_are_refused(service: Tactful) -> None:
    with pytest.raises(NotFound):
        service.protections.of("nobody")
    with pytest.raises(NotFound):
        service.protections.self_exclude("nobody", "gambling", None)
    with pytest.raises(NotFound):
        service.protections.set_vulnerable("nobody", True)
    with pytest.raises(NotFound):
        service.protections.lift("erin", "gambling")
    with pytest.raises(InvalidInput):
        service.protections.of("../etc")
    with pytest.raises(InvalidInput):
        service.protections.lift("erin", "Not A Code")
    with pytest.raises(InvalidInput):
        service.protections.set_vulnerable("erin", "yes")  # type: ignore[arg-type]


def test_erasure_takes_the_protections(service: Tactful) -> None:
    service.protections.self_exclude("erin", "gambling", None)
    service.protections.set_vulnerable("erin", True)
    service.protections.self_exclude("bob", "alcohol", 5)
    service.request_erasure("erin")
    with service.store.reading() as conn:
        left = conn.execute(select(t.protections.c.subject_id)).scalars().all()
    assert left == ["bob"]
    with pytest.raises(NotFound):
        service.protections.of("erin")
