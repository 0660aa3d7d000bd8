"""AI disclosure (EU AI Act Art. 50): every automated choice is marked for machines and
labelled for people wherever Tactful shows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.test_cli import tactful

KEY = {"X-API-Key": "test-operator-key-0123456789abcdef"}


@pytest.fixture
def service(settings: Settings) -> Iterator[Tactful]:
    svc = Tactful(settings)
    shop.populate(svc)
    svc.train()
    yield svc
    svc.close()


def test_every_decision_and_item_carries_the_marker(service: Tactful) -> None:
    client = TestClient(create_app(service.settings, service))
    for path in ("/v1/subjects/alice/recommendations", "/v1/subjects/dan/recommendations?k=3"):
        body = client.get(path, headers=KEY).json()
        assert body["disclosure"]["automated"] is True
        assert body["disclosure"]["label"]
        assert body["items"]
        assert all(item["ai_selected"] is True for item in body["items"])
        stored = client.get(f"/v1/decisions/{body['decision_id']}", headers=KEY).json()
        assert stored["disclosure"] == body["disclosure"]


def test_the_label_is_shown_in_the_export_page_and_the_cli(
    service: Tactful, settings: Settings
) -> None:
    from tactful.services.export import export_subject, render_export_html

    service.recommend("alice", k=3)
    page = render_export_html(export_subject(service, "alice"))
    assert "Chosen automatically" in page
    shown = tactful(settings, "recommend", "alice", "--k", "3")
    assert shown.returncode == 0, shown.stderr
    assert "Chosen for you automatically by a recommender system." in shown.stdout
