"""The recommenders' main parameters (DSA Art. 27) follow the live configuration and rules."""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from tactful.candidates.base import History, Interactions, Recommender
from tactful.candidates.registry import RECOMMENDERS, build
from tactful.domain.catalog import Item
from tactful.domain.events import EventType
from tactful.domain.purposes import (
    DEFAULT_PURPOSES,
    PERSONALIZATION_EXPLICIT,
    PurposeCatalog,
)
from tactful.errors import InvalidInput
from tactful.explanations.parameters import (
    CONSENTS_PATH,
    DECISION_PATH,
    GUARDRAIL_WORDS,
    LEVEL_PATH,
    SIGNAL_WORDS,
    ModelInfo,
    recommender_parameters,
)
from tactful.guardrails.filters import CatalogMasks, apply_filters
from tactful.guardrails.policy import DEFAULT_POLICY
from tactful.signals import weights
from tactful.signals.selection import LEVEL_EVENT_TYPES

TRAINED = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def info(name: str, config: Mapping[str, Any] | None = None, version: str = "") -> ModelInfo:
    return ModelInfo(
        name=name,
        version=version or f"{name}-20260301T123000-abc123",
        config=dict(config or {}),
        trained_at=TRAINED,
        trained_on={"subjects": 943, "items": 1682, "interactions": 100_000},
    )


def document(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "purposes": DEFAULT_PURPOSES,
        "models": {"popularity": info("popularity"), "ease": info("ease")},
        "personal_model": "ease",
        "history_limit": 500,
        "max_k": 100,
    }
    kwargs.update(overrides)
    return recommender_parameters(**kwargs)


def entry(doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in doc["recommenders"] if r["name"] == name]
    assert len(found) == 1, [r["name"] for r in doc["recommenders"]]
    return found[0]


def level(doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [lv for lv in doc["levels"] if lv["level"] == name]
    assert len(found) == 1
    return found[0]


def texts(value: Any) -> str:
    """Every string in a document, joined: what a reader would see."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(texts(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(texts(v) for v in value)
    return ""


# -- the models in use ----------------------------------------------------------------------
def test_names_the_personal_model_in_use_and_its_real_config() -> None:
    doc = document(models={"popularity": info("popularity"), "ease": info("ease", {"l2": 250.0})})
    ease = entry(doc, "ease")
    assert ease["roles"] == ["personal"]
    assert ease["trained"] is True
    assert ease["version"] == "ease-20260301T123000-abc123"
    assert ease["trained_at"] == TRAINED.isoformat()
    assert ease["config"] == {"l2": 250.0, "binarize": True}
    assert ease["summary"] == RECOMMENDERS["ease"].summary
    smoothing = {p["label"]: p["value"] for p in ease["parameters"]}["Smoothing"]
    assert smoothing.startswith("250:")
    assert entry(doc, "popularity")["roles"] == ["popular"]
    assert [r["name"] for r in doc["recommenders"]] == ["popularity", "ease"]
    assert doc["generated_from"]["models"] == {
        "popularity": "popularity-20260301T123000-abc123",
        "ease": "ease-20260301T123000-abc123",
    }


def test_changing_the_config_changes_the_text() -> None:
    before = document(models={"popularity": info("popularity"), "ease": info("ease")})
    after = document(
        models={"popularity": info("popularity"), "ease": info("ease", {"l2": 1234.5})}
    )
    old, new = entry(before, "ease")["parameters"], entry(after, "ease")["parameters"]
    assert old != new
    assert "1234.5" in texts(new)
    assert "1234.5" not in texts(old)
    assert "500" in texts(old)
    assert before["generated_from"]["sha256"] != after["generated_from"]["sha256"]


def test_another_personal_model_is_described_instead() -> None:
    doc = document(
        models={"popularity": info("popularity"), "itemknn": info("itemknn", {"neighbors": 100})},
        personal_model="itemknn",
    )
    assert [r["name"] for r in doc["recommenders"]] == ["popularity", "itemknn"]
    knn = entry(doc, "itemknn")
    assert ("Neighbours considered", "the 100 most similar items") in [
        (p["label"], p["value"]) for p in knn["parameters"]
    ]
    assert "itemknn" in doc["ranking_criteria"][0]["text"]
    assert "ease" not in texts(doc["ranking_criteria"])


def test_an_untrained_personal_model_is_reported_as_such() -> None:
    for models in (
        {"popularity": info("popularity"), "ease": None},
        {"popularity": info("popularity")},
    ):
        ease = entry(document(models=models), "ease")
        assert ease["trained"] is False
        assert ease["version"] is None
        assert ease["trained_at"] is None
        assert ease["status"].startswith("Not trained yet")
        assert "popularity" in ease["status"]
        assert "training_data" not in ease
        # The defaults are what is shown, and said to be.
        assert ease["config"] == build("ease").config.model_dump(mode="json")
        assert "defaults" in ease["status"]
    doc = document(models={"popularity": info("popularity"), "ease": None})
    assert doc["generated_from"]["models"]["ease"] is None


def test_trained_models_say_what_they_learned_from() -> None:
    popularity = entry(document(), "popularity")
    assert popularity["training_data"]["interactions"] == 100_000
    assert (
        "100000 interactions of 943 shoppers with 1682 items" in popularity["training_data"]["text"]
    )
    assert popularity["status"] == (
        "In use: version popularity-20260301T123000-abc123, trained 2026-03-01."
    )


def test_the_popular_model_reads_no_signal_and_serves_every_level() -> None:
    popularity = entry(document(), "popularity")
    assert popularity["signals"] == {}
    assert [u["level"] for u in popularity["used_at"]] == ["off", "aggregate", "basic", "full"]
    assert popularity["used_at"][0]["when"] == "always"
    assert "none of your signals" in popularity["history"]


def test_one_entry_when_the_personal_and_popular_model_are_the_same() -> None:
    doc = document(models={"popularity": info("popularity")}, personal_model="popularity")
    assert [r["name"] for r in doc["recommenders"]] == ["popularity"]
    assert doc["recommenders"][0]["roles"] == ["popular", "personal"]


# -- signals and their weights ---------------------------------------------------------------
def test_the_personal_model_reads_each_levels_signals() -> None:
    ease = entry(document(), "ease")
    for lv, types in LEVEL_EVENT_TYPES.items():
        if not types:
            assert lv.value not in ease["signals"]
            continue
        listed = {s["signal"] for s in ease["signals"][lv.value]}
        assert listed == {t.value for t in types}
    assert "500 most recent signals" in ease["history"]
    assert "1000 most recent" in entry(document(history_limit=1000), "ease")["history"]


_TIMES = {1: "as much as", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}


def test_the_weights_text_follows_event_weights() -> None:
    table = weights.EVENT_WEIGHTS
    lowest = min(table.values())
    strength = entry(document(), "ease")["signal_strength"]
    purchases = next(s for s in strength if s.startswith("Purchases"))
    assert _TIMES[int(table[EventType.PURCHASE] / lowest)] in purchases
    assert "a page view" in purchases
    assert any("A rating below 2.5 stars" in s for s in strength)


def test_changed_weights_change_the_words(monkeypatch: pytest.MonkeyPatch) -> None:
    before = entry(document(), "ease")["signal_strength"]
    changed = dict(weights.EVENT_WEIGHTS) | {EventType.PURCHASE: 10.0, EventType.VIEW: 2.0}
    monkeypatch.setattr(weights, "EVENT_WEIGHTS", MappingProxyType(changed))
    after = entry(document(), "ease")["signal_strength"]
    assert after != before
    # The weakest signal is now a search alone, and purchases count ten times as much.
    assert "Purchases count ten times as much as a search." in after
    assert "Page views and clicks count twice as much as a search." in after
    assert not any("five times" in s for s in after)


def test_binarized_models_say_the_weights_only_pick_the_reason() -> None:
    binarized = entry(document(), "ease")
    weighted = entry(
        document(
            models={"popularity": info("popularity"), "ease": info("ease", {"binarize": False})}
        ),
        "ease",
    )
    assert binarized["counts_signal_strength"] is False
    assert "counts the same" in binarized["signal_strength"][0]
    assert weighted["counts_signal_strength"] is True
    assert weighted["signal_strength"][0] == "Stronger signals count for more:"


# -- levels -----------------------------------------------------------------------------------
def test_off_is_listed_needs_no_purpose_and_uses_nothing() -> None:
    off = level(document(), "off")
    assert off["turned_on_by"] == []
    assert off["signals"] == []
    assert off["always_available"] is True
    assert off["based_on_profiling"] is False
    assert off["recommender"] == "popularity"
    assert "DSA Art. 38" in off["text"]
    assert any("minor" in reason for reason in off["when"])
    assert [lv["always_available"] for lv in document()["levels"]] == [True, False, False, False]


def test_levels_list_the_purposes_that_turn_them_on() -> None:
    doc = document()
    basic, full = level(doc, "basic"), level(doc, "full")
    assert [p["purpose"] for p in basic["turned_on_by"]] == [PERSONALIZATION_EXPLICIT]
    assert PERSONALIZATION_EXPLICIT in [p["purpose"] for p in full["turned_on_by"]]
    assert len(full["turned_on_by"]) == 2
    assert basic["recommender"] == "ease"
    # Consent to advertising covers purchases too, but never turns personalization on.
    assert "advertising.cross_context" not in texts(doc["levels"])


def test_the_levels_purposes_come_from_the_catalog_given() -> None:
    renamed = dataclasses.replace(
        DEFAULT_PURPOSES.get(PERSONALIZATION_EXPLICIT), title="Picks from your receipts"
    )
    catalog = PurposeCatalog(MappingProxyType({**DEFAULT_PURPOSES.by_code, renamed.code: renamed}))
    doc = document(purposes=catalog)
    titles = [p["title"] for p in level(doc, "basic")["turned_on_by"]]
    assert titles == ["Picks from your receipts"]
    assert "Picks from your receipts" in texts(level(doc, "full"))
    assert DEFAULT_PURPOSES.get(PERSONALIZATION_EXPLICIT).title not in texts(doc)
    assert doc["generated_from"]["purposes"] != document()["generated_from"]["purposes"]


def test_a_level_no_purpose_turns_on_is_not_offered() -> None:
    without = [p for p in DEFAULT_PURPOSES if p.code != PERSONALIZATION_EXPLICIT]
    doc = document(purposes=without)
    assert level(doc, "basic")["available"] is False
    assert level(doc, "basic")["turned_on_by"] == []
    assert level(doc, "full")["available"] is False
    assert entry(doc, "ease")["used_at"] == []
    # The aggregate level needs only its own purpose.
    assert next(o for o in doc["options"] if o["option"] == "level")["choices"] == [
        "off",
        "aggregate",
    ]
    # Purchases and ratings are then allowed by no purpose.
    basic_signals = level(doc, "basic")["signals"]
    assert {s["signal"] for s in basic_signals} == {"purchase", "rating"}
    assert all(s["allowed_by"] == [] for s in basic_signals)


# -- ranking, guardrails and options --------------------------------------------------------
def test_ranking_criteria_follow_the_pipeline_order() -> None:
    doc = document(max_k=40)
    assert [c["step"] for c in doc["ranking_criteria"]] == [
        "recommender",
        "score",
        "guardrails",
        "top_k",
    ]
    assert "never more than 40" in doc["ranking_criteria"][-1]["text"]


def test_guardrails_are_the_filters_apply_filters_counts() -> None:
    probe = apply_filters(CatalogMasks.build(("x",), {}), {"x": 0}, frozenset(), ())
    # Every rule made to hold something back: one item per rule.
    items = {
        "reported": Item("reported", "R", "books"),
        "unwanted": Item("unwanted", "U", "books"),
        "betting": Item("betting", "B", "betting_lottery", sensitive=frozenset({"gambling"})),
        "wine": Item("wine", "W", "wine_spirits", sensitive=frozenset({"alcohol"})),
    }
    ids = tuple(items)
    everything = apply_filters(
        CatalogMasks.build(ids, items),
        {i: n for n, i in enumerate(ids)},
        frozenset({"gambling", "alcohol"}),
        (),
        reported=("reported",),
        not_interested=("unwanted",),
        self_excluded=frozenset({"gambling"}),
        harm_prone=frozenset({"alcohol"}),
    )
    assert set(everything.held_back) - set(probe.held_back) == {
        "self_excluded",
        "vulnerability",
        "reported_by_you",
        "not_interested",
    }
    doc = document()
    listed = [g["guardrail"] for g in doc["guardrails"]]
    assert listed[: len(probe.held_back)] == list(probe.held_back)
    assert set(listed) == set(everything.held_back) <= set(GUARDRAIL_WORDS)
    excluded = next(g for g in doc["guardrails"] if g["guardrail"] == "self_excluded")
    assert "gambling, alcohol" in excluded["text"]
    owned = next(g for g in doc["guardrails"] if g["guardrail"] == "already_purchased")
    assert "bought or rated" in owned["text"]
    sensitive = next(g for g in doc["guardrails"] if g["guardrail"] == "sensitive_category")
    assert {o["category"] for o in sensitive["opt_in"]} == set(DEFAULT_POLICY.sensitive_codes)


def test_every_option_path_is_listed() -> None:
    doc = document()
    options = doc["options"]
    by_name = {o["option"]: o for o in options}
    assert (by_name["level"]["method"], by_name["level"]["path"]) == ("PUT", LEVEL_PATH)
    assert by_name["level"]["choices"] == ["off", "aggregate", "basic", "full"]
    assert (by_name["consents"]["method"], by_name["consents"]["path"]) == ("PUT", CONSENTS_PATH)
    assert (by_name["why"]["method"], by_name["why"]["path"]) == ("GET", DECISION_PATH)
    assert {LEVEL_PATH, CONSENTS_PATH, DECISION_PATH} == {
        "/v1/me/level",
        "/v1/me/consents",
        "/v1/me/decisions/{id}",
    }
    for purpose in DEFAULT_PURPOSES:
        if purpose.sensitive_category is not None:
            option = by_name[f"sensitive:{purpose.sensitive_category}"]
            assert option["path"] == CONSENTS_PATH
            assert option["purpose"] == purpose.code
            assert purpose.description in option["text"]


def test_a_sensitive_category_no_purpose_unlocks_is_never_shown() -> None:
    without = [p for p in DEFAULT_PURPOSES if p.sensitive_category != "gambling"]
    doc = document(purposes=without)
    option = next(o for o in doc["options"] if o["option"] == "sensitive:gambling")
    assert option["purpose"] is None
    assert "never shown" in option["text"]


# -- the document as a whole ----------------------------------------------------------------
def test_the_output_is_json_serialisable() -> None:
    for models in ({"popularity": info("popularity"), "ease": info("ease")}, {}):
        doc = document(models=models)
        assert json.loads(json.dumps(doc, allow_nan=False)) == doc


def test_the_fingerprint_is_stable_and_follows_the_inputs() -> None:
    assert document()["generated_from"] == document()["generated_from"]
    newer = {"popularity": info("popularity"), "ease": info("ease", version="ease-2")}
    assert (
        document(models=newer)["generated_from"]["sha256"] != document()["generated_from"]["sha256"]
    )
    purposes = list(DEFAULT_PURPOSES)
    assert document(purposes=purposes)["generated_from"] == document()["generated_from"]


def test_bad_input_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        document(history_limit=0)
    with pytest.raises(InvalidInput):
        document(max_k=True)
    with pytest.raises(InvalidInput):
        document(personal_model="nope")
    with pytest.raises(InvalidInput):
        document(models={"popularity": info("popularity"), "ease": info("ease", {"l2": -1})})
    with pytest.raises(InvalidInput):
        document(models={"popularity": info("popularity"), "ease": info("als")})
    purpose = next(iter(DEFAULT_PURPOSES))
    with pytest.raises(InvalidInput):
        document(purposes=[purpose, purpose])


def test_every_signal_has_words() -> None:
    assert set(SIGNAL_WORDS) == set(EventType)


# -- the recommenders' own descriptions -------------------------------------------------------
def _another_value(config: Any, name: str) -> Any:
    field = type(config).model_fields[name]
    value = getattr(config, name)
    if isinstance(value, bool):
        return not value
    choices = typing.get_args(field.annotation)
    if choices:
        return next(c for c in choices if c != value)
    if isinstance(value, int):
        return value + 1
    return value + 1.0 if value == 0 else value * 1.5


@pytest.mark.parametrize("name", sorted(RECOMMENDERS))
def test_every_config_field_shows_in_the_parameters(name: str) -> None:
    model = build(name)
    assert model.summary.strip()
    fields = type(model.config).model_fields
    assert all(field.description for field in fields.values())
    for field in fields:
        other = build(name, {field: _another_value(model.config, field)})
        assert other.parameters() != model.parameters(), (name, field)


def test_the_default_parameters_come_from_the_field_descriptions() -> None:
    model = build("ease", {"l2": 123.0})
    described = Recommender.parameters(model)
    assert described[0] == (
        "L2",
        f"123 ({type(model.config).model_fields['l2'].description})",
    )
    assert described[1][1].startswith("yes (")


def _matrices() -> tuple[Interactions, Interactions]:
    """The same interactions with weights from 1 to 5, and with every weight 1."""
    gen = np.random.default_rng(7)
    triples = [
        (f"s{s:02d}", f"i{int(i):02d}", float(gen.integers(1, 6)))
        for s in range(40)
        for i in gen.choice(16, size=5, replace=False) + 8 * (s % 2)
    ]
    items = [f"i{n:02d}" for n in range(24)]
    unit = [(s, i, 1.0) for s, i, _ in triples]
    return (
        Interactions.from_triples(triples, item_ids=items),
        Interactions.from_triples(unit, item_ids=items),
    )


_FAST = {"als": {"iterations": 3, "factors": 8}, "bpr": {"iterations": 10, "factors": 8}}


@pytest.mark.parametrize("name", sorted(RECOMMENDERS))
def test_counts_signal_strength_says_what_the_scores_do(name: str) -> None:
    weighted, unit = _matrices()
    history = History(np.array([1, 4, 9], dtype=np.int64), np.array([5, 1, 3], dtype=np.float32))
    plain = History(history.items, np.ones(3, dtype=np.float32))
    switch = "weighting" if name == "popularity" else "binarize"
    for value in typing.get_args(type(build(name).config).model_fields[switch].annotation) or (
        True,
        False,
    ):
        config = _FAST.get(name, {}) | {switch: value}
        strong = build(name, config).fit(weighted).score(history)
        flat = build(name, config).fit(unit).score(plain)
        counts = build(name, config).counts_signal_strength()
        assert counts is not bool(np.allclose(strong, flat, atol=1e-6)), (name, value)
