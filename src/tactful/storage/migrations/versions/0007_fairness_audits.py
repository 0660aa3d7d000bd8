"""fairness audits: every run's figures, alert and acknowledgement

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tactful.storage.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = tactful.storage.tables.UTCDateTime
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "fairness_audits",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("window_start", UTC(), nullable=True),
        sa.Column("window_end", UTC(), nullable=True),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("triggered_by", sa.String(length=128), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.Column("crossed", _JSON, nullable=False),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("acknowledged_at", UTC(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_fairness_audits")),
    )
    op.create_index("ix_fairness_audits_started", "fairness_audits", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_fairness_audits_started", table_name="fairness_audits")
    op.drop_table("fairness_audits")
