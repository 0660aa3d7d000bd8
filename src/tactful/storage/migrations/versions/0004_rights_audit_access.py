"""subject identity, tombstones, rights requests, audit log, API keys, complaints

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tactful.storage.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, tactful.storage.tables.UTCDateTime(timezone=True), nullable=nullable)


def _subject_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["subject_id"],
        ["subjects.subject_id"],
        name=op.f(f"fk_{table}_subject_id_subjects"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "subject_identity",
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        _when("updated_at"),
        _subject_fk("subject_identity"),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_identity")),
    )
    op.create_table(
        "tombstones",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        _when("erased_at"),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_tombstones")),
    )
    op.create_table(
        "rights_requests",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=True),
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_via", sa.String(length=16), nullable=False),
        _when("received_at"),
        _when("due_at"),
        _when("updated_at"),
        _when("completed_at", nullable=True),
        sa.Column("steps", _JSON, nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rights_requests")),
    )
    op.create_index(op.f("ix_rights_requests_subject_id"), "rights_requests", ["subject_id"])
    op.create_index(op.f("ix_rights_requests_subject_ref"), "rights_requests", ["subject_ref"])
    op.create_index("ix_rights_requests_status", "rights_requests", ["status", "due_at"])
    op.create_table(
        "audit_log",
        sa.Column("seq", _ID, autoincrement=False, nullable=False),
        _when("at"),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_ref", sa.String(length=64), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_subject_ref"), "audit_log", ["subject_ref"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", _ID, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", _ID, autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        _when("signed_at"),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", _JSON, nullable=False),
        _when("created_at"),
        _when("expires_at", nullable=True),
        _when("revoked_at", nullable=True),
        _when("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("item_id", sa.String(length=128), nullable=True),
        sa.Column("message_ref", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("sealed_text", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        _when("created_at"),
        _when("due_at"),
        _when("updated_at"),
        sa.Column("resolution", sa.Text(), nullable=True),
        _when("resolved_at", nullable=True),
        _subject_fk("complaints"),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaints")),
    )
    op.create_index(op.f("ix_complaints_subject_id"), "complaints", ["subject_id"])
    op.create_index("ix_complaints_queue", "complaints", ["status", "due_at"])
    op.create_table(
        "suppressions",
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=True),
        _when("created_at"),
        _subject_fk("suppressions"),
        sa.PrimaryKeyConstraint("subject_id", "item_id", name=op.f("pk_suppressions")),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    op.drop_index("ix_complaints_queue", table_name="complaints")
    op.drop_index(op.f("ix_complaints_subject_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_table("api_keys")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_audit_log_subject_ref"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_rights_requests_status", table_name="rights_requests")
    op.drop_index(op.f("ix_rights_requests_subject_ref"), table_name="rights_requests")
    op.drop_index(op.f("ix_rights_requests_subject_id"), table_name="rights_requests")
    op.drop_table("rights_requests")
    op.drop_table("tombstones")
    op.drop_table("subject_identity")
