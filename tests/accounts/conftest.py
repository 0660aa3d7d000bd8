"""The test shop (tests/shop.py) with business accounts and their events, trained, on each
backend; and an HTTP client on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.accounts import data
from tests.clock import Clock
from tests.trained_shop import clock

__all__ = ["clock"]


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(settings, clock=clock)
    shop.populate(svc)
    data.populate(svc)
    svc.train()
    yield svc
    svc.close()


@pytest.fixture
def client(settings: Settings, service: Tactful) -> TestClient:
    return TestClient(create_app(settings, service), raise_server_exceptions=False)
