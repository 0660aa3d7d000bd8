"""A trained shop per test (SQLite and PostgreSQL), its clock, an HTTP client on it, and the
shop with four weeks of known history (see `store`)."""

from __future__ import annotations

import pytest

from tactful.service import Tactful
from tests.clock import Clock
from tests.ethics.store import Built, build
from tests.trained_shop import client, clock, service

__all__ = ["client", "clock", "history", "service"]


@pytest.fixture
def history(service: Tactful, clock: Clock) -> Built:
    return build(service, clock)
