"""The PostgreSQL pool as settings size it, and the store's failures as 503 problems: a pool
with no free connection, a server gone, a statement over the timeout. Never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tactful.api.app import create_app
from tactful.errors import StoreUnavailable
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage.database import PoolOptions, make_engine
from tests import shop
from tests.http_helpers import KEY, OPERATOR, ok, problem
from tests.live_server import free_port

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
RECOMMEND = "/v1/subjects/alice/recommendations?k=3"


def _tight(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "database_url": database_url,
        "api_key": KEY,
        "database_pool_size": 1,
        "database_max_overflow": 0,
        "database_pool_timeout": 0.2,
        "retention_interval_seconds": 0,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture
def tight(tmp_path: Path, database_url: str) -> Iterator[tuple[Tactful, TestClient]]:
    """A trained shop whose pool holds one connection and waits 0.2 s for it."""
    settings = _tight(tmp_path, database_url)
    service = Tactful(settings)
    shop.populate(service)
    service.train()
    yield service, TestClient(create_app(settings, service), raise_server_exceptions=False)
    service.close()


def test_settings_size_the_pool() -> None:
    settings = Settings(
        database_pool_size=3,
        database_max_overflow=2,
        database_pool_timeout=1.5,
        database_pool_recycle=60,
        database_pool_pre_ping=False,
        database_connect_timeout=4,
        database_statement_timeout=2.5,
        database_application_name="shop-web",
    )
    options = PoolOptions.of(settings)
    assert options == PoolOptions(3, 2, 1.5, 60, False, 4, 2.5, "shop-web")
    assert options.connections == 5
    engine = make_engine("postgresql+psycopg://u@127.0.0.1:9/db", options)
    pool = engine.pool
    assert pool.size() == 3  # type: ignore[attr-defined]
    assert pool._max_overflow == 2  # type: ignore[attr-defined]
    assert pool._timeout == 1.5  # type: ignore[attr-defined]
    assert pool._recycle == 60
    assert pool._pre_ping is False
    engine.dispose()


def test_the_defaults_fit_eight_workers_and_a_batch_job_under_max_connections() -> None:
    """The arithmetic of settings.py and docs/deployment.md: PostgreSQL's default
    max_connections (100) less superuser_reserved_connections (3)."""
    per_process = PoolOptions.of(Settings()).connections
    assert per_process == 10
    assert (8 + 1) * per_process <= 100 - 3


@POSTGRES_ONLY
def test_connections_say_who_they_are_and_time_out_statements(
    tmp_path: Path, database_url: str
) -> None:
    settings = _tight(
        tmp_path,
        database_url,
        database_statement_timeout=0.2,
        database_application_name="tactful-test",
    )
    engine = make_engine(database_url, PoolOptions.of(settings))
    with engine.connect() as conn:
        assert conn.execute(text("SHOW application_name")).scalar_one() == "tactful-test"
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
    with pytest.raises(StoreUnavailable, match="statement timeout"), engine.connect() as conn:
        conn.execute(text("SELECT pg_sleep(5)"))
    # The connection is usable again at once.
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
    # A name in the URL wins over the setting.
    named = make_url(database_url).update_query_dict({"application_name": "from-url"})
    engine = make_engine(named.render_as_string(hide_password=False), PoolOptions.of(settings))
    with engine.connect() as conn:
        assert conn.execute(text("SHOW application_name")).scalar_one() == "from-url"
    engine.dispose()


@POSTGRES_ONLY
def test_an_exhausted_pool_is_a_503_not_a_500(tight: tuple[Tactful, TestClient]) -> None:
    service, client = tight
    assert ok(client.get(RECOMMEND, headers=OPERATOR))["level"] == "full"
    held = service.store.engine.connect()  # the pool's one connection, busy elsewhere
    try:
        for path in (RECOMMEND, "/v1/subjects/alice/consents", "/healthz"):
            body = problem(client.get(path, headers=OPERATOR), 503)
            assert body["type"].endswith("/store-unavailable")
            assert "busy" in body["detail"] or "does not answer" in body["detail"]
    finally:
        held.close()
    assert ok(client.get(RECOMMEND, headers=OPERATOR))["level"] == "full"


@POSTGRES_ONLY
def test_a_store_gone_is_a_503_and_a_restart_of_it_is_survived(
    tight: tuple[Tactful, TestClient], database_url: str
) -> None:
    service, client = tight
    ok(client.get(RECOMMEND, headers=OPERATOR))
    # The server drops every connection (a restart, a failover): pre-ping reconnects.
    _terminate_backends(database_url)
    assert ok(client.get(RECOMMEND, headers=OPERATOR))["level"] == "full"

    # Nothing listens where the store was.
    working = service.store.engine
    gone = make_url(database_url).set(port=free_port()).render_as_string(hide_password=False)
    service.store.engine = make_engine(gone, PoolOptions(connect_timeout_seconds=2))
    try:
        for path in (RECOMMEND, "/healthz"):
            body = problem(client.get(path, headers=OPERATOR), 503)
            assert body["type"].endswith("/store-unavailable")
    finally:
        service.store.engine.dispose()
        service.store.engine = working
    assert ok(client.get("/healthz"))["store"] == "ok"


@POSTGRES_ONLY
def test_without_pre_ping_a_dropped_connection_is_one_503_then_recovered(
    tmp_path: Path, database_url: str
) -> None:
    settings = _tight(tmp_path, database_url, database_pool_pre_ping=False)
    service = Tactful(settings)
    client = TestClient(create_app(settings, service), raise_server_exceptions=False)
    try:
        consents = "/v1/subjects/nobody/consents"
        problem(client.get(consents, headers=OPERATOR), 404)
        _terminate_backends(database_url)
        assert "cannot be reached" in problem(client.get(consents, headers=OPERATOR), 503)["detail"]
        problem(client.get(consents, headers=OPERATOR), 404)
    finally:
        service.close()


def _terminate_backends(database_url: str) -> None:
    name = make_url(database_url).database
    admin = create_engine(make_url(database_url).set(database="postgres"))
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.commit()
    admin.dispose()
