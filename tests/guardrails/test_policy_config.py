"""The guardrail policy is configuration: it is checked at start, it decides which catalog
categories are sensitive (for items already stored too), and pinned items obey it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.errors import BatchRejected, InvalidInput
from tactful.guardrails.policy import DEFAULT_POLICY, load_policy
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.http_helpers import OPERATOR, ok, problem

DEFAULT_TEXT = (Path(__file__).parents[2] / "src/tactful/defaults/guardrails.toml").read_text()


def _policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "guardrails.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("[messaging\n", "guardrails_file", "not valid TOML"),
        ("colour = 'red'\n", "colour", "invalid"),
        ("[messaging]\noverall = { day = -1 }\n", "messaging.overall.day", "invalid"),
        ("[messaging]\ndefault_time_zone = 'Mars/Base'\n", "messaging.default_time_zone", ""),
        ("[messaging]\ncopy_check = 'shout'\n", "messaging.copy_check", ""),
        (
            "[[sensitive]]\ncode = 'health'\ntitle = 'H'\n"
            "[[sensitive]]\ncode = 'health'\ntitle = 'H again'\n",
            "guardrails",
            "",
        ),
        (
            "[[sensitive]]\ncode = 'health'\ntitle = 'H'\ncatalog_categories = ['pharmacy']\n"
            "[[sensitive]]\ncode = 'drugs'\ntitle = 'D'\ncatalog_categories = ['pharmacy']\n",
            "guardrails",
            "",
        ),
        ("[messaging.channels.fax]\npurpose = 'marketing.fax'\n", "messaging.channels.fax", ""),
    ],
)
def test_a_bad_policy_file_is_refused_with_the_field_named(
    tmp_path: Path, text: str, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        load_policy(_policy_file(tmp_path, text))
    assert words in refused.value.detail
    assert any(e.field.startswith(field) for e in refused.value.errors), refused.value.errors


def test_a_missing_policy_file_is_a_clear_error_and_the_service_does_not_start(
    settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="Cannot read the guardrails file"):
        load_policy(tmp_path / "nowhere.toml")
    with pytest.raises(InvalidInput):
        Tactful(settings.model_copy(update={"guardrails_file": tmp_path / "nowhere.toml"}))
    # Nothing was opened: the store file was never created.
    assert not (settings.data_dir / "tactful.db").exists()


def test_the_shipped_policy_names_every_category_the_issue_requires() -> None:
    codes = DEFAULT_POLICY.sensitive_codes
    for required in (
        "health",
        "sexual_wellness",
        "gambling",
        "alcohol",
        "tobacco",
        "finance_hardship",
        "weight_loss",
        "religion",
        "politics",
    ):
        assert required in codes
    assert {"gambling", "alcohol"} <= set(DEFAULT_POLICY.protection.self_excludable)


@pytest.fixture
def trained(settings: Settings) -> Iterator[Tactful]:
    service = Tactful(settings)
    shop.populate(service)
    # Untagged, but in catalog categories the shipped policy makes sensitive.
    service.ingest_items(
        [
            {"item_id": "vape-1", "title": "Mint Vape Pods", "category": "vaping"},
            {"item_id": "loan-1", "title": "Quick Cash Loan", "category": "payday_loans"},
        ]
    )
    service.train()
    yield service
    service.close()


def _ids(body: dict[str, Any]) -> list[str]:
    return [i["item_id"] for i in body["items"]]


def test_a_catalog_category_alone_makes_an_item_sensitive(trained: Tactful) -> None:
    crowd = [
        {
            "subject_id": f"crowd-{n}",
            "event_type": "purchase",
            "item_id": "vape-1",
            "timestamp": "2026-10-20T10:00:00+00:00",
        }
        for n in range(10)
    ]
    # Nobody in the crowd opted in to tobacco: the events are not even kept.
    result = trained.ingest_events(crowd).as_dict()
    assert result["stored"] == 0
    assert any("tobacco" in r["reason"] for r in result["dropped_reasons"]), result
    everything = _ids(trained.recommend("alice", k=60))
    assert "vape-1" not in everything
    assert "loan-1" not in everything
    trained.record_consents(
        "alice", {"choices": [{"purpose": "sensitive.tobacco", "status": "granted"}]}
    )
    assert "vape-1" in _ids(trained.recommend("alice", k=60))


def test_an_operator_policy_adds_a_sensitive_category(settings: Settings, tmp_path: Path) -> None:
    text = DEFAULT_TEXT + (
        "\n[[sensitive]]\ncode = 'cannabis'\ntitle = 'Cannabis and CBD'\n"
        "catalog_categories = ['cbd']\n"
    )
    custom = settings.model_copy(update={"guardrails_file": _policy_file(tmp_path, text)})
    plain = Tactful(settings)
    try:
        with pytest.raises(BatchRejected) as refused:
            plain.ingest_items(
                [{"item_id": "oil", "title": "Oil", "category": "x", "sensitive": ["cannabis"]}]
            )
        assert refused.value.errors[0].field == "sensitive"
    finally:
        plain.close()
    service = Tactful(custom)
    try:
        shop.populate(service)
        service.ingest_items(
            [
                {"item_id": "cbd-1", "title": "Calm Drops", "category": "cbd"},
                {"item_id": "oil", "title": "Oil", "category": "x", "sensitive": ["cannabis"]},
            ]
        )
        service.train()
        shown = _ids(service.recommend("alice", k=60))
        assert "cbd-1" not in shown
        assert "oil" not in shown
        parameters = service.main_parameters()
        sensitive = next(
            g for g in parameters["guardrails"] if g["guardrail"] == "sensitive_category"
        )
        # The shipped notice has no purpose for it: nobody can opt in, and that is shown.
        assert {"category": "cannabis", "purpose": None} in sensitive["opt_in"]
    finally:
        service.close()


@pytest.fixture
def client(trained: Tactful) -> TestClient:
    return TestClient(create_app(trained.settings, trained), raise_server_exceptions=False)


def test_pinned_items_come_first_marked_as_the_shops_and_obey_the_guardrails(
    client: TestClient,
) -> None:
    body = ok(
        client.get(
            "/v1/subjects/alice/recommendations",
            params=[("k", "5"), ("pin", "books-3"), ("pin", "bet-1"), ("pin", "kitchen-2")],
            headers=OPERATOR,
        )
    )
    items = body["items"]
    assert [i["item_id"] for i in items[:2]] == ["books-3", "kitchen-2"]
    assert all(i["pinned"] and not i["ai_selected"] for i in items[:2])
    assert "Placed here by the shop" in items[0]["explanation"]["reason"]
    assert not any(i["pinned"] for i in items[2:])
    assert all(i["ai_selected"] for i in items[2:])
    assert len(items) == 5
    assert "bet-1" not in [i["item_id"] for i in items]
    assert any("1 of the items the shop placed" in n for n in body["notes"])


def test_a_minor_gets_pinned_items_but_nothing_sensitive_or_personal(client: TestClient) -> None:
    body = ok(
        client.get(
            "/v1/subjects/dan/recommendations",
            params=[("k", "4"), ("pin", "toys-1"), ("pin", "wine-1"), ("pin", "vape-1")],
            headers=OPERATOR,
        )
    )
    assert body["level"] == "off"
    assert not body["personalized"]
    assert [i["item_id"] for i in body["items"]][:1] == ["toys-1"]
    assert not {"wine-1", "vape-1"} & {i["item_id"] for i in body["items"]}


@pytest.mark.parametrize(
    "params",
    [
        [("pin", "bad id with spaces")],
        [("pin", "x" * 200)],
        [("pin", f"i{n}") for n in range(101)],
    ],
)
def test_bad_pins_are_a_clear_problem(client: TestClient, params: list[tuple[str, str]]) -> None:
    problem(client.get("/v1/subjects/alice/recommendations", params=params, headers=OPERATOR), 422)
