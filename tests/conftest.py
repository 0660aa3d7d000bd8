"""Shared fixtures: a fresh store per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tactful.settings import Settings
from tactful.storage.database import make_engine, migrate

IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]
DATASETS = Path(
    os.environ.get("TACTFUL_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets")
)


def need_service(reason: str) -> None:
    """Skip when a needed service or file is missing, but fail under CI=true."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, never skipped)")
    pytest.skip(reason)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    url = os.environ.get("TACTFUL_TEST_POSTGRES_URL")
    if not url:
        need_service("TACTFUL_TEST_POSTGRES_URL is not set")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        need_service(f"PostgreSQL at {url} is not reachable: {exc}")
    name = f"tactful_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    template_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(template_url)
    migrate(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A freshly migrated, empty database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "tactful.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    template: str = request.getfixturevalue("postgres_template")
    base = os.environ["TACTFUL_TEST_POSTGRES_URL"]
    name = f"tactful_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        api_key="test-operator-key-0123456789abcdef",  # type: ignore[arg-type]
        max_batch_rows=500,
    )
