"""The decision pipeline end to end through the Python API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tactful.candidates.ease import EASERecommender
from tactful.candidates.registry import load_model
from tactful.errors import BatchRejected, InvalidInput, ModelNotTrained, NotFound
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests import shop


@pytest.fixture
def service(settings: Settings) -> Iterator[Tactful]:
    svc = Tactful(settings)
    yield svc
    svc.close()


def _count(service: Tactful, table: Any, **where: str) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with service.store.reading() as conn:
        return int(conn.execute(query).scalar_one())


@pytest.fixture
def trained(service: Tactful) -> Tactful:
    shop.populate(service)
    service.train()
    return service


def test_alice_sees_reasons_from_her_own_history(trained: Tactful) -> None:
    record = trained.recommend("alice", k=5)
    assert record["level"] == "full"
    assert record["personalized"] is True
    assert record["model"]["name"] == "ease"
    reasons = [i["explanation"]["reason"] for i in record["items"]]
    assert any("Because you bought" in r and "Running thing" in r for r in reasons)
    # Her own purchases are not offered back to her.
    bought = {"running-0", "running-1", "running-2"}
    assert not bought & {i["item_id"] for i in record["items"]}
    assert set(record["purposes"]) <= {"personalization.explicit", "personalization.behavioral"}
    assert record["signals_used"] == {"purchase": 3, "view": 3}


def test_bob_without_a_choice_gets_nothing_personal(trained: Tactful) -> None:
    record = trained.recommend("bob", k=5)
    assert record["level"] == "off"
    assert record["personalized"] is False
    assert record["signals_used"] == {}
    assert record["purposes"] == []
    assert "No choice has been recorded" in record["level_reason"]
    for item in record["items"]:
        assert item["explanation"]["personal"] is False
        assert "Not based on anything about you" in item["explanation"]["reason"]
    # Minimisation: none of bob's events were kept.
    assert _count(trained, t.events, subject_id="bob") == 0


def test_withdrawal_takes_effect_on_the_next_request(trained: Tactful) -> None:
    assert trained.recommend("alice")["personalized"] is True
    trained.record_consents(
        "alice", {"choices": [{"purpose": "personalization.explicit", "status": "withdrawn"}]}
    )
    after = trained.recommend("alice")
    assert after["level"] == "off"
    assert after["personalized"] is False
    assert after["signals_used"] == {}


def test_basic_level_uses_only_explicit_signals(trained: Tactful) -> None:
    record = trained.recommend("carol", k=5)
    assert record["level"] == "basic"
    assert set(record["signals_used"]) == {"purchase"}
    assert record["purposes"] == ["personalization.explicit"]
    # carol's views were not even stored: behavioural consent is denied.
    with trained.store.reading() as conn:
        kinds = set(
            conn.execute(
                select(t.events.c.event_type).where(t.events.c.subject_id == "carol")
            ).scalars()
        )
    assert kinds == {"purchase"}


def test_a_minor_is_never_profiled(trained: Tactful) -> None:
    record = trained.recommend("dan", k=10)
    assert record["level"] == "off"
    assert record["personalized"] is False
    assert "minor" in record["level_reason"]


def test_sensitive_items_only_after_opt_in(trained: Tactful) -> None:
    for subject in ("alice", "bob", "erin", "dan"):
        record = trained.recommend(subject, k=50)
        shown = {i["item_id"] for i in record["items"]}
        assert not shown & {"bet-1", "bet-2", "wine-1", "pill-1"}, subject
        assert record["held_back"]["sensitive_category"] >= 4
    trained.record_consents(
        "alice", {"choices": [{"purpose": "sensitive.gambling", "status": "granted"}]}
    )
    record = trained.recommend("alice", k=50)
    gambling = [i for i in record["items"] if i["item_id"].startswith("bet-")]
    assert gambling, "an opted-in subject may see the category"
    assert all("sensitive.gambling" in i["explanation"]["purposes"] for i in gambling)
    assert not {"wine-1", "pill-1"} & {i["item_id"] for i in record["items"]}


def test_decisions_are_recorded_and_retrievable(trained: Tactful) -> None:
    record = trained.recommend("alice", k=3, surface="product-page")
    stored = trained.decision(record["decision_id"])
    assert stored == record
    assert stored["surface"] == "product-page"
    with pytest.raises(NotFound):
        trained.decision("00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidInput):
        trained.decision("not-a-uuid")


def test_events_without_covering_consent_are_counted_not_stored(trained: Tactful) -> None:
    before = _count(trained, t.events)
    result = trained.ingest_events(
        shop.person_events("bob", "books", ("view",))
        + shop.person_events("erin", "running", ("view",))
        + [
            {
                "subject_id": "erin",
                "event_type": "view",
                "item_id": "bet-2",
                "timestamp": "2026-10-30T10:00:00Z",
            }
        ]
    ).as_dict()
    assert result["stored"] == 3
    assert result["dropped"] == 4
    reasons = {r["reason"]: r["count"] for r in result["dropped_reasons"]}
    assert reasons == {
        "no granted purpose covers browsing_history": 3,
        "sensitive category gambling without explicit opt-in": 1,
    }
    assert _count(trained, t.events) == before + 3


def test_bad_batch_stores_nothing(trained: Tactful) -> None:
    before = _count(trained, t.items)
    rows = [*shop.items()[:3], {"item_id": "x y", "title": "", "category": "books"}]
    with pytest.raises(BatchRejected) as caught:
        trained.ingest_items([{**r, "item_id": r["item_id"] + "-new"} for r in rows])
    fields = {(e.row, e.field) for e in caught.value.errors}
    assert (3, "item_id") in fields
    assert (3, "title") in fields
    assert _count(trained, t.items) == before


def test_unknown_ids_reject_the_whole_event_batch(trained: Tactful) -> None:
    before = _count(trained, t.events)
    rows = [
        *shop.person_events("alice", "books"),
        {
            "subject_id": "nobody",
            "event_type": "view",
            "item_id": "books-1",
            "timestamp": "2026-10-30T10:00:00Z",
        },
        {
            "subject_id": "alice",
            "event_type": "view",
            "item_id": "no-such-item",
            "timestamp": "2026-10-30T10:00:00Z",
        },
    ]
    with pytest.raises(BatchRejected) as caught:
        trained.ingest_events(rows)
    assert {e.field for e in caught.value.errors} == {"subject_id"}
    assert _count(trained, t.events) == before


def test_unknown_purpose_records_nothing(trained: Tactful) -> None:
    before = _count(trained, t.consent_records)
    with pytest.raises(InvalidInput) as caught:
        trained.record_consents(
            "alice",
            {
                "choices": [
                    {"purpose": "personalization.explicit", "status": "granted"},
                    {"purpose": "mind.reading", "status": "granted"},
                ]
            },
        )
    assert caught.value.errors[0].field == "choices.1.purpose"
    assert _count(trained, t.consent_records) == before


def test_consent_ledger_is_append_only(trained: Tactful) -> None:
    trained.record_consents(
        "carol", {"choices": [{"purpose": "personalization.behavioral", "status": "granted"}]}
    )
    view = trained.consents("carol")
    assert view["level"] == "full"
    history = [(h["purpose"], h["status"]) for h in view["history"]]
    assert history == [
        ("personalization.explicit", "granted"),
        ("personalization.behavioral", "denied"),
        ("personalization.behavioral", "granted"),
    ]


def test_recommending_before_training_says_so(service: Tactful) -> None:
    service.ingest_items(shop.items())
    service.ingest_subjects(shop.subjects())
    with pytest.raises(ModelNotTrained):
        service.recommend("alice")


def test_k_and_surface_are_checked(trained: Tactful) -> None:
    with pytest.raises(InvalidInput) as caught:
        trained.recommend("alice", k=0, surface="Bad Surface!")
    assert {e.field for e in caught.value.errors} == {"k", "surface"}
    with pytest.raises(NotFound):
        trained.recommend("nobody")


def test_training_leaves_out_withdrawn_subjects(trained: Tactful) -> None:
    first = trained.train(["ease"])[0]
    trained.record_consents(
        "alice", {"choices": [{"purpose": "personalization.explicit", "status": "withdrawn"}]}
    )
    second = trained.train(["ease"])[0]
    assert second.trained_on["subjects"] == first.trained_on["subjects"] - 1


def test_a_decision_reads_only_the_most_recent_signals(settings: Settings) -> None:
    service = Tactful(settings.model_copy(update={"history_limit": 4}))
    try:
        shop.populate(service)
        service.train()
        record = service.recommend("alice")
        # alice has 3 views and 3 purchases; the newest 4 are read.
        assert sum(record["signals_used"].values()) == 4
    finally:
        service.close()


def test_item_knn_as_the_personal_model_cites_her_items(settings: Settings) -> None:
    service = Tactful(settings.model_copy(update={"personal_model": "itemknn"}))
    try:
        shop.populate(service)
        service.train()
        record = service.recommend("alice", k=5)
        assert record["model"]["name"] == "itemknn"
        bought = {"running-0", "running-1", "running-2"}
        because = {i["explanation"]["because_item_id"] for i in record["items"]}
        assert because & bought
        assert all(i["explanation"]["reason"].startswith("Because you") for i in record["items"])
    finally:
        service.close()


def test_tuned_training_saves_the_chosen_values_and_every_trial(service: Tactful) -> None:
    shop.populate(service)
    popularity, ease = service.train(["popularity", "ease"], {"popularity": {}}, tune=True)
    assert popularity.trained_on["tuning"] is None  # an explicit config is kept as given
    summary = ease.trained_on["tuning"]
    assert summary["trials"] == len(EASERecommender.search_space["l2"])
    assert summary["chosen"] == ease.config
    folder = service.settings.models_dir / ease.path
    saved = json.loads((folder / "tuning.json").read_text())
    assert saved["best_config"] == ease.config
    assert [t["config"]["l2"] for t in saved["trials"]] == list(EASERecommender.search_space["l2"])
    assert load_model(folder).config.model_dump(mode="json") == ease.config
    # the same seed chooses the same values
    again = service.train(["ease"], tune=True)[0]
    assert again.config == ease.config
