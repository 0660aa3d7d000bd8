"""guardrails and messaging: time zones, protections, campaigns, messages

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tactful.storage.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC = tactful.storage.tables.UTCDateTime
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _subject_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["subject_id"],
        ["subjects.subject_id"],
        name=op.f(f"fk_{table}_subject_id_subjects"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("subject_attributes") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.create_table(
        "protections",
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("ends_at", UTC(timezone=True), nullable=True),
        sa.Column("lift_requested_at", UTC(timezone=True), nullable=True),
        _subject_fk("protections"),
        sa.PrimaryKeyConstraint("subject_id", "kind", "category", name=op.f("pk_protections")),
    )
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("profiled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "messages",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("campaign_id", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("record", _JSON, nullable=False),
        sa.Column("decided_at", UTC(timezone=True), nullable=False),
        sa.Column("engagement", sa.String(length=16), nullable=True),
        sa.Column("engaged_at", UTC(timezone=True), nullable=True),
        sa.Column("unsubscribe_hash", sa.String(length=64), nullable=True),
        _subject_fk("messages"),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_messages")),
        sa.UniqueConstraint("unsubscribe_hash", name=op.f("uq_messages_unsubscribe_hash")),
    )
    op.create_index("ix_messages_subject_decided", "messages", ["subject_id", "decided_at"])
    op.create_table(
        "message_gate",
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("last_decided_at", UTC(timezone=True), nullable=False),
        _subject_fk("message_gate"),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_message_gate")),
    )


def downgrade() -> None:
    op.drop_table("message_gate")
    op.drop_index("ix_messages_subject_decided", table_name="messages")
    op.drop_table("messages")
    op.drop_table("campaigns")
    op.drop_table("protections")
    with op.batch_alter_table("subject_attributes") as batch:
        batch.drop_column("time_zone")
