"""Migrations by command: `tactful migrate` and `--check` on both backends, production's
refusal of a store behind the code, development's migration on open, and concurrent
migrations guarded by a lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from tactful.cli import app
from tactful.cli.migrating import run_migrate
from tactful.errors import StoreUnavailable
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage.database import (
    MIGRATION_LOCK,
    _config,
    head_revision,
    make_engine,
    migrate,
    pending_migrations,
    schema_revision,
)
from tactful.storage.repository import Store
from tests.deploy.conftest import production_settings
from tests.http_helpers import KEY

OLD = "0005"  # a revision well behind head, as a store left by an older Tactful


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=url, api_key=KEY)  # type: ignore[arg-type]


def _at(url: str, revision: str) -> None:
    """Migrate the store at `url` to `revision` only."""
    engine = make_engine(url)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return schema_revision(engine)
    finally:
        engine.dispose()


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    env = {
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_API_KEY": KEY,
        "COLUMNS": "300",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_migrate_applies_every_migration_then_nothing(tmp_path: Path, empty_url: str) -> None:
    settings = _settings(tmp_path, empty_url)
    code, out = _cli(settings, "migrate", "--check")
    assert code == 1
    assert "pending" in out
    assert "tactful migrate" in out
    assert "schema at empty" in out

    code, out = _cli(settings, "migrate")
    assert code == 0, out
    assert f"migrated from empty to {head_revision()}" in out
    assert _revision(empty_url) == head_revision()

    code, out = _cli(settings, "migrate")
    assert code == 0
    assert "nothing to apply" in out
    code, out = _cli(settings, "migrate", "--check")
    assert code == 0
    assert "current" in out


def test_check_names_the_pending_migrations_from_an_older_schema(
    tmp_path: Path, empty_url: str
) -> None:
    _at(empty_url, OLD)
    settings = _settings(tmp_path, empty_url)
    engine = make_engine(empty_url)
    pending = pending_migrations(engine)
    engine.dispose()
    assert pending[0] == "0006"
    assert pending[-1] == head_revision()
    code, out = _cli(settings, "migrate", "--check")
    assert code == 1
    assert f"schema at {OLD}" in out
    assert ", ".join(pending) in out
    assert run_migrate(settings) == 0
    assert _revision(empty_url) == head_revision()


def test_migrate_never_prints_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://tactful:hunter2-secret@127.0.0.1:9/nowhere"
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        api_key=KEY,  # type: ignore[arg-type]
        database_connect_timeout=1,
    )
    code, out = _cli(settings, "migrate", "--check")
    assert code == 2
    assert "hunter2" not in out
    assert "cannot be reached" in out.lower() or "cannot reach" in out.lower()


def test_production_refuses_a_store_behind_and_names_the_command(
    tmp_path: Path, empty_url: str
) -> None:
    _at(empty_url, OLD)
    settings = production_settings(tmp_path / "var", empty_url)
    with pytest.raises(StoreUnavailable) as refused:
        Tactful(settings)
    assert "tactful migrate" in refused.value.detail
    assert OLD in refused.value.detail
    assert _revision(empty_url) == OLD, "production must not migrate on start"

    # `tactful serve` says so readably and exits before listening.
    env = {
        "TACTFUL_ENVIRONMENT": "production",
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": empty_url,
        "TACTFUL_API_KEY": KEY,
        "TACTFUL_SUBJECT_TOKEN_SECRET": settings.subject_token_key(),
        "TACTFUL_MASTER_KEY_FILE": str(settings.master_key_file),
        "TACTFUL_RECEIPT_KEY_FILE": str(settings.receipt_key_file),
        "TACTFUL_PUBLIC_URL": "https://shop.example",
        "COLUMNS": "300",
    }
    result = CliRunner().invoke(app, ["serve", "--port", "9"], env=env)
    assert result.exit_code == 2
    assert "tactful migrate" in result.output
    assert _revision(empty_url) == OLD

    # Once migrated by the command, production starts (and still does not migrate itself).
    assert run_migrate(settings) == 0
    Tactful(settings).close()


def test_production_refuses_an_empty_store(tmp_path: Path, empty_url: str) -> None:
    settings = production_settings(tmp_path / "var", empty_url)
    with pytest.raises(StoreUnavailable, match="tactful migrate"):
        Tactful(settings)
    assert _revision(empty_url) is None


def test_development_migrates_on_open(tmp_path: Path, empty_url: str) -> None:
    _at(empty_url, OLD)
    Tactful(_settings(tmp_path, empty_url)).close()
    assert _revision(empty_url) == head_revision()


def test_a_store_ahead_of_the_code_is_refused_readably(tmp_path: Path, empty_url: str) -> None:
    migrate(engine := make_engine(empty_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreUnavailable, match="does not know"):
        Store.open(empty_url, migrate_schema=False)


def _migrate_together(url: str, n: int) -> list[BaseException | str]:
    results: list[BaseException | str] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            results.append(migrate(engine).after)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_processes_migrating_an_empty_store_at_once_both_succeed(empty_url: str) -> None:
    results = _migrate_together(empty_url, 3)
    assert results == [head_revision()] * 3
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    engine.dispose()


def test_a_migration_waits_for_the_advisory_lock(empty_postgres: str) -> None:
    """While another session holds the migration lock, `migrate` waits without touching the
    schema; once it is released, it migrates."""
    holder = make_engine(empty_postgres)
    # Autocommit: each look at pg_stat_activity is a fresh snapshot.
    with holder.connect().execution_options(isolation_level="AUTOCOMMIT") as held:
        held.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        done: list[str] = []

        def run() -> None:
            engine = make_engine(empty_postgres)
            done.append(migrate(engine).after)
            engine.dispose()

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 60
        waiting = 0
        while not waiting and time.monotonic() < deadline:
            waiting = held.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            ).scalar_one()
            time.sleep(0.05)
        assert waiting == 1
        assert not done
        assert schema_revision(holder) is None
        held.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    thread.join(timeout=120)
    assert done == [head_revision()]
    holder.dispose()
