"""Engines and migrations.

One engine per process and store. On PostgreSQL its connection pool is sized by settings
(`PoolOptions`), so that N worker processes stay within the server's `max_connections`;
a pool with no free connection within its timeout, a server that cannot be reached and a
statement over the statement timeout all come out as `StoreUnavailable` (a 503 problem
over HTTP), never as a driver error.

Migrations are applied by `tactful migrate` (and on open in development). On PostgreSQL
they run in one transaction holding an advisory lock, so two processes migrating at once
apply them once; on SQLite the transaction is taken with `BEGIN IMMEDIATE`, to the same end.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool

from tactful.errors import StoreUnavailable

if TYPE_CHECKING:
    from tactful.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key held while migrating: any fixed 64-bit number Tactful owns.
MIGRATION_LOCK = 0x7AC7F0_1D_0001
# SQLSTATE of a statement cancelled by statement_timeout.
_QUERY_CANCELED = "57014"
UNREACHABLE = "The store cannot be reached."


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """How one process connects to a PostgreSQL store (SQLite has no pool to size).

    Each process holds up to `size + max_overflow` connections: `size` kept open, the
    overflow opened under load and closed when returned. A request waits `timeout_seconds`
    for a free one, then gets a 503.
    """

    size: int = 5
    max_overflow: int = 5
    timeout_seconds: float = 10.0
    recycle_seconds: int = 1800
    pre_ping: bool = True
    connect_timeout_seconds: int = 10
    statement_timeout_seconds: float = 0.0
    application_name: str = "tactful"

    @classmethod
    def of(cls, settings: Settings) -> PoolOptions:
        return cls(
            size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            timeout_seconds=settings.database_pool_timeout,
            recycle_seconds=settings.database_pool_recycle,
            pre_ping=settings.database_pool_pre_ping,
            connect_timeout_seconds=settings.database_connect_timeout,
            statement_timeout_seconds=settings.database_statement_timeout,
            application_name=settings.database_application_name,
        )

    @property
    def connections(self) -> int:
        """The most connections one process opens."""
        return self.size + self.max_overflow


class _Pool(QueuePool):
    """A queue pool whose exhaustion is the store being unavailable, not a crash."""

    def _do_get(self) -> Any:
        try:
            return super()._do_get()
        except PoolTimeout as exc:
            raise StoreUnavailable(
                f"Every connection to the store is busy (pool of {self.size()} + "
                f"{self._max_overflow} overflow, waited {self._timeout:g} s); try again shortly."
            ) from exc


def _unavailable(context: ExceptionContext) -> BaseException | None:
    """Driver errors that mean "the store cannot answer now" become `StoreUnavailable`.

    A lost connection is still invalidated by SQLAlchemy (after this hook), and a failed
    pre-ping is left alone: the pool then reconnects by itself.
    """
    if context.is_pre_ping:
        return None
    original = context.original_exception
    if context.connection is None and isinstance(context.sqlalchemy_exception, OperationalError):
        return StoreUnavailable(UNREACHABLE)
    if context.is_disconnect:
        return StoreUnavailable(UNREACHABLE)
    if getattr(original, "sqlstate", None) == _QUERY_CANCELED:
        return StoreUnavailable("The store did not answer within the statement timeout.")
    return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    # Turning a new file to WAL takes an exclusive lock and does not wait on the busy
    # handler: processes opening a new store at once (workers, `tactful migrate`) would get
    # "database is locked". It is retried for as long as the busy timeout would wait.
    for attempt in range(200):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 199:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten, not left in free pages: erasure leaves nothing to carve.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _json_dumps(value: Any) -> str:
    # Every decision stores its record as JSON; orjson encodes it several times faster.
    return orjson.dumps(value).decode()


def make_engine(url: str, pool: PoolOptions | None = None) -> Engine:
    json_options: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
        # Bound values are personal data: never in a statement log or an error message.
        "hide_parameters": True,
    }
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **json_options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    pool = pool or PoolOptions()
    engine = create_engine(
        url,
        poolclass=_Pool,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_seconds,
        pool_recycle=pool.recycle_seconds,
        pool_pre_ping=pool.pre_ping,
        connect_args=_connect_args(url, pool),
        **json_options,
    )
    event.listen(engine, "handle_error", _unavailable)
    return engine


def _connect_args(url: str, pool: PoolOptions) -> dict[str, Any]:
    """libpq parameters: how long to try connecting, the name `pg_stat_activity` shows, and
    the statement timeout. Parameters in the URL's query win."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return {}
    given = set(parsed.query)
    wanted: dict[str, Any] = {
        "connect_timeout": pool.connect_timeout_seconds,
        "application_name": pool.application_name,
    }
    if pool.statement_timeout_seconds > 0:
        wanted["options"] = f"-c statement_timeout={round(pool.statement_timeout_seconds * 1000)}"
    return {k: v for k, v in wanted.items() if k not in given}


# -- migrations -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Migration:
    """What one `migrate` did: the schema revision before and after (None: empty store)."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration this version of Tactful ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def schema_revision(engine: Engine) -> str | None:
    """The revision the store's schema is at; None for an empty store."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise StoreUnavailable(f"Cannot reach the store: {exc.orig}") from exc


def pending_migrations(engine: Engine) -> list[str]:
    """The migrations not yet applied to the store, oldest first.

    StoreUnavailable when the store's revision is one this Tactful does not know (a newer
    version migrated it): no migration can help, only running that version.
    """
    current = schema_revision(engine)
    script = ScriptDirectory.from_config(_config())
    try:
        revisions = list(script.iterate_revisions("head", current or "base"))
    except (CommandError, RevisionError) as exc:
        raise StoreUnavailable(
            f"The store's schema is at revision {current}, which this version of Tactful "
            f"does not know (its newest is {head_revision()}): run the Tactful that migrated it."
        ) from exc
    return [r.revision for r in reversed(revisions)]


def require_current(engine: Engine) -> None:
    """Refuse to serve a store whose schema is behind the code (production never migrates
    on start: one `tactful migrate` does it, before the workers start)."""
    pending = pending_migrations(engine)
    if pending:
        current = schema_revision(engine) or "empty"
        raise StoreUnavailable(
            f"The store's schema is at {current}, behind this Tactful ({head_revision()}); "
            f"{len(pending)} migration(s) pending ({', '.join(pending)}). Run `tactful "
            "migrate` once, then start the servers."
        )


def migrate(engine: Engine) -> Migration:
    """Bring the schema to the newest migration; safe to run from several processes at once."""
    from alembic import command

    config = _config()
    try:
        with _migration_transaction(engine) as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            after = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise StoreUnavailable(f"Cannot reach the store: {exc.orig}") from exc
    assert after is not None
    return Migration(before, after)


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that no other migrating process can enter until it ends."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            raw: Any = conn.connection.driver_connection
            legacy = raw.isolation_level
            # The driver would only begin at the first INSERT, leaving the DDL unguarded:
            # begin ourselves, taking the write lock at once.
            raw.isolation_level = None
            try:
                with conn.begin():
                    raw.execute("BEGIN IMMEDIATE")
                    yield conn
            finally:
                raw.isolation_level = legacy
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Released at commit or rollback; a second process waits here, then finds the
            # schema at head and does nothing.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        yield conn
