"""A subject with something of every kind held about them, and a dump of the whole store."""

from __future__ import annotations

import glob
import shutil
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from tactful.service import Tactful
from tactful.storage import tables as t
from tests import shop
from tests.conftest import need_service

SUBJECT = "quill-5521"
EMAIL = "zoe.quill@example.com"
NAME = "Zoe Quillfeather"
PHONE = "+44 20 7946 0958"
QUERY = "quillfeather heirloom teapot"


def seed_subject(
    service: Tactful, configs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The shop, plus one person with identity, events, consents, decisions and receipts."""
    shop.populate(service)
    service.ingest_subjects(
        [
            {
                "subject_id": SUBJECT,
                "age_band": "35-44",
                "region": "west",
                "email": EMAIL,
                "name": NAME,
                "phone": PHONE,
            }
        ]
    )
    service.record_consents(SUBJECT, {"choices": shop.FULL})
    events = shop.person_events(SUBJECT, "kitchen", ("view", "purchase", "rating"))
    events.append(
        {
            "subject_id": SUBJECT,
            "event_type": "search",
            "query": QUERY,
            "timestamp": (shop.T0 + timedelta(days=21)).isoformat(),
        }
    )
    service.ingest_events(events)
    service.train(list(configs) if configs else None, configs)
    return service.recommend(SUBJECT, k=5)


def traces() -> list[str]:
    return [SUBJECT, EMAIL, NAME, PHONE, QUERY]


def table_dump(service: Tactful) -> str:
    """Every row of every table, as text."""
    parts: list[str] = []
    with service.store.reading() as conn:
        for table in t.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(parts)


def database_dump(service: Tactful, url: str) -> str:
    """The backend's own dump: `iterdump` on SQLite, `pg_dump` on PostgreSQL."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        assert path is not None
        with sqlite3.connect(path) as conn:
            return "\n".join(conn.iterdump())
    tool = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))), None
    )
    if tool is None:
        need_service("pg_dump is not installed")
    target = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(
        [str(tool), "--data-only", "--inserts", target],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def raw_files(url: str) -> bytes:
    """The SQLite store's bytes on disk, write-ahead log included (free pages too)."""
    path = Path(make_url(url).database or "")
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        data += wal.read_bytes()
    return data
