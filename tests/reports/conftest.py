"""A trained shop per test (SQLite and PostgreSQL) and its clock, for the report cache."""

from tests.trained_shop import clock, service

__all__ = ["clock", "service"]
