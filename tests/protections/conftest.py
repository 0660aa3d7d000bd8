"""The shop's people on each backend (no model: protections need none), the clock the test
moves, and an HTTP client on them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.clock import Clock
from tests.trained_shop import T0


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(settings.model_copy(update={"subject_rate_limit_per_minute": 0}), clock=clock)
    svc.ingest_items(shop.items())
    svc.ingest_subjects(shop.subjects())
    yield svc
    svc.close()


@pytest.fixture
def client(service: Tactful) -> TestClient:
    return TestClient(create_app(service.settings, service), raise_server_exceptions=False)
