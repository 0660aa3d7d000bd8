"""accounts: business accounts, their events and their decisions (account level)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tactful.storage.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = tactful.storage.tables.UTCDateTime
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.account_id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("industry", sa.String(length=32), nullable=True),
        sa.Column("size_band", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "account_events",
        sa.Column("event_id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UTC(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("received_at", UTC(), nullable=False),
        _account_fk("account_events"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.item_id"], name=op.f("fk_account_events_item_id_items")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_account_events")),
    )
    op.create_index(
        "ix_account_events_recent",
        "account_events",
        ["account_id", "occurred_at", "event_id"],
    )
    op.create_table(
        "account_decisions",
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("surface", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("record", _JSON, nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        _account_fk("account_decisions"),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_account_decisions")),
    )
    op.create_index(op.f("ix_account_decisions_account_id"), "account_decisions", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_decisions_account_id"), table_name="account_decisions")
    op.drop_table("account_decisions")
    op.drop_index("ix_account_events_recent", table_name="account_events")
    op.drop_table("account_events")
    op.drop_table("accounts")
