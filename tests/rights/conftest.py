"""A trained shop per test (SQLite and PostgreSQL), its clock, and an HTTP client on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


class Clock:
    """Time as the test sets it: it moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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
