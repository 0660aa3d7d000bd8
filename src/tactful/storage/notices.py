"""Published notice versions: append-only, read back in publication order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from tactful.consent.notice import Notice, PublishedNotice, parse_notice
from tactful.storage import tables as t


def latest_sequence(conn: Connection) -> int:
    return int(
        conn.execute(select(func.coalesce(func.max(t.notice_versions.c.sequence), 0))).scalar_one()
    )


def history(conn: Connection) -> list[PublishedNotice]:
    rows = conn.execute(select(t.notice_versions).order_by(t.notice_versions.c.sequence))
    return [
        PublishedNotice(
            sequence=int(r.sequence),
            notice=parse_notice(r.document, f"stored notice {r.version}"),
            published_at=r.published_at,
            changes={k: tuple(v) for k, v in dict(r.changes).items()},
        )
        for r in rows
    ]


def digest_of(conn: Connection, version: str) -> str | None:
    row = conn.execute(
        select(t.notice_versions.c.digest).where(t.notice_versions.c.version == version)
    ).first()
    return None if row is None else str(row.digest)


def add(
    conn: Connection,
    notice: Notice,
    changes: Mapping[str, Sequence[str]],
    published_at: datetime,
) -> None:
    conn.execute(
        insert(t.notice_versions).values(
            version=notice.version,
            digest=notice.digest,
            document=dict(notice.document),
            changes={k: list(v) for k, v in changes.items()},
            published_at=published_at,
        )
    )
