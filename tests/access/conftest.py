"""Fixtures: a service on each backend with a clock the test moves, and its hardened app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests.access.helpers import harden
from tests.clock import Clock

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(settings, clock=clock)
    yield svc
    svc.close()


@pytest.fixture
def client(settings: Settings, service: Tactful) -> TestClient:
    return TestClient(
        harden(create_app(settings, service), settings), raise_server_exceptions=False
    )
