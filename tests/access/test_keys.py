"""API keys through the Python API, on SQLite and PostgreSQL: shown once, stored as a hash,
refused once revoked or expired (alike), revocations seen by other instances within the
cache bound, last use written at most once a minute."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tactful.domain.access import Scope
from tactful.errors import Conflict, InvalidInput, NotFound, Unauthorized
from tactful.service import Tactful
from tactful.services.access import CACHE_SECONDS, INVALID, TOUCH_SECONDS, ApiKeys, split_key
from tactful.storage import tables as t
from tests import shop
from tests.access.helpers import BOOTSTRAP_KEY, Ticker
from tests.clock import Clock

KEY_SHAPE = re.compile(r"tk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}")


def _rows(service: Tactful) -> list[tuple[object, ...]]:
    with service.store.reading() as conn:
        return [tuple(r) for r in conn.execute(select(t.api_keys))]


def _refusal(keys: ApiKeys, presented: str) -> str:
    with pytest.raises(Unauthorized) as refused:
        keys.authenticate(presented)
    return refused.value.detail


def test_a_key_is_shown_once_and_stored_only_as_the_hash_of_its_secret(
    service: Tactful,
) -> None:
    text, record = service.keys.create("checkout", ["recommend", "ingest"])
    assert KEY_SHAPE.fullmatch(text)
    parts = split_key(text)
    assert parts is not None
    key_id, secret = parts
    assert record["key_id"] == key_id
    assert record["scopes"] == ["ingest", "recommend"]
    assert record["status"] == "active"
    assert "key" not in record
    assert "secret_hash" not in record
    rows = _rows(service)
    assert len(rows) == 1
    dumped = repr(rows)
    assert secret not in dumped
    assert text not in dumped
    with service.store.reading() as conn:
        stored = conn.execute(select(t.api_keys.c.secret_hash)).scalar_one()
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in repr(k) and text not in repr(k) for k in service.keys.list())
    principal = service.keys.authenticate(text)
    assert (principal.key_id, principal.name) == (key_id, "checkout")
    assert principal.scopes == {Scope.RECOMMEND, Scope.INGEST}
    assert principal.actor == f"key:{key_id}"


def test_two_keys_differ_and_each_only_opens_itself(service: Tactful) -> None:
    first, _ = service.keys.create("one", ["ingest"])
    second, _ = service.keys.create("two", ["analyst"])
    assert first != second
    assert service.keys.authenticate(first).name == "one"
    assert service.keys.authenticate(second).name == "two"
    # Another key's id with this key's secret opens nothing.
    forged = first[:16] + second[16:]
    assert _refusal(service.keys, forged) == INVALID


def test_unknown_revoked_and_expired_keys_are_refused_alike(service: Tactful, clock: Clock) -> None:
    revoked, revoked_record = service.keys.create("old till", ["recommend"])
    expiring, expiring_record = service.keys.create(
        "campaign", ["recommend"], expires_at=clock.now + timedelta(days=1)
    )
    assert service.keys.authenticate(revoked).name == "old till"
    assert service.keys.authenticate(expiring).name == "campaign"
    service.keys.revoke(revoked_record["key_id"])
    clock.advance(24 * 3600)
    unknown = "tk_" + "A" * 12 + "_" + "B" * 43
    messages = {
        _refusal(service.keys, presented)
        for presented in (revoked, expiring, unknown, "tk_short", "not a key at all")
    }
    assert messages == {INVALID}
    listed = {k["key_id"]: k["status"] for k in service.keys.list()}
    assert listed[revoked_record["key_id"]] == "revoked"
    assert listed[expiring_record["key_id"]] == "expired"


def test_a_missing_key_is_asked_for(service: Tactful) -> None:
    for presented in (None, ""):
        with pytest.raises(Unauthorized, match="required"):
            service.keys.authenticate(presented)


def test_the_settings_key_is_the_bootstrap_admin_and_cannot_be_revoked_here(
    service: Tactful,
) -> None:
    principal = service.keys.authenticate(BOOTSTRAP_KEY)
    assert principal.key_id == "bootstrap"
    assert principal.scopes == set(Scope)
    assert _refusal(service.keys, BOOTSTRAP_KEY + "x") == INVALID
    with pytest.raises(Conflict):
        service.keys.revoke("bootstrap")
    assert service.keys.list()[0]["key_id"] == "bootstrap"


def test_revoking_again_changes_nothing_and_an_unknown_key_is_not_found(
    service: Tactful, clock: Clock
) -> None:
    _, record = service.keys.create("twice", ["ingest"])
    first = service.keys.revoke(record["key_id"])
    clock.advance(60)
    second = service.keys.revoke(record["key_id"])
    assert first["revoked_at"] == second["revoked_at"]
    with pytest.raises(NotFound):
        service.keys.revoke("no-such-key0")


@pytest.mark.parametrize(
    ("name", "scopes", "days", "field"),
    [
        ("", ["ingest"], None, "name"),
        ("x" * 129, ["ingest"], None, "name"),
        ("tab\there", ["ingest"], None, "name"),
        ("ok", [], None, "scopes"),
        ("ok", ["ingest", "superuser"], None, "scopes.1"),
        ("ok", ["ingest"], -1, "expires_at"),
        ("ok", ["ingest"], 0, "expires_at"),
    ],
)
def test_a_bad_key_request_is_refused_and_stores_nothing(
    service: Tactful, clock: Clock, name: str, scopes: list[str], days: int | None, field: str
) -> None:
    expires = clock.now + timedelta(days=days) if days is not None else None
    with pytest.raises(InvalidInput) as refused:
        service.keys.create(name, scopes, expires)
    assert field in {e.field for e in refused.value.errors}
    assert _rows(service) == []


def test_a_naive_expiry_is_refused(service: Tactful, clock: Clock) -> None:
    with pytest.raises(InvalidInput):
        service.keys.create(
            "naive", ["ingest"], (clock.now + timedelta(days=1)).replace(tzinfo=None)
        )


def test_a_revocation_elsewhere_is_honoured_within_the_cache_bound(
    service: Tactful, clock: Clock
) -> None:
    """Two instances on one store: B revokes; A, which verified the key just before, refuses
    it as soon as CACHE_SECONDS have passed, and not a request later."""
    ticker = Ticker()
    here = ApiKeys(service.store, service.audit, clock, BOOTSTRAP_KEY, ticker=ticker)
    elsewhere = ApiKeys(service.store, service.audit, clock, BOOTSTRAP_KEY)
    text, record = here.create("shared", ["recommend"])
    assert here.authenticate(text).name == "shared"
    elsewhere.revoke(record["key_id"])
    assert _refusal(elsewhere, text) == INVALID
    ticker.now += CACHE_SECONDS
    assert _refusal(here, text) == INVALID
    # And a revocation through this instance is at once.
    other, other_record = here.create("local", ["recommend"])
    assert here.authenticate(other).name == "local"
    here.revoke(other_record["key_id"])
    assert _refusal(here, other) == INVALID


def test_a_key_created_elsewhere_is_accepted_at_once(service: Tactful, clock: Clock) -> None:
    here = ApiKeys(service.store, service.audit, clock, BOOTSTRAP_KEY, ticker=Ticker())
    text, _ = service.keys.create("new", ["analyst"])
    assert here.authenticate(text).name == "new"


def test_last_use_is_written_at_most_once_a_minute(service: Tactful, clock: Clock) -> None:
    ticker = Ticker()
    keys = ApiKeys(service.store, service.audit, clock, BOOTSTRAP_KEY, ticker=ticker)
    text, record = keys.create("busy", ["recommend"])

    def last_used() -> str | None:
        found = next(k for k in keys.list() if k["key_id"] == record["key_id"])
        value: str | None = found["last_used_at"]
        return value

    assert last_used() is None
    start = clock.now
    keys.authenticate(text)
    assert last_used() == start.isoformat()
    for _ in range(3):
        clock.advance(15)
        ticker.now += 15
        keys.authenticate(text)
    assert last_used() == start.isoformat()  # 45 s later: not written again
    clock.advance(TOUCH_SECONDS - 45)
    ticker.now += TOUCH_SECONDS - 45
    keys.authenticate(text)
    assert last_used() == clock.now.isoformat()


def test_the_inventory_names_the_scopes_and_usable_keys_that_can_read_each_kind(
    service: Tactful, clock: Clock
) -> None:
    shop.populate(service)
    service.train()
    service.recommend("alice")
    service.keys.create("dpo desk", ["privacy-officer"])
    service.keys.create("shop front", ["recommend"])
    service.keys.create("backend", ["ingest"])
    service.keys.create("reports", ["analyst"])
    _, gone = service.keys.create("former dpo", ["privacy-officer"])
    service.keys.revoke(gone["key_id"])
    service.keys.create("temp dpo", ["privacy-officer"], expires_at=clock.now + timedelta(hours=1))
    clock.advance(2 * 3600)
    entries = {e["data_category"]: e for e in service.inventory("alice")["data"]}
    assert {"purchase_history", "profile", "consent", "decisions"} <= set(entries)

    def readers(category: str) -> dict[str, list[str]]:
        return {r["scope"]: r["keys"] for r in entries[category]["readable_by"]}

    full = {"privacy-officer": ["dpo desk"], "admin": ["bootstrap"]}
    assert readers("purchase_history") == full
    assert readers("profile") == full
    assert readers("consent") == {"ingest": ["backend"], **full}
    assert readers("decisions") == {"recommend": ["shop front"], **full}
    for entry in entries.values():
        assert all(r["title"] and r["sees"] for r in entry["readable_by"])
