"""Fixtures for deployment tests: empty (never migrated) stores, and production settings."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tactful.settings import Settings
from tests.conftest import BACKENDS, need_service
from tests.http_helpers import KEY


def postgres_base() -> str:
    """The test server's URL; skipped (failed under CI=true) when there is none."""
    url = os.environ.get("TACTFUL_TEST_POSTGRES_URL")
    if not url:
        need_service("TACTFUL_TEST_POSTGRES_URL is not set")
    admin = create_engine(url)  # type: ignore[arg-type]
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        need_service(f"PostgreSQL at {url} is not reachable: {exc}")
    finally:
        admin.dispose()
    return url  # type: ignore[return-value]


def _fresh_postgres() -> Iterator[str]:
    base = postgres_base()
    name = f"tactful_d_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A PostgreSQL database with no schema at all."""
    yield from _fresh_postgres()


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store of each backend, never migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    yield from _fresh_postgres()


def production_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    """Settings that pass production's checks; the key files are made in development first
    (production never generates them)."""
    development = Settings(data_dir=data_dir, database_url=database_url, api_key=KEY)  # type: ignore[arg-type]
    from tactful.consent.signing import ReceiptSigner
    from tactful.services.identity import load_master_key

    ReceiptSigner.load_or_create(development.resolved_receipt_key_file, create=True)
    load_master_key(development)
    values: dict[str, object] = {
        "environment": "production",
        "data_dir": data_dir,
        "database_url": database_url,
        "api_key": KEY,
        "subject_token_secret": secrets.token_urlsafe(32),
        "master_key_file": development.resolved_master_key_file,
        "receipt_key_file": development.resolved_receipt_key_file,
        "public_url": "https://shop.example",
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]
