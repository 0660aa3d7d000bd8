"""A trained shop per test (SQLite and PostgreSQL), its clock, and an HTTP client on it."""

from tests.trained_shop import client, clock, service

__all__ = ["client", "clock", "service"]
