"""One typed settings object, read from `TACTFUL_*` environment variables by a factory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    personal_model: str = Field(
        "ease", description="Recommender used at the basic and full personalization levels."
    )
    notice_version: str = Field(
        "2026-11-01", description="Version of the privacy notice consents are recorded against."
    )

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            key = self.api_key.get_secret_value() if self.api_key else ""
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < 24:
                raise ValueError(
                    "TACTFUL_API_KEY must be set to a random value of at least 24 characters "
                    "in production."
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tactful.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    def operator_api_key(self) -> str:
        """The configured key, or in development the one kept in the data directory."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        path = self.data_dir / "operator-api-key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = "tk_dev_" + secrets.token_urlsafe(24)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; keyword overrides win (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
