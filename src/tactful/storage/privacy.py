"""The privacy releases of the cohort trends, and the attributes cohorts are formed from."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from tactful.domain.subjects import SubjectAttributes
from tactful.storage import tables as t
from tactful.storage.raw import AGE

_R = t.privacy_releases.c


def add_release(conn: Connection, row: dict[str, Any]) -> uuid.UUID:
    """Record one release; `row` holds every column but the id."""
    release_id = uuid.uuid4()
    conn.execute(insert(t.privacy_releases).values(release_id=release_id, **row))
    return release_id


def releases(conn: Connection, limit: int | None = None) -> list[dict[str, Any]]:
    """Every release, oldest first (the last `limit` when given)."""
    query = select(t.privacy_releases).order_by(_R.created_at.desc(), _R.release_id)
    if limit is not None:
        query = query.limit(limit)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    rows.reverse()
    return rows


def cohort_attributes(
    conn: Connection, subject_ids: Sequence[str] | None = None
) -> dict[str, SubjectAttributes]:
    """Each subject's age band and region (the only attributes a cohort may use)."""
    a = t.subject_attributes.c
    query = select(a.subject_id, a.age_band, a.region)
    if subject_ids is not None:
        query = query.where(a.subject_id.in_(list(subject_ids)))
    return {
        r.subject_id: SubjectAttributes(
            age_band=AGE[r.age_band] if r.age_band else None, region=r.region
        )
        for r in conn.execute(query)
    }
