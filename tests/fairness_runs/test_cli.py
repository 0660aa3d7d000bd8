"""`tactful audit run|runs|show|acknowledge` as an operator would use them (SQLite and
PostgreSQL): exit 0 without an alert, 3 with one, 2 for bad input with nothing stored or
written, and the JSON and HTML files of each run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tactful.api.app import create_app
from tactful.cli import app
from tactful.service import Tactful
from tactful.settings import Settings
from tests.clock import Clock
from tests.conftest import DATASETS, need_service
from tests.fairness_runs.support import LENIENT, TIGHT, audit_actions, traffic
from tests.http_helpers import OPERATOR, ok

# The shop's decisions are made on the test clock; the CLI runs on the real one.
WHOLE = ("--window-days", "3660")


def _run(settings: Settings, policy: Path | None, *args: str) -> Result:
    env = {
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_API_KEY": "test-operator-key-0123456789abcdef",
        "COLUMNS": "200",
    }
    if policy is not None:
        env["TACTFUL_AUDIT_FILE"] = str(policy)
    return CliRunner().invoke(app, ["audit", *args], env=env)


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.slow
def test_a_crossed_threshold_alerts_end_to_end(
    settings: Settings, service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    traffic(service, clock)
    out = tmp_path / "audits"
    done = _run(settings, _policy(tmp_path, TIGHT), "run", *WHOLE, "--out", str(out))
    assert done.exit_code == 3, done.output
    assert "Crossed thresholds" in done.output
    assert "coverage" in done.output
    (written,) = out.glob("audit-*.json")
    result = json.loads(written.read_text("utf-8"))
    audit_id = result["audit_id"]
    assert result["alert"] is True
    assert result["counts"]["lists"] == 22
    page = (out / f"audit-{audit_id}.html").read_text("utf-8")
    assert audit_id in page
    # The audit log holds the run and its alert, as the CLI's...
    assert [(actor, action) for actor, action, _ in audit_actions(service)] == [
        ("cli", "fairness_audit.run"),
        ("cli", "fairness_audit.alert"),
    ]
    # ...and the console's flag shows it.
    client = TestClient(create_app(settings, service), raise_server_exceptions=False)
    flagged = ok(client.get("/v1/fairness-audits/alerts", headers=OPERATOR))["alerts"]
    assert [a["audit_id"] for a in flagged] == [audit_id]

    # The table's width follows the terminal's; its content is asserted through --json.
    assert _run(settings, None, "runs").exit_code == 0
    listed = _run(settings, None, "runs", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert (row["audit_id"], row["alert"], row["acknowledged_at"]) == (audit_id, True, None)
    shown = _run(settings, None, "show", audit_id, "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["result"] == result
    html = tmp_path / "again.html"
    assert _run(settings, None, "show", audit_id, "--html", str(html)).exit_code == 0
    assert audit_id in html.read_text("utf-8")

    acknowledged = _run(settings, None, "acknowledge", audit_id, "--note", "new catalog")
    assert acknowledged.exit_code == 0, acknowledged.output
    assert ok(client.get("/v1/fairness-audits/alerts", headers=OPERATOR))["alerts"] == []
    again = _run(settings, None, "acknowledge", audit_id)
    assert again.exit_code == 2
    assert "acknowledged already" in " ".join(again.output.split())  # wrapped at any width
    [row] = json.loads(_run(settings, None, "runs", "--json").output)
    assert row["acknowledged_by"] == "cli"


def test_no_threshold_crossed_exits_0(
    settings: Settings, service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    traffic(service, clock)
    out = tmp_path / "audits"
    done = _run(settings, _policy(tmp_path, LENIENT), "run", *WHOLE, "--out", str(out), "--json")
    assert done.exit_code == 0, done.output
    view = json.loads(done.output)
    assert view["alert"] is False
    assert view["crossed"] == []
    assert sorted(p.name for p in out.iterdir()) == [
        f"audit-{view['audit_id']}.html",
        f"audit-{view['audit_id']}.json",
    ]
    assert view["files"] == [str(out / f"audit-{view['audit_id']}.{x}") for x in ("json", "html")]


@pytest.mark.parametrize(
    "args",
    [
        ("--window-days", "0"),
        ("--model", "ease"),
        ("--datasets", "/nowhere"),
        ("--offline", "msr-ml100k", "--window-days", "3"),
        ("--offline", "no-such-protocol"),
    ],
)
def test_bad_input_exits_2_and_stores_nothing(
    settings: Settings, service: Tactful, tmp_path: Path, args: tuple[str, ...]
) -> None:
    out = tmp_path / "audits"
    done = _run(settings, None, "run", *args, "--out", str(out))
    assert done.exit_code == 2, done.output
    assert "error:" in done.output
    assert service.fairness.history() == []
    assert audit_actions(service) == []
    assert not out.exists()


def test_an_unwritable_out_exits_2_before_running(
    settings: Settings, service: Tactful, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "below"):
        done = _run(settings, None, "run", "--out", str(out))
        assert done.exit_code == 2, done.output
    assert service.fairness.history() == []


def test_unknown_runs_exit_2(settings: Settings, service: Tactful) -> None:
    for args in (("show", "0b3c8a9e-0000-4000-8000-000000000000"), ("acknowledge", "nope")):
        done = _run(settings, None, *args)
        assert done.exit_code == 2, done.output
    assert "no fairness audits yet" in _run(settings, None, "runs").output


@pytest.mark.slow
def test_an_offline_audit_on_ml100k(tmp_path: Path) -> None:
    if not (DATASETS / "ml-100k" / "u.data").exists():
        need_service(f"MovieLens 100K is not in {DATASETS}")
    settings = Settings(data_dir=tmp_path / "var", api_key="k" * 32)  # type: ignore[arg-type]
    out = tmp_path / "audits"
    args = ("run", "--offline", "msr-ml100k", "--datasets", str(DATASETS), "--out", str(out))
    done = _run(settings, None, *args, "--json")
    assert done.exit_code in (0, 3), done.output
    view = json.loads(done.output)
    assert view["source"] == "offline"
    assert view["label"] == "msr-ml100k/ease"  # the protocol and the model
    assert view["window"] == {"start": None, "end": None}
    assert view["result"]["counts"]["people"] > 900
    assert (done.exit_code == 3) == view["alert"]
    assert len(list(out.glob("audit-*"))) == 2
