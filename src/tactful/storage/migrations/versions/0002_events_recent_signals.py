"""events: a covering index for a subject's recent signals

A decision reads a subject's newest events of the allowed types; with every column it needs
in the index, the read never visits the table rows, which lie scattered across the file.
It replaces the narrower subject/time index, of which it is an extension.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = ["subject_id", "occurred_at", "event_id", "event_type", "item_id", "value"]


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_subject_recent", _COLUMNS, unique=False)
        batch_op.drop_index("ix_events_subject_time")


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_subject_time", ["subject_id", "occurred_at"], unique=False)
        batch_op.drop_index("ix_events_subject_recent")
