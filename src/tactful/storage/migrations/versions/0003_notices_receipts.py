"""notice versions, signed consent receipts, consent evidence, objections

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tactful.storage.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, tactful.storage.tables.UTCDateTime(timezone=True), nullable=nullable)


def _subject(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.subject_id"],
            name=op.f(f"fk_{table}_subject_id_subjects"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "notice_versions",
        sa.Column("sequence", _ID, autoincrement=True, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("changes", _JSON, nullable=False),
        _when("published_at"),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_notice_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_notice_versions_version")),
    )
    op.create_table(
        "consent_receipts",
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        *_subject("consent_receipts"),
        _when("issued_at"),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("notice_version", sa.String(length=64), nullable=False),
        sa.Column("choices", _JSON, nullable=False),
        sa.Column("ledger_sequences", _JSON, nullable=False),
        sa.Column("evidence_id", sa.Uuid(), nullable=True),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id", name=op.f("pk_consent_receipts")),
    )
    op.create_index("ix_consent_receipts_subject", "consent_receipts", ["subject_id", "issued_at"])
    op.create_table(
        "consent_evidence",
        sa.Column("evidence_id", sa.Uuid(), nullable=False),
        *_subject("consent_evidence"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("decoded", _JSON, nullable=False),
        _when("received_at"),
        sa.PrimaryKeyConstraint("evidence_id", name=op.f("pk_consent_evidence")),
    )
    op.create_index(op.f("ix_consent_evidence_subject_id"), "consent_evidence", ["subject_id"])
    op.create_table(
        "objections",
        sa.Column("objection_id", sa.Uuid(), nullable=False),
        *_subject("objections"),
        _when("raised_at"),
        sa.Column("raised_via", sa.String(length=16), nullable=False),
        _when("lifted_at", nullable=True),
        sa.PrimaryKeyConstraint("objection_id", name=op.f("pk_objections")),
    )
    op.create_index(op.f("ix_objections_subject_id"), "objections", ["subject_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_objections_subject_id"), table_name="objections")
    op.drop_table("objections")
    op.drop_index(op.f("ix_consent_evidence_subject_id"), table_name="consent_evidence")
    op.drop_table("consent_evidence")
    op.drop_index("ix_consent_receipts_subject", table_name="consent_receipts")
    op.drop_table("consent_receipts")
    op.drop_table("notice_versions")
