"""The store: reads and writes domain values; every batch is one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.errors import StoreUnavailable
from tactful.storage import tables as t
from tactful.storage.complaints import suppressed_items
from tactful.storage.database import PoolOptions, make_engine, migrate, require_current
from tactful.storage.raw import AGE, consent_record, utc

# Keep each INSERT's bound parameters under SQLite's and psycopg's limits.
_CHUNK = 2000


_EVENT_TYPES = {e.value: e for e in EventType}
# What a decision or a training run reads of an event; provenance columns stay behind.
_EVENT_COLUMNS = (
    t.events.c.subject_id,
    t.events.c.event_type,
    t.events.c.occurred_at,
    t.events.c.item_id,
    t.events.c.value,
    t.events.c.query,
)


# The statements every decision runs, built once: building a Core statement and computing
# its cache key cost more than the query itself on SQLite.
_SUBJECT = (
    select(t.subjects.c.subject_id, t.subject_attributes)
    .select_from(t.subjects.outerjoin(t.subject_attributes))
    .where(t.subjects.c.subject_id == bindparam("subject_id"))
)
_CONSENTS_FOR = (
    select(t.consent_records)
    .where(t.consent_records.c.subject_id == bindparam("subject_id"))
    .order_by(t.consent_records.c.sequence)
)
_ALL_EVENTS_FOR = (
    select(*_EVENT_COLUMNS)
    .where(
        t.events.c.subject_id == bindparam("subject_id"),
        t.events.c.event_type.in_(bindparam("types", expanding=True)),
    )
    .order_by(t.events.c.occurred_at.desc(), t.events.c.event_id.desc())
)
_EVENTS_FOR = _ALL_EVENTS_FOR.limit(bindparam("limit", type_=Integer))
# Only the columns of ix_events_subject_recent: the read is answered from the index alone.
_RECENT_SIGNALS = (
    select(t.events.c.event_type, t.events.c.occurred_at, t.events.c.item_id, t.events.c.value)
    .where(
        t.events.c.subject_id == bindparam("subject_id"),
        t.events.c.event_type.in_(bindparam("types", expanding=True)),
    )
    .order_by(t.events.c.occurred_at.desc(), t.events.c.event_id.desc())
    .limit(bindparam("limit", type_=Integer))
)
_INSERT_DECISION = insert(t.decisions)


@dataclass(frozen=True, slots=True)
class _HotSQL:
    """A decision's statements as plain SQL for one dialect, run on the DBAPI cursor.

    Each costs SQLAlchemy more Python (~70 µs: compile cache, execution context, result
    processing) than the database needs to answer it, and a decision runs three. The
    results are converted here exactly as the Core reads convert them.
    """

    param: str
    subject_ledger: str
    insert_decision: str
    suppressed: str

    def recent_signals(self, n_types: int) -> str:
        types = ", ".join([self.param] * n_types)
        p = self.param
        # Only the columns of ix_events_subject_recent: answered from the index alone.
        return (
            "SELECT event_type, occurred_at, item_id, value FROM events"
            f" WHERE subject_id = {p} AND event_type IN ({types})"
            f" ORDER BY occurred_at DESC, event_id DESC LIMIT {p}"
        )


def _hot_sql(param: str, json: str) -> _HotSQL:
    p = param
    return _HotSQL(
        param=p,
        # The subject, its attributes and its whole consent ledger in one round trip; a
        # subject with no choices yet comes back as one row with NULL ledger columns.
        subject_ledger=(
            "SELECT a.age_band, a.region, a.gender, a.occupation, a.time_zone, c.purpose, c.status,"
            " c.notice_version, c.method, c.recorded_at, c.sequence"
            " FROM subjects s"
            " LEFT OUTER JOIN subject_attributes a ON a.subject_id = s.subject_id"
            " LEFT OUTER JOIN consent_records c ON c.subject_id = s.subject_id"
            f" WHERE s.subject_id = {p} ORDER BY c.sequence"
        ),
        # Everything the person asked not to see, in one round trip: reported items, items
        # they are not interested in, categories they want less of, fewer messages, and
        # their protections (self-exclusions, vulnerability) with when each ends.
        # (Protections first: their end time gives the third column its type.)
        suppressed=(
            f"SELECT kind, category, ends_at FROM protections WHERE subject_id = {p}"
            f" UNION ALL SELECT 'reported', item_id, NULL FROM suppressions WHERE subject_id = {p}"
            f" UNION ALL SELECT kind, target, NULL FROM feedback WHERE subject_id = {p}"
        ),
        insert_decision=(
            "INSERT INTO decisions (decision_id, subject_id, surface, level, model_name,"
            f" model_version, purposes, record, created_at) VALUES ({p}, {p}, {p}, {p}, {p},"
            f" {p}, {json}, {json}, {p})"
        ),
    )


# Other dialects take the Core statements above.
_HOT = {"sqlite": _hot_sql("?", "?"), "postgresql": _hot_sql("%s", "CAST(%s AS JSONB)")}


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event: Event
    purposes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModelVersion:
    version: str
    name: str
    config: dict[str, Any]
    trained_on: dict[str, Any]
    path: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | str) -> datetime:
    """A timestamp as the Core reads it: SQLite's raw cursor gives text, without a zone."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _execute(conn: Connection, sql: str, params: tuple[Any, ...]) -> Any:
    """Run `sql` on the DBAPI connection under `conn`, inside whatever transaction it has.

    A driver error comes out as from `conn.execute`: wrapped in SQLAlchemy's `DBAPIError`,
    with a lost connection invalidated so the pool drops it.
    """
    error: Any = conn.dialect.loaded_dbapi.Error
    try:
        return conn.connection.driver_connection.execute(sql, params)  # type: ignore[union-attr]
    except error as exc:
        lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            sql, params, exc, error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite storage format for a (UTC) datetime."""
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 - SQLAlchemy's own format
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(
        cls, url: str, *, migrate_schema: bool = True, pool: PoolOptions | None = None
    ) -> Store:
        """The store at `url`, its schema migrated to head; without `migrate_schema` (as in
        production, where `tactful migrate` does it) StoreUnavailable unless already there."""
        engine = make_engine(url, pool)
        try:
            if migrate_schema:
                migrate(engine)
            else:
                require_current(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            if exc.connection_invalidated or "could not connect" in str(exc.orig):
                raise StoreUnavailable("The store cannot be reached.") from exc
            raise

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # -- items ------------------------------------------------------------------------
    def upsert_items(self, conn: Connection, batch: Sequence[Item]) -> tuple[int, int]:
        """Insert new items and replace existing ones; returns (created, updated)."""
        ids = [i.item_id for i in batch]
        existing = self.existing_item_ids(conn, ids)
        now = _now()
        rows = [
            {
                "item_id": i.item_id,
                "title": i.title,
                "category": i.category,
                "provider": i.provider,
                "tags": list(i.tags),
                "sensitive": sorted(i.sensitive),
                "editorial": i.editorial,
                "updated_at": now,
            }
            for i in batch
        ]
        new_rows = [r for r in rows if r["item_id"] not in existing]
        for chunk in _chunks(new_rows):
            conn.execute(insert(t.items), chunk)
        for row in (r for r in rows if r["item_id"] in existing):
            conn.execute(update(t.items).where(t.items.c.item_id == row["item_id"]).values(row))
        return len(new_rows), len(rows) - len(new_rows)

    def existing_item_ids(self, conn: Connection, ids: Iterable[str]) -> set[str]:
        return self._existing(conn, t.items.c.item_id, ids)

    def all_items(self, conn: Connection) -> dict[str, Item]:
        return {
            r.item_id: Item(
                item_id=r.item_id,
                title=r.title,
                category=r.category,
                provider=r.provider,
                tags=tuple(r.tags),
                sensitive=frozenset(r.sensitive),
                editorial=r.editorial,
            )
            for r in conn.execute(select(t.items))
        }

    def catalog_stamp(self, conn: Connection) -> tuple[int, datetime | None]:
        """Changes whenever the catalog does; lets readers cache it."""
        row = conn.execute(select(func.count(), func.max(t.items.c.updated_at))).one()
        return int(row[0]), row[1]

    # -- subjects ---------------------------------------------------------------------
    def upsert_subjects(self, conn: Connection, batch: Sequence[Subject]) -> tuple[int, int]:
        ids = [s.subject_id for s in batch]
        existing = self.existing_subject_ids(conn, ids)
        now = _now()
        new = [s for s in batch if s.subject_id not in existing]
        for chunk in _chunks([{"subject_id": s.subject_id, "created_at": now} for s in new]):
            conn.execute(insert(t.subjects), chunk)
        conn.execute(
            delete(t.subject_attributes).where(
                t.subject_attributes.c.subject_id.in_(
                    [s.subject_id for s in batch if s.subject_id in existing]
                )
            )
        )
        attr_rows = [
            {
                "subject_id": s.subject_id,
                "age_band": s.attributes.age_band.value if s.attributes.age_band else None,
                "region": s.attributes.region,
                "gender": s.attributes.gender,
                "occupation": s.attributes.occupation,
                "time_zone": s.attributes.time_zone,
                "updated_at": now,
            }
            for s in batch
        ]
        for chunk in _chunks(attr_rows):
            conn.execute(insert(t.subject_attributes), chunk)
        return len(new), len(batch) - len(new)

    def existing_subject_ids(self, conn: Connection, ids: Iterable[str]) -> set[str]:
        return self._existing(conn, t.subjects.c.subject_id, ids)

    def get_subject(self, conn: Connection, subject_id: str) -> Subject | None:
        row = conn.execute(_SUBJECT, {"subject_id": subject_id}).first()
        if row is None:
            return None
        return Subject(
            subject_id=subject_id,
            attributes=SubjectAttributes(
                age_band=AgeBand(row.age_band) if row.age_band else None,
                region=row.region,
                gender=row.gender,
                occupation=row.occupation,
                time_zone=row.time_zone,
            ),
        )

    def subject_and_consents(
        self, conn: Connection, subject_id: str
    ) -> tuple[Subject, list[ConsentRecord]] | None:
        """What `get_subject` and `consents_for` return, in one statement; None if unknown."""
        hot = _HOT.get(conn.dialect.name)
        if hot is None:
            subject = self.get_subject(conn, subject_id)
            return None if subject is None else (subject, self.consents_for(conn, subject_id))
        rows = _execute(conn, hot.subject_ledger, (subject_id,)).fetchall()
        if not rows:
            return None
        age_band, region, gender, occupation, time_zone = rows[0][:5]
        subject = Subject(
            subject_id=subject_id,
            attributes=SubjectAttributes(
                age_band=AGE[age_band] if age_band else None,
                region=region,
                gender=gender,
                occupation=occupation,
                time_zone=time_zone,
            ),
        )
        consents = [consent_record(subject_id, *row[5:]) for row in rows if row[10] is not None]
        return subject, consents

    def count(self, conn: Connection, table: str) -> int:
        return int(
            conn.execute(select(func.count()).select_from(t.metadata.tables[table])).one()[0]
        )

    # -- events -----------------------------------------------------------------------
    def add_events(self, conn: Connection, batch: Sequence[StoredEvent]) -> int:
        now = _now()
        rows = [
            {
                "subject_id": s.event.subject_id,
                "item_id": s.event.item_id,
                "event_type": s.event.event_type.value,
                "data_category": s.event.data_category.value,
                "occurred_at": s.event.occurred_at,
                "value": s.event.value,
                "query": s.event.query,
                "purposes": list(s.purposes),
                "received_at": now,
            }
            for s in batch
        ]
        for chunk in _chunks(rows):
            conn.execute(insert(t.events), chunk)
        return len(rows)

    def events_for(
        self,
        conn: Connection,
        subject_id: str,
        event_types: Iterable[EventType] | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """The subject's events, newest first; `limit` keeps only the most recent ones."""
        types = [e.value for e in (event_types if event_types is not None else EventType)]
        if not types:
            return []
        params = {"subject_id": subject_id, "types": types, "limit": limit if limit else -1}
        statement = _EVENTS_FOR if limit else _ALL_EVENTS_FOR
        return [self._event(r) for r in conn.execute(statement, params)]

    def recent_signals(
        self, conn: Connection, subject_id: str, event_types: Iterable[EventType], limit: int
    ) -> list[Event]:
        """The subject's newest `limit` events of these types, without search text."""
        types = [e.value for e in event_types]
        if not types:
            return []
        hot = _HOT.get(conn.dialect.name)
        if hot is None:
            params = {"subject_id": subject_id, "types": types, "limit": limit}
            return [
                Event(subject_id, _EVENT_TYPES[kind], occurred_at, item_id, value)
                for kind, occurred_at, item_id, value in conn.execute(_RECENT_SIGNALS, params)
            ]
        sql = hot.recent_signals(len(types))
        rows = _execute(conn, sql, (subject_id, *types, limit)).fetchall()
        return [
            Event(subject_id, _EVENT_TYPES[kind], utc(occurred_at), item_id, value)
            for kind, occurred_at, item_id, value in rows
        ]

    def exclusions(
        self, conn: Connection, subject_id: str, now: datetime
    ) -> dict[str, frozenset[str]]:
        """What the person asked for, by kind: `reported` and `not_interested` items,
        `less_like_this` categories, `fewer_messages` channels (see `storage.feedback`),
        and their protections in force at `now`: `self_exclusion` categories and
        `vulnerable` (holding "") (see `tables.protections`)."""
        hot = _HOT.get(conn.dialect.name)
        if hot is None:
            rows: list[tuple[str, str, Any]] = [
                ("reported", i, None) for i in suppressed_items(conn, subject_id)
            ]
            f, pr = t.feedback.c, t.protections.c
            rows += [
                (r.kind, r.target, None)
                for r in conn.execute(select(f.kind, f.target).where(f.subject_id == subject_id))
            ]
            rows += [
                (r.kind, r.category, r.ends_at)
                for r in conn.execute(
                    select(pr.kind, pr.category, pr.ends_at).where(pr.subject_id == subject_id)
                )
            ]
        else:
            params = (subject_id, subject_id, subject_id)
            rows = _execute(conn, hot.suppressed, params).fetchall()
        found: dict[str, set[str]] = {}
        for kind, target, ends_at in rows:
            if ends_at is not None and _utc(ends_at) <= now:
                continue
            found.setdefault(kind, set()).add(target)
        return {kind: frozenset(targets) for kind, targets in found.items()}

    def iter_events(self, conn: Connection, event_types: Iterable[EventType]) -> Iterator[Event]:
        types = [e.value for e in event_types]
        query = (
            select(*_EVENT_COLUMNS)
            .where(t.events.c.event_type.in_(types), t.events.c.item_id.is_not(None))
            .execution_options(yield_per=20_000)
        )
        for row in conn.execute(query):
            yield self._event(row)

    @staticmethod
    def _event(row: Any) -> Event:
        subject_id, event_type, occurred_at, item_id, value, query = row
        return Event(subject_id, _EVENT_TYPES[event_type], occurred_at, item_id, value, query)

    # -- consent ----------------------------------------------------------------------
    def append_consents(
        self, conn: Connection, records: Sequence[ConsentRecord]
    ) -> list[ConsentRecord]:
        stored: list[ConsentRecord] = []
        for r in records:
            result = conn.execute(
                insert(t.consent_records).values(
                    record_id=uuid.uuid4(),
                    subject_id=r.subject_id,
                    purpose=r.purpose,
                    status=r.status.value,
                    notice_version=r.notice_version,
                    method=r.method.value,
                    recorded_at=r.recorded_at,
                )
            )
            key = result.inserted_primary_key
            sequence = int(key[0]) if key is not None else 0
            stored.append(
                ConsentRecord(
                    subject_id=r.subject_id,
                    purpose=r.purpose,
                    status=r.status,
                    notice_version=r.notice_version,
                    method=r.method,
                    recorded_at=r.recorded_at,
                    sequence=sequence,
                )
            )
        return stored

    def bulk_append_consents(self, conn: Connection, records: Sequence[ConsentRecord]) -> int:
        rows = [
            {
                "record_id": uuid.uuid4(),
                "subject_id": r.subject_id,
                "purpose": r.purpose,
                "status": r.status.value,
                "notice_version": r.notice_version,
                "method": r.method.value,
                "recorded_at": r.recorded_at,
            }
            for r in records
        ]
        for chunk in _chunks(rows):
            conn.execute(insert(t.consent_records), chunk)
        return len(rows)

    def consents_for(self, conn: Connection, subject_id: str) -> list[ConsentRecord]:
        return [self._consent(r) for r in conn.execute(_CONSENTS_FOR, {"subject_id": subject_id})]

    def consents_for_many(
        self, conn: Connection, subject_ids: Iterable[str]
    ) -> dict[str, list[ConsentRecord]]:
        out: dict[str, list[ConsentRecord]] = {}
        ids = list(subject_ids)
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(t.consent_records)
                .where(t.consent_records.c.subject_id.in_(ids[start : start + _CHUNK]))
                .order_by(t.consent_records.c.sequence)
            )
            for row in conn.execute(query):
                out.setdefault(row.subject_id, []).append(self._consent(row))
        return out

    def all_consents(self, conn: Connection) -> dict[str, list[ConsentRecord]]:
        out: dict[str, list[ConsentRecord]] = {}
        for row in conn.execute(select(t.consent_records).order_by(t.consent_records.c.sequence)):
            out.setdefault(row.subject_id, []).append(self._consent(row))
        return out

    @staticmethod
    def _consent(row: Any) -> ConsentRecord:
        return ConsentRecord(
            subject_id=row.subject_id,
            purpose=row.purpose,
            status=ConsentStatus(row.status),
            notice_version=row.notice_version,
            method=ConsentMethod(row.method),
            recorded_at=row.recorded_at,
            sequence=int(row.sequence),
        )

    # -- decisions --------------------------------------------------------------------
    def add_decision(self, conn: Connection, record: dict[str, Any]) -> None:
        decision_id = uuid.UUID(record["decision_id"])
        created_at = datetime.fromisoformat(record["created_at"])
        hot = _HOT.get(conn.dialect.name)
        if hot is None:
            conn.execute(
                _INSERT_DECISION,
                {
                    "decision_id": decision_id,
                    "subject_id": record["subject_id"],
                    "surface": record["surface"],
                    "level": record["level"],
                    "model_name": record["model"]["name"],
                    "model_version": record["model"]["version"],
                    "purposes": record["purposes"],
                    "record": record,
                    "created_at": created_at,
                },
            )
            return
        sqlite = hot.param == "?"
        if created_at.tzinfo is None:
            raise ValueError("naive datetime reached the store")
        created_at = created_at.astimezone(UTC)
        _execute(
            conn,
            hot.insert_decision,
            (
                # What `Uuid` and `UTCDateTime` bind: SQLite keeps hex and naive UTC text.
                decision_id.hex if sqlite else decision_id,
                record["subject_id"],
                record["surface"],
                record["level"],
                record["model"]["name"],
                record["model"]["version"],
                orjson.dumps(record["purposes"]).decode(),
                orjson.dumps(record).decode(),
                _sqlite_datetime(created_at) if sqlite else created_at,
            ),
        )

    def get_decision(self, conn: Connection, decision_id: uuid.UUID) -> dict[str, Any] | None:
        row = conn.execute(
            select(t.decisions.c.record).where(t.decisions.c.decision_id == decision_id)
        ).first()
        return dict(row.record) if row is not None else None

    # -- models -----------------------------------------------------------------------
    def add_model_version(self, conn: Connection, version: ModelVersion) -> None:
        conn.execute(
            insert(t.model_versions).values(
                version=version.version,
                name=version.name,
                config=version.config,
                trained_on=version.trained_on,
                path=version.path,
                created_at=version.created_at,
            )
        )

    def latest_model(self, conn: Connection, name: str) -> ModelVersion | None:
        row = conn.execute(
            select(t.model_versions)
            .where(t.model_versions.c.name == name)
            .order_by(t.model_versions.c.created_at.desc(), t.model_versions.c.version.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return ModelVersion(
            version=row.version,
            name=row.name,
            config=dict(row.config),
            trained_on=dict(row.trained_on),
            path=row.path,
            created_at=row.created_at,
        )

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _existing(conn: Connection, column: Any, ids: Iterable[str]) -> set[str]:
        wanted = list(set(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            found.update(
                conn.execute(select(column).where(column.in_(wanted[start : start + _CHUNK])))
                .scalars()
                .all()
            )
        return found
