"""Fixtures for suites that need the shop trained: a service per backend on a clock the test
moves, and an HTTP client on it. A suite's conftest imports them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.clock import Clock

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(settings, clock=clock)
    shop.populate(svc)
    svc.train()
    yield svc
    svc.close()


@pytest.fixture
def client(settings: Settings, service: Tactful) -> TestClient:
    return TestClient(create_app(settings, service), raise_server_exceptions=False)
