"""privacy releases: the differential-privacy budget each aggregate release spent

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tactful.storage.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = tactful.storage.tables.UTCDateTime
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "privacy_releases",
        sa.Column("release_id", sa.Uuid(), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("mechanism", sa.String(length=128), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("min_cohort", sa.Integer(), nullable=False),
        sa.Column("max_items", sa.Integer(), nullable=False),
        sa.Column("dimensions", _JSON, nullable=False),
        sa.Column("cohorts_released", sa.Integer(), nullable=False),
        sa.Column("cohorts_suppressed", sa.Integer(), nullable=False),
        sa.Column("contributors_noisy", sa.Integer(), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_privacy_releases")),
    )
    op.create_index("ix_privacy_releases_created", "privacy_releases", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_releases_created", table_name="privacy_releases")
    op.drop_table("privacy_releases")
