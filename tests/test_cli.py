"""The `tactful` command line, run as a person would, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tactful.settings import Settings
from tests import shop
from tests.conftest import DATASETS, need_service


def tactful(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_API_KEY": "test-operator-key-0123456789abcdef",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "tactful", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_import_train_recommend(settings: Settings, tmp_path: Path) -> None:
    items = tmp_path / "items.csv"
    lines = ["item_id,title,category,provider,tags,sensitive,editorial"]
    lines += [
        f"{r['item_id']},{r['title']},{r['category']},{r.get('provider', 'x')},"
        f"{'|'.join(r.get('tags', []))},{'|'.join(r.get('sensitive', []))},0"
        for r in shop.items()
    ]
    items.write_text("\n".join(lines) + "\n")
    result = tactful(settings, "import", "items", str(items))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] == len(shop.items())

    subjects = _jsonl(tmp_path / "subjects.jsonl", shop.subjects())
    assert tactful(settings, "import", "subjects", str(subjects)).returncode == 0
    events = _jsonl(tmp_path / "events.jsonl", shop.crowd_events())
    out = tactful(settings, "import", "events", str(events))
    assert out.returncode == 0, out.stderr
    # Nobody has consented yet: every event is counted and dropped.
    summary = json.loads(out.stdout)
    assert summary["stored"] == 0
    assert summary["dropped"] == len(shop.crowd_events())

    trained = tactful(settings, "train")
    assert trained.returncode == 0, trained.stderr
    assert "ease-" in trained.stdout
    assert "popularity-" in trained.stdout

    shown = tactful(settings, "recommend", "bob", "--k", "3", "--json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["level"] == "off"
    assert len(record["items"]) == 3
    table = tactful(settings, "recommend", "bob", "--k", "3")
    assert "Not based on anything about you" in table.stdout


def test_bad_file_gives_a_readable_error_and_stores_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [*shop.items()[:3], {"item_id": "bad id", "title": "x", "category": "y"}]
    bad = _jsonl(tmp_path / "items.jsonl", rows)
    result = tactful(settings, "import", "items", str(bad))
    assert result.returncode == 2
    assert "nothing was stored" in result.stderr
    assert "row 3: item_id" in result.stderr
    assert "Traceback" not in result.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"item_id": "a",\n')
    result = tactful(settings, "import", "items", str(broken))
    assert result.returncode == 2
    assert "malformed JSON" in result.stderr
    missing = tactful(settings, "import", "items", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2
    assert "No such file" in missing.stderr
    again = tactful(settings, "recommend", "alice")
    assert again.returncode == 2
    assert "No subject 'alice'" in again.stderr
    config = tactful(settings, "train", "--config", "{not json")
    assert config.returncode == 2
    assert "not valid JSON" in config.stderr


@pytest.mark.slow
@pytest.mark.parametrize("consent", [True, False])
def test_import_movielens(settings: Settings, consent: bool) -> None:
    path = DATASETS / "ml-100k"
    if not (path / "u.data").exists():
        need_service(f"MovieLens ml-100k not found at {path}")
    args = ["import", "movielens", str(path)] + (["--consent"] if consent else [])
    result = tactful(settings, *args)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["dataset"] == "ml-100k"
    assert summary["subjects"] == 943
    assert summary["items"] == 1682
    if consent:
        assert summary["events"]["stored"] == 100_000
        trained = tactful(settings, "train")
        assert trained.returncode == 0, trained.stderr
        record = json.loads(tactful(settings, "recommend", "ml-u1", "--json").stdout)
        assert record["level"] == "basic"
        assert record["personalized"] is True
        assert record["signals_used"] == {"rating": 272}
        minor = json.loads(tactful(settings, "recommend", "ml-u30", "--json").stdout)
        assert minor["level"] == "off"
    else:
        # Nobody agreed: no rating is kept.
        assert summary["events"]["stored"] == 0
        assert summary["events"]["dropped"] == 100_000


def test_demo_small_builds_and_recommends(settings: Settings) -> None:
    result = tactful(settings, "demo", "--small", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "Operator API key" in result.stderr
    alice = json.loads(tactful(settings, "recommend", "alice", "--json").stdout)
    assert alice["personalized"] is True
    assert any(i["explanation"]["because_item_id"] for i in alice["items"])
    bob = json.loads(tactful(settings, "recommend", "bob", "--json").stdout)
    assert bob["personalized"] is False
    dan = json.loads(tactful(settings, "recommend", "dan", "--json").stdout)
    assert dan["level"] == "off"


def test_serve_with_two_workers(settings: Settings) -> None:
    import socket
    import time

    import httpx

    assert tactful(settings, "demo", "--small", "--no-serve").returncode == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_API_KEY": "test-operator-key-0123456789abcdef",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "tactful", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        headers = {"X-API-Key": "test-operator-key-0123456789abcdef"}
        for _ in range(10):
            response = httpx.get(f"{base}/v1/subjects/alice/recommendations", headers=headers)
            assert response.status_code == 200
            assert response.json()["personalized"] is True
    finally:
        server.terminate()
        server.wait(timeout=30)
