"""Campaigns messages belong to (see `tables.campaigns`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from tactful.messaging.rules import Campaign
from tactful.storage import tables as t

_C = t.campaigns.c


def get(conn: Connection, campaign_id: str) -> tuple[Campaign, datetime] | None:
    """The campaign and when it was added; None when there is none by that id."""
    row = conn.execute(select(t.campaigns).where(_C.campaign_id == campaign_id)).first()
    if row is None:
        return None
    return Campaign(row.campaign_id, row.title, row.category, bool(row.profiled)), row.created_at


def add(conn: Connection, campaign: Campaign, now: datetime) -> None:
    conn.execute(
        insert(t.campaigns).values(
            campaign_id=campaign.campaign_id,
            title=campaign.title,
            category=campaign.category,
            profiled=campaign.profiled,
            created_at=now,
        )
    )


def all_campaigns(conn: Connection) -> list[tuple[Campaign, datetime]]:
    """Every campaign, oldest first (there are a handful per month, not millions)."""
    rows = conn.execute(select(t.campaigns).order_by(_C.created_at, _C.campaign_id))
    return [
        (Campaign(r.campaign_id, r.title, r.category, bool(r.profiled)), r.created_at) for r in rows
    ]


def titles(conn: Connection, campaign_ids: set[str]) -> dict[str, str]:
    if not campaign_ids:
        return {}
    rows = conn.execute(
        select(_C.campaign_id, _C.title).where(_C.campaign_id.in_(sorted(campaign_ids)))
    )
    return {r.campaign_id: r.title for r in rows}
