"""One typed settings object, read from `TACTFUL_*` environment variables by a factory."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEFAULT_PORTS = {"http": 80, "https": 443}
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "test"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TACTFUL_", extra="forbid", frozen=True)

    environment: Literal["development", "production"] = Field(
        "development",
        description="In production, secrets must be set explicitly and may not be placeholders.",
    )
    data_dir: Path = Field(
        Path("./var"), description="Where the SQLite store, model files and keys live."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store; default: SQLite file tactful.db in data_dir. "
        "Use postgresql+psycopg://... for PostgreSQL.",
    )
    # -- PostgreSQL connections (docs/deployment.md). Each process opens at most
    # pool_size + max_overflow connections (10 by default), so the processes on one server,
    # `tactful serve` workers on every host plus `tactful train` or `migrate`, must keep
    # processes x 10 under max_connections - superuser_reserved_connections (100 - 3 = 97 by
    # default): 8 workers and one batch process (90) fit. SQLite ignores these.
    database_pool_size: int = Field(
        5, ge=1, le=100, description="Connections one process keeps open to PostgreSQL."
    )
    database_max_overflow: int = Field(
        5, ge=0, le=100, description="Connections one process may open beyond the pool size."
    )
    database_pool_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a request waits for a free connection before a 503.",
    )
    database_pool_recycle: int = Field(
        1800,
        ge=-1,
        description="Seconds after which a connection is replaced (before a proxy or firewall "
        "drops it); -1: never.",
    )
    database_pool_pre_ping: bool = Field(
        True, description="Check each connection as it leaves the pool (one round trip)."
    )
    database_connect_timeout: int = Field(
        10, ge=1, le=300, description="Seconds to wait for PostgreSQL to accept a connection."
    )
    database_statement_timeout: float = Field(
        0.0,
        ge=0,
        description="Seconds after which PostgreSQL cancels a statement (a 503); 0: no limit. "
        "Worth setting for the serving workers (30, say), not for `tactful train`.",
    )
    database_application_name: str = Field(
        "tactful",
        min_length=1,
        max_length=63,
        description="The name PostgreSQL's pg_stat_activity shows for these connections.",
    )
    api_key_cache_seconds: float = Field(
        0.0,
        ge=0,
        le=60,
        description="How long a process trusts a verified API key without reading the store; "
        "0: a key revoked through any worker or host is refused at once everywhere.",
    )
    api_key: SecretStr | None = Field(
        None,
        description="Operator API key. In development, one is generated and kept in "
        "data_dir/operator-api-key when unset.",
    )
    host: str = Field("127.0.0.1", description="Address `tactful serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `tactful serve` listens on.")
    max_batch_rows: int = Field(
        10_000, ge=1, le=100_000, description="Most rows one ingestion batch may hold."
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest HTTP request body accepted."
    )
    max_k: int = Field(100, ge=1, le=1000, description="Most items one recommendation returns.")
    history_limit: int = Field(
        500,
        ge=1,
        le=100_000,
        description="Most recent signals one decision reads of a person's history.",
    )
    surface_rerankers: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per surface, a re-ranker applied after the guardrails, as JSON: "
        '{"home": {"kind": "mmr", "lambda_": 0.7}, "discover": {"kind": "exploration", '
        '"share": 0.2}}; kinds mmr, calibrated, exploration, fair_exposure, popularity_debiased, '
        "group_calibrated. Unnamed surfaces: the plain top k.",
    )
    personal_model: str = Field(
        "ease", description="Recommender used at the basic and full personalization levels."
    )
    # -- aggregate level: cohort trends released with differential privacy (tactful.privacy).
    # Each `tactful train` makes one release over the same people, so the budgets add up;
    # the transparency document shows every release and the total.
    aggregate_epsilon: float = Field(
        1.0,
        gt=0,
        le=100,
        description="Privacy budget (epsilon, delta 0) one release of the cohort trends spends.",
    )
    aggregate_budget: float = Field(
        10.0,
        ge=0,
        le=10_000,
        description="Most epsilon the releases of the cohort trends may spend together within "
        "`aggregate_budget_days`; a training that would go over it leaves the trends already "
        "published in service. 0: no cap.",
    )
    aggregate_budget_days: int = Field(
        365,
        ge=1,
        le=36_500,
        description="The rolling period over which `aggregate_budget` is counted, in days.",
    )
    aggregate_min_cohort: int = Field(
        50,
        ge=2,
        le=1_000_000,
        description="Fewest people (noisy count) a cohort needs for its own trends (k); below "
        "it, its members get the population's. The default notice says 50.",
    )
    aggregate_max_items: int = Field(
        20,
        ge=1,
        le=1000,
        description="Most distinct items one person counts in a release (their strongest).",
    )
    aggregate_candidates: int = Field(
        50,
        ge=0,
        le=1_000_000,
        description="Items a release counts: the first of the popularity model's ranking (the "
        "list shown to everyone at level off, already public); the others come after them in "
        "that order. Fewer items, less noise in the top. 0: the whole catalog.",
    )
    aggregate_cohort_by: list[str] = Field(
        default_factory=lambda: ["region", "age_band"],
        description="The attributes a cohort shares: region, age_band or both (JSON list).",
    )
    aggregate_regions: list[str] = Field(
        default_factory=list,
        description="The region values cohorts are formed for (JSON list), declared so that "
        "which cohorts can exist never depends on the data; a person whose region is not "
        "listed, or who has none, gets the population's trends.",
    )

    @model_validator(mode="after")
    def _aggregate_cohorts(self) -> Settings:
        from tactful.privacy.cohorts import cohort_errors

        errors = cohort_errors(self.aggregate_cohort_by, self.aggregate_regions)
        if 0 < self.aggregate_budget < self.aggregate_epsilon:
            raise ValueError(
                f"TACTFUL_AGGREGATE_EPSILON ({self.aggregate_epsilon:g}) is more than "
                f"TACTFUL_AGGREGATE_BUDGET ({self.aggregate_budget:g}): no release of the cohort "
                "trends could ever be made. Lower the first, raise the second, or set the "
                "budget to 0 for no cap."
            )
        if errors:
            raise ValueError(
                "TACTFUL_AGGREGATE_* is invalid: "
                + "; ".join(f"{e.field}: {e.message}" for e in errors)
            )
        return self

    # -- account level (business to business; see tactful.pipeline.accounts)
    account_surfaces: list[str] = Field(
        default_factory=lambda: ["b2b-home", "b2b-cart"],
        description="Surfaces on which decisions are made for a business account (an "
        "organisation, from its firmographics and account events, never a person's data); a "
        "person's recommendation is refused on them, and an account's on any other surface.",
    )
    account_model: str = Field(
        "itemknn",
        description="Recommender trained on the account-by-item matrix of account events "
        "(published as account-<name>).",
    )
    account_segment_min_accounts: int = Field(
        3,
        ge=1,
        le=10_000,
        description="Fewest organisations with activity an industry-and-size segment (or an "
        "industry) needs before its popularity is shown to organisations like them; below "
        "it, the industry, then all organisations.",
    )

    @field_validator("account_surfaces")
    @classmethod
    def _account_surfaces(cls, value: list[str]) -> list[str]:
        bad = [s for s in value if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,63}", s)]
        if bad:
            raise ValueError(
                "TACTFUL_ACCOUNT_SURFACES must list surface names (lower-case letters, digits, "
                f"_ and -, at most 64); not {bad[0]!r}"
            )
        return value

    notice_file: Path | None = Field(
        None,
        description="The privacy notice and purpose taxonomy (TOML), published at start; a "
        "change needs a new version. Unset: the store's newest published version stands (an "
        "empty store starts with the one shipped in tactful/defaults/notice.toml).",
    )
    guardrails_file: Path | None = Field(
        None,
        description="The guardrail policy (TOML): sensitive categories, self-excludable and "
        "harm-prone categories, and the messaging rules (channel purposes, caps, quiet hours, "
        "fatigue, copy check). Unset: tactful/defaults/guardrails.toml.",
    )
    audit_file: Path | None = Field(
        None,
        description="The fairness audit policy (TOML): how often `tactful serve` audits and "
        "over which window, what is measured, and the thresholds that raise an alert. Unset: "
        "tactful/defaults/audit.toml.",
    )
    public_url: str | None = Field(
        None,
        description="The address people reach this Tactful at (scheme://host[:port][/path]), "
        "used in one-click unsubscribe links; must be https in production. Default: "
        "http://host:port.",
    )
    receipt_key_file: Path | None = Field(
        None,
        description="Ed25519 private key (PEM) that signs consent receipts; default: "
        "data_dir/receipt-signing-key.pem, generated in development. Must exist in production.",
    )
    subject_token_secret: SecretStr | None = Field(
        None,
        description="Secret that signs subject tokens for the consumer API. In development, "
        "one is generated and kept in data_dir/subject-token-secret when unset.",
    )
    subject_token_max_seconds: int = Field(
        24 * 3600, ge=60, le=30 * 24 * 3600, description="Longest life of a subject token."
    )
    tcf_vendor_id: int | None = Field(
        None,
        ge=1,
        description="This operator's IAB TCF vendor id; when set, a TC string grants nothing "
        "unless it also gives this vendor consent.",
    )
    decision_retention_days: int = Field(
        365, ge=1, le=36_500, description="How long decision records are kept."
    )
    retention_interval_seconds: int = Field(
        3600,
        ge=0,
        description="How often `tactful serve` deletes expired data; 0 turns the schedule off.",
    )

    master_key: SecretStr | None = Field(
        None,
        description="Master key (32 bytes, base64url) that wraps each subject's data key. "
        "Takes precedence over master_key_file.",
    )
    master_key_file: Path | None = Field(
        None,
        description="File holding the master key; default: data_dir/master-key, generated in "
        "development. In production the key or its file must be given.",
    )
    keyring_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the keyring holding the wrapped subject data keys, kept "
        "apart from the store so that its backups hold no keys; default: SQLite file "
        "keyring.db in data_dir.",
    )
    audit_checkpoint_every: int = Field(
        100, ge=1, le=100_000, description="A signed audit checkpoint every this many entries."
    )
    rights_request_days: int = Field(
        30, ge=1, le=90, description="Days within which a rights request is due (GDPR Art. 12)."
    )
    complaint_days: int = Field(
        14, ge=1, le=365, description="Days within which a complaint is due an answer."
    )
    rate_limit_per_minute: int = Field(
        120_000,
        ge=0,
        description="Requests one operator API key may make per minute, per process (a back end "
        "asking for recommendations at 1,000/s stays well under it); 0: no limit.",
    )
    subject_rate_limit_per_minute: int = Field(
        120, ge=0, description="Requests one subject token may make per minute; 0: no limit."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) whose pages may call the API from a "
        "browser; empty: none. Never a wildcard.",
    )

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: list[str]) -> list[str]:
        bad = [text for text in value if exact_origin(text) is None]
        if bad:
            raise ValueError(
                f"TACTFUL_CORS_ORIGINS must list exact scheme://host[:port] origins; not {bad[0]!r}"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if (
            parts.scheme not in _DEFAULT_PORTS
            or not parts.hostname
            or parts.query
            or parts.fragment
            or parts.username is not None
        ):
            raise ValueError(
                f"TACTFUL_PUBLIC_URL must be an http(s)://host[:port][/path] address; not {value!r}"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            key = self.api_key.get_secret_value() if self.api_key else ""
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < 24:
                raise ValueError(
                    "TACTFUL_API_KEY must be set to a random value of at least 24 characters "
                    "in production."
                )
            token = self.subject_token_secret
            secret = token.get_secret_value() if token else ""
            if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 32:
                raise ValueError(
                    "TACTFUL_SUBJECT_TOKEN_SECRET must be set to a random value of at least "
                    "32 characters in production."
                )
            if self.master_key is None and self.master_key_file is None:
                raise ValueError(
                    "TACTFUL_MASTER_KEY or TACTFUL_MASTER_KEY_FILE must be set in production."
                )
            if self.public_url is None or not self.public_url.startswith("https://"):
                raise ValueError(
                    "TACTFUL_PUBLIC_URL must be set to an https:// address in production "
                    "(RFC 8058 one-click unsubscribe links must be HTTPS)."
                )
            if self.receipt_key_file is None:
                raise ValueError(
                    "TACTFUL_RECEIPT_KEY_FILE must name the receipt signing key in production."
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tactful.db').resolve()}"

    @property
    def resolved_public_url(self) -> str:
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def resolved_keyring_url(self) -> str:
        if self.keyring_url:
            return self.keyring_url
        return f"sqlite:///{(self.data_dir / 'keyring.db').resolve()}"

    @property
    def resolved_master_key_file(self) -> Path:
        return self.master_key_file or self.data_dir / "master-key"

    @property
    def resolved_receipt_key_file(self) -> Path:
        return self.receipt_key_file or self.data_dir / "receipt-signing-key.pem"

    def operator_api_key(self) -> str:
        """The configured key, or in development the one kept in the data directory."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return self._kept_secret("operator-api-key", "tk_dev_")

    def subject_token_key(self) -> str:
        """The configured secret, or in development the one kept in the data directory."""
        if self.subject_token_secret is not None:
            return self.subject_token_secret.get_secret_value()
        return self._kept_secret("subject-token-secret", "")

    def _kept_secret(self, name: str, prefix: str) -> str:
        path = self.data_dir / name
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = prefix + secrets.token_urlsafe(32)
        # Created private from the start: no moment where another user could read it.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as out:
            out.write(value + "\n")
        return value


def exact_origin(text: str) -> str | None:
    """`scheme://host[:port]` as a browser sends it in Origin; None for anything else
    (a wildcard, `null`, a path, a query, credentials)."""
    try:
        parts = urlsplit(text.strip().rstrip("/"))
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or "*" in parts.netloc
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
    ):
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; keyword overrides win (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
