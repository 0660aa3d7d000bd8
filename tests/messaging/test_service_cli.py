"""`tactful campaigns` and `tactful messages decide`, run as an operator would: exit 0 for a
send, 1 for a hold (each reason printed), 2 for bad input, and nothing stored for the latter."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tactful.service import Tactful
from tactful.settings import Settings
from tests.messaging.test_service_support import FAIR, count, policy_toml, populate, with_policy
from tests.test_cli import tactful

pytestmark = pytest.mark.slow


@pytest.fixture
def shop(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tactful]:
    """The shop, under a policy without quiet hours: the CLI runs on the real clock."""
    settings = with_policy(
        settings, tmp_path, policy_toml(quiet='{ start = "00:00", end = "00:00" }')
    )
    monkeypatch.setenv("TACTFUL_GUARDRAILS_FILE", str(settings.guardrails_file))
    service = Tactful(settings)
    populate(service)
    yield service
    service.close()


def _copy(tmp_path: Path, text: str) -> str:
    path = tmp_path / "copy.txt"
    path.write_text(text, "utf-8")
    return str(path)


def _decide(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return tactful(settings, "messages", "decide", *args)


def test_campaigns_are_added_and_listed(settings: Settings, shop: Tactful) -> None:
    added = tactful(
        settings, "campaigns", "add", "winter", "--title", "Winter [sale]", "--profiled"
    )
    assert added.returncode == 0, added.stderr
    assert "added" in added.stdout
    again = tactful(
        settings, "campaigns", "add", "winter", "--title", "Winter [sale]", "--profiled"
    )
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout
    clash = tactful(settings, "campaigns", "add", "winter", "--title", "Other")
    assert clash.returncode == 2
    assert "exists with other fields" in clash.stderr
    unknown = tactful(settings, "campaigns", "add", "x", "--title", "X", "--category", "spaceships")
    assert unknown.returncode == 2
    assert "category" in unknown.stderr
    listed = tactful(settings, "campaigns", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Winter [sale]" in listed.stdout
    as_json = json.loads(tactful(settings, "campaigns", "list", "--json").stdout)
    assert {"campaign_id": "winter", "profiled": True}.items() <= as_json[-1].items()


def test_a_send_and_a_hold_with_its_reasons(
    settings: Settings, shop: Tactful, tmp_path: Path
) -> None:
    copy = _copy(tmp_path, FAIR)
    sent = _decide(
        settings, "alice", "--channel", "email", "--campaign", "autumn", "--copy-file", copy
    )
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("send email to alice")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in sent.stdout
    held = _decide(
        settings, "carol", "--channel", "email", "--campaign", "autumn", "--copy-file", copy
    )
    assert held.returncode == 1, held.stderr
    assert held.stdout.startswith("hold email to carol")
    assert "consent: No consent to marketing.email has been given." in held.stdout
    as_json = _decide(
        settings,
        "alice",
        "--channel",
        "email",
        "--campaign",
        "autumn",
        "--copy-file",
        copy,
        "--json",
    )
    assert as_json.returncode == 1
    answer = json.loads(as_json.stdout)
    assert answer["decision"] == "hold"
    assert [c["name"] for c in answer["checks"] if not c["passed"]] == ["cap"]
    assert count(shop) == 3


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--channel", "fax", "--campaign", "autumn"), "channel"),
        (("--channel", "email", "--campaign", "nope"), "campaign_id"),
        (("--channel", "email", "--campaign", "autumn", "--deadline", "tomorrow"), "deadline"),
    ],
)
def test_bad_input_exits_2_and_stores_nothing(
    settings: Settings, shop: Tactful, tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    run = tactful(
        settings, "messages", "decide", "alice", "--copy-file", _copy(tmp_path, FAIR), *args
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert said in run.stderr
    assert "Traceback" not in run.stderr
    assert count(shop) == 0


def test_empty_or_missing_copy_exits_2(settings: Settings, shop: Tactful, tmp_path: Path) -> None:
    base = ("messages", "decide", "alice", "--channel", "email", "--campaign", "autumn")
    empty = tactful(settings, *base, "--copy-file", _copy(tmp_path, "  \n"))
    assert empty.returncode == 2
    assert "copy must not be empty" in empty.stderr
    missing = tactful(settings, *base, "--copy-file", str(tmp_path / "absent.txt"))
    assert missing.returncode == 2
    assert "Cannot read" in missing.stderr
    assert count(shop) == 0
