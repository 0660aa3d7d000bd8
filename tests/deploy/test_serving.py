"""`tactful serve --workers N`: each worker gets the parent's whole configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tactful.cli.serving import (
    WORKER_SETTINGS,
    settings_from_payload,
    settings_payload,
    worker_app,
)
from tactful.settings import Settings
from tests.http_helpers import KEY

SECRET = "s" * 40


def _everything_changed(tmp_path: Path) -> Settings:
    """Settings with many fields away from their defaults, of every kind: paths, secrets,
    JSON objects and lists, numbers, flags."""
    notice = tmp_path / "notice.toml"
    guardrails = tmp_path / "guardrails.toml"
    return Settings(
        data_dir=tmp_path / "shared",
        database_url="postgresql+psycopg://tactful@db.internal/shop",
        database_pool_size=3,
        database_pool_pre_ping=False,
        database_statement_timeout=30,
        api_key=KEY,  # type: ignore[arg-type]
        api_key_cache_seconds=2,
        subject_token_secret=SECRET,  # type: ignore[arg-type]
        master_key="m" * 43,  # type: ignore[arg-type]
        personal_model="als",
        surface_rerankers={"home": {"kind": "mmr", "lambda_": 0.7}},
        notice_file=notice,
        guardrails_file=guardrails,
        keyring_url="postgresql+psycopg://tactful@keys.internal/keyring",
        cors_origins=["https://shop.example"],
        max_k=7,
        rate_limit_per_minute=60,
        tcf_vendor_id=42,
    )


def test_every_field_reaches_the_worker_as_it_was(tmp_path: Path) -> None:
    parent = _everything_changed(tmp_path)
    payload = settings_payload(parent)
    assert set(json.loads(payload)) == set(Settings.model_fields)
    worker = settings_from_payload(payload)
    assert worker == parent
    for name in Settings.model_fields:
        assert getattr(worker, name) == getattr(parent, name), name
    assert worker.operator_api_key() == KEY
    assert worker.subject_token_key() == SECRET


def test_the_payload_wins_over_the_workers_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = _everything_changed(tmp_path)
    monkeypatch.setenv("TACTFUL_PERSONAL_MODEL", "bpr")
    monkeypatch.setenv("TACTFUL_MAX_K", "99")
    worker = settings_from_payload(settings_payload(parent))
    assert worker.personal_model == "als"
    assert worker.max_k == 7


def test_production_rules_hold_in_the_worker(tmp_path: Path) -> None:
    payload = json.loads(settings_payload(_everything_changed(tmp_path)))
    payload["environment"] = "production"
    with pytest.raises(ValueError, match="TACTFUL_PUBLIC_URL"):
        settings_from_payload(json.dumps(payload))


def test_a_worker_app_is_built_from_the_payload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = Settings(data_dir=tmp_path / "var", api_key=KEY, max_k=7)  # type: ignore[arg-type]
    monkeypatch.setenv(WORKER_SETTINGS, settings_payload(parent))
    monkeypatch.setenv("TACTFUL_API_KEY", "another-key-entirely-0123456789")
    app = worker_app()
    assert app.state.api_key == KEY
