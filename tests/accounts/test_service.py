"""Tactful.accounts end to end on each backend: ingestion, training, decisions, erasure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import tactful.service
import tactful.services.accounts
from tactful.errors import BatchRejected, InvalidInput, ModelNotTrained, NotFound
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import accounts as stored
from tactful.storage.repository import Store
from tests import shop
from tests.accounts import data
from tests.clock import Clock


def _counts(service: Tactful) -> dict[str, int]:
    with service.store.reading() as conn:
        return stored.counts(conn)


def test_training_publishes_the_account_models(service: Tactful) -> None:
    names = ("account-itemknn", "account-segments")
    with service.store.reading() as conn:
        latest = {n: service.store.latest_model(conn, n) for n in names}
    for name, version in latest.items():
        assert version is not None, name
        assert version.trained_on["subjects"] == 0
        assert version.trained_on["accounts"] == len(data.SEGMENTS)
        # The wine every organisation ordered is not learned from.
        assert version.trained_on["events_left_out"]["sensitive_category"] == len(data.SEGMENTS)
    assert latest["account-segments"].trained_on["segments_used"] == 5  # type: ignore[union-attr]


def test_no_account_events_no_account_models(settings: Settings, clock: Clock) -> None:
    svc = Tactful(settings, clock=clock)
    try:
        shop.populate(svc)
        names = [v.name for v in svc.train()]
        assert "popularity" in names
        assert not [n for n in names if n.startswith("account-")]
        svc.accounts.ingest_accounts(data.accounts())
        with pytest.raises(ModelNotTrained):
            svc.accounts.recommend("new-runner", surface="b2b-home")
        # Naming models trains those only.
        svc.accounts.ingest_events(data.events())
        assert [v.name for v in svc.train(["popularity"])] == ["popularity"]
        assert {v.name for v in svc.train()} >= {"account-itemknn", "account-segments"}
    finally:
        svc.close()


def test_a_decision_for_an_organisation_is_explained_and_recorded(service: Tactful) -> None:
    body = service.accounts.recommend("shoe-shop", k=6, surface="b2b-home", pinned=["wine-1"])
    assert body["level"] == "account"
    assert body["basis"] == "history"
    assert body["purposes"] == []
    assert "wine-1" not in {i["item_id"] for i in body["items"]}
    assert body["held_back"]["sensitive_category"] == 4
    history = [i for i in body["items"] if i["explanation"]["reason_code"].startswith("account_h")]
    assert history
    assert history[0]["explanation"]["reason"].startswith("Because your organisation ordered")
    assert service.accounts.decision(body["decision_id"]) == body
    new = service.accounts.recommend("new-runner", k=4, surface="b2b-cart")
    assert new["basis"] == "segment"
    assert {i["category"] for i in new["items"]} == {"running"}
    assert new["items"][0]["explanation"]["reason"] == (
        "Popular with organisations like yours (industry retail, 10-49 people)."
    )
    assert service.accounts.recommend("mid-retail", surface="b2b-home")["basis"] == "industry"
    assert service.accounts.recommend("deep-mine", surface="b2b-home")["basis"] == "all"
    # The first account surface by default.
    assert service.accounts.recommend("unknown-co")["surface"] == "b2b-home"
    assert _counts(service)["account_decisions"] == 5


def test_only_the_accounts_own_data_is_read(
    service: Tactful, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("an account decision read a person's data")

    for name in (
        "subject_and_consents",
        "get_subject",
        "recent_signals",
        "events_for",
        "consents_for",
        "consents_for_many",
        "exclusions",
        "iter_events",
        "all_consents",
    ):
        monkeypatch.setattr(Store, name, refuse)
    read: list[str] = []
    original = stored.recent_events

    def spy(conn: Any, account_id: str, limit: int) -> Sequence[Any]:
        read.append(account_id)
        return original(conn, account_id, limit)

    monkeypatch.setattr(tactful.services.accounts.stored, "recent_events", spy)
    body = service.accounts.recommend("sport-hut", k=5, surface="b2b-home")
    assert read == ["sport-hut"]
    assert body["signals_used"] == {"purchase": 4, "quote_request": 1}


def test_ingestion_refuses_a_persons_data_and_stores_nothing_of_a_bad_batch(
    service: Tactful,
) -> None:
    before = _counts(service)
    with pytest.raises(BatchRejected) as caught:
        service.accounts.ingest_accounts(
            [{"account_id": "a-1", "industry": "retail"}, {"account_id": "a-2", "email": "x@y.z"}]
        )
    assert "person's data" in caught.value.detail
    with pytest.raises(BatchRejected) as caught:
        service.accounts.ingest_events(
            [
                {
                    "account_id": "shoe-shop",
                    "item_id": "running-1",
                    "event_type": "purchase",
                    "timestamp": "2026-10-20T10:00:00Z",
                    "subject_id": "alice",
                }
            ]
        )
    assert [e.field for e in caught.value.errors] == ["subject_id"]
    good = {
        "account_id": "shoe-shop",
        "item_id": "running-1",
        "event_type": "purchase",
        "timestamp": "2026-10-20T10:00:00Z",
    }
    for bad, field in (
        ({"account_id": "nobody"}, "account_id"),
        ({"item_id": "no-such-item"}, "item_id"),
        ({"event_type": "like"}, "event_type"),
    ):
        with pytest.raises(BatchRejected) as caught:
            service.accounts.ingest_events([good, good | bad])
        assert [(e.row, e.field) for e in caught.value.errors] == [(1, field)]
    assert _counts(service) == before
    assert service.accounts.ingest_events([good, good]) == {
        "kind": "account_events",
        "received": 2,
        "stored": 2,
    }
    result = service.accounts.ingest_accounts([{"account_id": "shoe-shop", "size_band": "50-249"}])
    assert (result["created"], result["updated"]) == (0, 1)


def test_surfaces_are_either_a_persons_or_an_accounts(service: Tactful) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.recommend("alice", surface="b2b-home")
    assert [e.field for e in caught.value.errors] == ["surface"]
    assert "account surface" in caught.value.errors[0].message
    with pytest.raises(InvalidInput) as caught:
        service.accounts.recommend("shoe-shop", surface="home")
    assert [e.field for e in caught.value.errors] == ["surface"]
    assert "not an account surface" in caught.value.errors[0].message
    assert service.recommend("alice", surface="home")["items"]
    with pytest.raises(NotFound):
        service.accounts.recommend("alice", surface="b2b-home")
    with pytest.raises(InvalidInput):
        service.accounts.recommend("shoe-shop", k=0, surface="b2b-home", pinned=["bad id"])
    with pytest.raises(NotFound):
        service.accounts.decision("00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidInput):
        service.accounts.decision("not-a-uuid")


def test_erasing_an_account_deletes_its_rows_and_retrains(service: Tactful, clock: Clock) -> None:
    body = service.accounts.recommend("trail-co", surface="b2b-home")
    before = _counts(service)
    clock.advance(60)  # the retrained versions are the newer ones
    result = service.accounts.erase("trail-co")
    assert result["rows_deleted"] == {"account_decisions": 1, "account_events": 6, "accounts": 1}
    assert {m["name"] for m in result["models_retrained"]} == {
        "account-itemknn",
        "account-segments",
    }
    after = _counts(service)
    assert after["accounts"] == before["accounts"] - 1
    assert after["account_events"] == before["account_events"] - 6
    with pytest.raises(NotFound):
        service.accounts.decision(body["decision_id"])
    with pytest.raises(NotFound):
        service.accounts.erase("trail-co")
    with service.store.reading() as conn:
        model = service.store.latest_model(conn, "account-segments")
    assert model is not None
    assert model.trained_on["accounts"] == len(data.SEGMENTS) - 1
    # Two retail 10-49 organisations are left: too few for their segment to speak.
    assert service.accounts.recommend("new-runner", surface="b2b-home")["basis"] == "industry"
    (entry,) = service.audit.entries(action="account.erased")
    assert entry.detail["account_id"] == "trail-co"


def test_another_worker_serves_the_new_account_models(
    service: Tactful, settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tactful.services.accounts, "CACHE_SECONDS", 0.0)
    monkeypatch.setattr(tactful.service, "CACHE_SECONDS", 0.0)
    other = Tactful(settings, clock=clock)
    try:
        first = other.accounts.recommend("new-runner", surface="b2b-home")
        assert first["basis"] == "segment"
        clock.advance(60)
        service.accounts.erase("shoe-shop")
        again = other.accounts.recommend("new-runner", surface="b2b-home")
        assert again["basis"] == "industry"
        assert again["model"]["version"] != first["model"]["version"]
    finally:
        other.close()


def test_main_parameters_describe_the_account_level(service: Tactful) -> None:
    section = service.accounts.parameters()
    assert section["surfaces"] == ["b2b-home", "b2b-cart"]
    assert section["history_model"]["name"] == "account-itemknn"
    assert section["history_model"]["current"]["accounts"] == len(data.SEGMENTS)
    assert section["fallback"]["order"][0] == "organisations of the same industry and size band"
    labels = {p["label"]: p["value"] for p in section["fallback"]["parameters"]}
    assert labels["Smallest group used"].startswith("3 organisations")
    assert section["never_uses"].startswith("any person's data")
    assert service.main_parameters()["accounts"] == section


def test_account_decision_records_expire_with_the_decision_retention(
    settings: Settings, service: Tactful, clock: Clock
) -> None:
    old = service.accounts.recommend("trail-co", surface="b2b-home")
    clock.advance(3600)
    recent = service.accounts.recommend("shoe-shop", surface="b2b-home")
    clock.advance(settings.decision_retention_days * 86_400 - 1800)
    report = service.run_retention(dry_run=True)
    assert report["account_decisions_expired"] == 1
    assert _counts(service)["account_decisions"] == 2  # a dry run deletes nothing
    report = service.run_retention()
    assert report["account_decisions_deleted"] == 1
    with pytest.raises(NotFound):
        service.accounts.decision(old["decision_id"])
    assert service.accounts.decision(recent["decision_id"]) == recent
    # The organisation's own events are the business's data, not a record of a decision.
    assert _counts(service)["account_events"] > 0


def test_the_models_in_use_list_the_account_models(settings: Settings, service: Tactful) -> None:
    models = service.models_in_use()
    assert {"account-itemknn", "account-segments"} <= set(models)
    for name in ("account-itemknn", "account-segments"):
        current = models[name]
        assert current is not None
        assert current.trained_on["subjects"] == 0  # no person's data
        assert current.trained_on["accounts"] == len(data.SEGMENTS)
    # Without account surfaces the account models are not in use.
    without = Tactful(settings.model_copy(update={"account_surfaces": []}))
    try:
        assert not any(name.startswith("account-") for name in without.models_in_use())
    finally:
        without.close()
