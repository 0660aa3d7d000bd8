"""The notice, receipt, token and inventory commands, run as a person would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tactful.service import Tactful
from tactful.services.notices import packaged_notice
from tactful.settings import Settings
from tests.test_cli import tactful


@pytest.fixture
def receipt(settings: Settings, tmp_path: Path) -> tuple[Path, Path]:
    """A receipt file from a real consent change, and the JWKS saved beside it."""
    service = Tactful(settings)
    try:
        service.ingest_subjects([{"subject_id": "alice"}])
        view = service.record_consents(
            "alice", {"choices": [{"purpose": "personalization.explicit", "status": "granted"}]}
        )
        jwks = service.signer.jwks()
    finally:
        service.close()
    receipt_file = tmp_path / "receipt.jws"
    receipt_file.write_text(view["receipt"]["jws"] + "\n")
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks))
    return receipt_file, jwks_file


def test_a_receipt_file_verifies_offline_and_fails_when_one_byte_changes(
    settings: Settings, receipt: tuple[Path, Path], tmp_path: Path
) -> None:
    receipt_file, jwks_file = receipt
    ok = tactful(settings, "receipts", "verify", str(receipt_file), "--jwks", str(jwks_file))
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout
    assert "personalization.explicit: granted" in ok.stdout
    # The same file as JSON, as the consumer API returns it, and against the local key.
    as_json = tmp_path / "receipt.json"
    as_json.write_text(json.dumps({"jws": receipt_file.read_text().strip()}))
    assert tactful(settings, "receipts", "verify", str(as_json)).returncode == 0

    token = receipt_file.read_text().strip()
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    tampered = tmp_path / "tampered.jws"
    tampered.write_text(flipped)
    bad = tactful(settings, "receipts", "verify", str(tampered), "--jwks", str(jwks_file))
    assert bad.returncode == 2
    assert "error:" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_receipts_are_listed_per_subject(settings: Settings, receipt: tuple[Path, Path]) -> None:
    listed = tactful(settings, "receipts", "list", "alice")
    assert listed.returncode == 0, listed.stderr
    assert "personalization.explicit=granted" in listed.stdout
    missing = tactful(settings, "receipts", "list", "nobody")
    assert missing.returncode == 2
    assert "No subject" in missing.stderr


def test_a_token_from_the_cli_opens_the_consumer_api(
    settings: Settings, receipt: tuple[Path, Path]
) -> None:
    issued = tactful(settings, "token", "alice", "--ttl", "600")
    assert issued.returncode == 0, issued.stderr
    service = Tactful(settings)
    try:
        assert service.subject_of_token(issued.stdout.strip()) == "alice"
    finally:
        service.close()
    assert tactful(settings, "token", "alice", "--ttl", "5").returncode == 2


def test_token_link_opens_the_privacy_center_at_the_public_address(
    settings: Settings, receipt: tuple[Path, Path]
) -> None:
    issued = tactful(settings, "token", "alice", "--link")
    assert issued.returncode == 0, issued.stderr
    base, _, token = issued.stdout.strip().partition("/privacy-center?token=")
    assert base == settings.resolved_public_url
    service = Tactful(settings)
    try:
        assert service.subject_of_token(token) == "alice"
    finally:
        service.close()


def test_publishing_a_widened_notice_reports_the_stale_purposes(
    settings: Settings, receipt: tuple[Path, Path], tmp_path: Path
) -> None:
    text = (Path(__file__).parents[1] / "src/tactful/defaults/notice.toml").read_text()
    assert packaged_notice().version in text
    widened = text.replace('version = "2026-11-15"', 'version = "2027-01-01"', 1).replace(
        'data_categories = ["purchase_history", "explicit_feedback"]',
        'data_categories = ["purchase_history", "explicit_feedback", "browsing_history"]',
        1,
    )
    notice_file = tmp_path / "notice.toml"
    notice_file.write_text(widened)
    published = tactful(settings, "notice", "publish", "--file", str(notice_file))
    assert published.returncode == 0, published.stderr
    assert "2027-01-01" in published.stdout
    assert "personalization.explicit: uses more data: browsing_history" in published.stdout

    versions = tactful(settings, "notice", "versions")
    assert "2026-11-15" in versions.stdout
    assert "2027-01-01" in versions.stdout

    # Same version, other content: refused, with the reason.
    notice_file.write_text(widened.replace("Offers by email", "Offers by e-mail"))
    again = tactful(settings, "notice", "publish", "--file", str(notice_file))
    assert again.returncode == 2
    assert "give the changed notice a new version" in again.stderr

    broken = tmp_path / "broken.toml"
    broken.write_text(widened.replace("retention_days = 730", "retention_days = -1", 1))
    bad = tactful(settings, "notice", "publish", "--file", str(broken))
    assert bad.returncode == 2
    assert "retention_days" in bad.stderr
