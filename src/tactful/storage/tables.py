"""Table definitions, dialect-neutral (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType: Any = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId: Any = BigInteger().with_variant(Integer(), "sqlite")


def _subject_id(*, primary_key: bool = False, index: bool = False) -> Column[str]:
    """The column naming the person a row is about; their rows go when they do."""
    return Column(
        "subject_id",
        String(128),
        ForeignKey("subjects.subject_id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
        index=index,
    )


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

subjects = Table(
    "subjects",
    metadata,
    Column("subject_id", String(128), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Descriptive attributes apart from the identifier table (data minimisation, audits).
subject_attributes = Table(
    "subject_attributes",
    metadata,
    _subject_id(primary_key=True),
    Column("age_band", String(16)),
    Column("region", String(64)),
    Column("gender", String(32)),
    Column("occupation", String(64)),
    # IANA zone name; quiet hours are kept in it (absent: the policy's default zone).
    Column("time_zone", String(64)),
    Column("updated_at", UTCDateTime(), nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("item_id", String(128), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("category", String(64), nullable=False),
    Column("provider", String(128), nullable=False),
    Column("tags", JSONType, nullable=False),
    Column("sensitive", JSONType, nullable=False),
    Column("editorial", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("event_id", BigId, primary_key=True, autoincrement=True),
    _subject_id(),
    Column("item_id", String(128), ForeignKey("items.item_id"), nullable=True),
    Column("event_type", String(16), nullable=False),
    Column("data_category", String(32), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("value", Float, nullable=True),
    Column("query", String(500), nullable=True),
    # The granted purposes that covered this event when it was stored.
    Column("purposes", JSONType, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    # Covers a decision's read of recent signals, so it never touches the table rows.
    Index(
        "ix_events_subject_recent",
        "subject_id",
        "occurred_at",
        "event_id",
        "event_type",
        "item_id",
        "value",
    ),
)

consent_records = Table(
    "consent_records",
    metadata,
    Column("sequence", BigId, primary_key=True, autoincrement=True),
    Column("record_id", Uuid, nullable=False, unique=True),
    _subject_id(index=True),
    Column("purpose", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("notice_version", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", Uuid, primary_key=True),
    _subject_id(index=True),
    Column("surface", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("model_name", String(64), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("purposes", JSONType, nullable=False),
    Column("record", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("version", String(128), primary_key=True),
    Column("name", String(64), nullable=False, index=True),
    Column("config", JSONType, nullable=False),
    Column("trained_on", JSONType, nullable=False),
    Column("path", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Each published version of the privacy notice; a version's content never changes.
notice_versions = Table(
    "notice_versions",
    metadata,
    Column("sequence", BigId, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False, unique=True),
    Column("digest", String(64), nullable=False),
    Column("document", JSONType, nullable=False),
    # Per purpose, how this version added to or widened it (makes earlier grants stale).
    Column("changes", JSONType, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
)

# The signed receipt returned for each consent change, kept so a person can list theirs.
consent_receipts = Table(
    "consent_receipts",
    metadata,
    Column("receipt_id", Uuid, primary_key=True),
    _subject_id(),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("method", String(16), nullable=False),
    Column("notice_version", String(64), nullable=False),
    Column("choices", JSONType, nullable=False),
    Column("ledger_sequences", JSONType, nullable=False),
    Column("evidence_id", Uuid, nullable=True),
    Column("jws", Text, nullable=False),
    Index("ix_consent_receipts_subject", "subject_id", "issued_at"),
)

# Signals received from elsewhere as they arrived (an IAB TCF string), kept as evidence.
consent_evidence = Table(
    "consent_evidence",
    metadata,
    Column("evidence_id", Uuid, primary_key=True),
    _subject_id(index=True),
    Column("kind", String(16), nullable=False),
    Column("raw", Text, nullable=False),
    Column("decoded", JSONType, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
)

# Objections to direct marketing (GDPR Art. 21(2)); only the subject can lift one.
objections = Table(
    "objections",
    metadata,
    Column("objection_id", Uuid, primary_key=True),
    _subject_id(index=True),
    Column("raised_at", UTCDateTime(), nullable=False),
    Column("raised_via", String(16), nullable=False),
    Column("lifted_at", UTCDateTime(), nullable=True),
)


# -- data subject rights, security and accountability -----------------------------------

# Identifying fields (email, name, phone), sealed with AES-GCM under the subject's own data
# key. The key itself lives in the keyring, outside this store and its backups, so
# destroying it makes every copy of this row unreadable (crypto-shredding).
subject_identity = Table(
    "subject_identity",
    metadata,
    _subject_id(primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# What is left of an erased subject: a keyed fingerprint of the id, no personal data, so a
# replayed import naming the id is refused rather than bringing the person back.
tombstones = Table(
    "tombstones",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("erased_at", UTCDateTime(), nullable=False),
    Column("request_id", Uuid, nullable=True),
)

# Rights requests (access, rectification, erasure) and their progress. No foreign key: the
# row outlives an erased subject, whose id is then cleared and only the fingerprint stays.
rights_requests = Table(
    "rights_requests",
    metadata,
    Column("request_id", Uuid, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("subject_id", String(128), nullable=True, index=True),
    Column("subject_ref", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("requested_via", String(16), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("completed_at", UTCDateTime(), nullable=True),
    # [{status, at}], and counts of what was done; never personal data.
    Column("steps", JSONType, nullable=False),
    Column("detail", JSONType, nullable=False),
    Index("ix_rights_requests_status", "status", "due_at"),
)

# The tamper-evident audit log: each entry holds the hash of the one before it.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    # The subject as a keyed fingerprint: the log outlives erasure without naming anyone.
    Column("subject_ref", String(64), nullable=True, index=True),
    Column("detail", JSONType, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# One row: the newest entry's sequence and hash. Appenders lock it, so the chain is one line
# even with several writers.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigId, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Signed statements "entry `seq` has hash `hash`", made every so many entries.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("signed_at", UTCDateTime(), nullable=False),
    Column("jws", Text, nullable=False),
)

# Operator API keys, kept only as hashes, each with its scopes.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
)

# Concerns a person reported about a decision or message, and how they were handled.
complaints = Table(
    "complaints",
    metadata,
    Column("complaint_id", Uuid, primary_key=True),
    _subject_id(index=True),
    Column("decision_id", Uuid, nullable=True),
    Column("item_id", String(128), nullable=True),
    Column("message_ref", String(128), nullable=True),
    Column("reason", String(16), nullable=False),
    # The person's own words, sealed under their data key like identifying fields.
    Column("sealed_text", LargeBinary, nullable=True),
    Column("status", String(16), nullable=False),
    Column("owner", String(128), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("resolution", Text, nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Index("ix_complaints_queue", "status", "due_at"),
)

# Items a person reported: never shown to them again.
suppressions = Table(
    "suppressions",
    metadata,
    _subject_id(primary_key=True),
    Column("item_id", String(128), primary_key=True),
    Column("complaint_id", Uuid, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# A person's own controls over their lists: "not interested" in one item, "show less like
# this" for a category. Each changes the very next decision.
feedback = Table(
    "feedback",
    metadata,
    _subject_id(primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("target", String(128), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The person's protections: a self-exclusion from a category (until `ends_at`, or until a
# lift takes effect), or their flag that they are vulnerable (category "").
protections = Table(
    "protections",
    metadata,
    _subject_id(primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime()),
    Column("lift_requested_at", UTCDateTime()),
)

# Campaigns messages belong to: what they offer and whether their audience comes from
# profiling (which a minor, or anyone without profiling consent, never gets).
campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", String(128), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("category", String(64)),
    Column("profiled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Every messaging decision, send or hold, with its reasons; engagement reported later
# tells fatigue apart from interest.
messages = Table(
    "messages",
    metadata,
    Column("message_id", Uuid, primary_key=True),
    _subject_id(),
    Column("channel", String(8), nullable=False),
    Column("campaign_id", String(128), nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("record", JSONType, nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False),
    Column("engagement", String(16)),
    Column("engaged_at", UTCDateTime()),
    # SHA-256 of the one-click unsubscribe token of a sent email (the token is never kept).
    Column("unsubscribe_hash", String(64), unique=True),
    Index("ix_messages_subject_decided", "subject_id", "decided_at"),
)

# One row per person messaged: the messaging decision locks it first, so that concurrent
# decisions for one person are counted against the caps one after the other.
message_gate = Table(
    "message_gate",
    metadata,
    _subject_id(primary_key=True),
    Column("last_decided_at", UTCDateTime(), nullable=False),
)

# Every fairness audit run: its figures (aggregates only, no person's data), whether a
# threshold was crossed, and who acknowledged the alert. Kept so a report shows the trend.
fairness_audits = Table(
    "fairness_audits",
    metadata,
    Column("audit_id", Uuid, primary_key=True),
    Column("source", String(16), nullable=False),  # "store" or "offline"
    Column("label", String(128), nullable=False),  # "store", or the offline protocol
    Column("window_start", UTCDateTime()),
    Column("window_end", UTCDateTime()),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("triggered_by", String(128), nullable=False),  # the actor, or "schedule"
    Column("alert", Boolean, nullable=False),
    Column("crossed", JSONType, nullable=False),  # the checks whose threshold was crossed
    Column("result", JSONType, nullable=False),
    Column("acknowledged_at", UTCDateTime()),
    Column("acknowledged_by", String(128)),
    Index("ix_fairness_audits_started", "started_at"),
)

# Every differentially private release of the cohort trends (the aggregate level): what it
# spent, as OpenDP's privacy map gives it, and how many cohorts it showed. No person's data:
# the contributors are a noisy count, part of the release.
privacy_releases = Table(
    "privacy_releases",
    metadata,
    Column("release_id", Uuid, primary_key=True),
    Column("model_version", String(128), nullable=False),
    Column("mechanism", String(128), nullable=False),
    Column("epsilon", Float, nullable=False),
    Column("delta", Float, nullable=False),
    Column("min_cohort", Integer, nullable=False),  # k
    Column("max_items", Integer, nullable=False),
    Column("dimensions", JSONType, nullable=False),  # e.g. ["region", "age_band"]
    Column("cohorts_released", Integer, nullable=False),
    Column("cohorts_suppressed", Integer, nullable=False),
    Column("contributors_noisy", Integer, nullable=False),
    Column("detail", JSONType, nullable=False),  # noise scale, sensitivity, size weight
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_privacy_releases_created", "created_at"),
)

# Business accounts (account-level personalization): firmographics only, no person's data.
accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(128), primary_key=True),
    Column("industry", String(32)),
    Column("size_band", String(16)),
    Column("country", String(2)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)


def _account_id(*, index: bool = False) -> Column[str]:
    """The column naming the account a row is about; its rows go when it does."""
    return Column(
        "account_id",
        String(128),
        ForeignKey("accounts.account_id", ondelete="CASCADE"),
        nullable=False,
        index=index,
    )


# What an organisation did with an item (view, add_to_cart, quote_request, purchase).
account_events = Table(
    "account_events",
    metadata,
    Column("event_id", BigId, primary_key=True, autoincrement=True),
    _account_id(),
    Column("item_id", String(128), ForeignKey("items.item_id"), nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("quantity", Integer),
    Column("received_at", UTCDateTime(), nullable=False),
    Index("ix_account_events_recent", "account_id", "occurred_at", "event_id"),
)

# Account-level decision records, as `decisions` holds a person's.
account_decisions = Table(
    "account_decisions",
    metadata,
    Column("decision_id", Uuid, primary_key=True),
    _account_id(index=True),
    Column("surface", String(64), nullable=False),
    Column("model_name", String(64), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("record", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# One row per run of a scheduled job (retention, fairness audits), inserted before the run:
# with several serving processes, the one whose insert succeeds runs the job for that slot.
job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("claimed_at", UTCDateTime(), nullable=False),
)
