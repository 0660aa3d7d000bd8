"""Several `tactful serve` processes over one PostgreSQL store and one data directory.

Real processes on loopback, as docs/deployment.md deploys them: `tactful serve --workers 2`
on one port (the kernel spreads connections over both workers) and a second `tactful serve`
on another, both in production (so neither migrates: `tactful migrate` did), the data
directory given only on the command line (so the workers must get it from their parent).
What one changes, the other honours: a consent withdrawal and a key revocation at once, a
model trained by a third process within the model cache's bound.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from tactful.service import CACHE_SECONDS, Tactful
from tactful.settings import Settings
from tactful.storage.repository import Store
from tests import shop
from tests.deploy.conftest import production_settings
from tests.http_helpers import KEY, OPERATOR
from tests.live_server import free_port

pytestmark = pytest.mark.slow

TACTFUL = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tactful"
MAX_K = 7  # not the default: the workers must have been handed it
PERSONAL = "itemknn"  # likewise
WITHDRAW = {
    "choices": [
        {"purpose": "personalization.explicit", "status": "withdrawn"},
        {"purpose": "personalization.behavioral", "status": "withdrawn"},
    ]
}
GRANT = {"choices": shop.FULL}


def _environment(settings: Settings) -> dict[str, str]:
    """Production's environment for the servers; no TACTFUL_DATA_DIR (given as --data-dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")}
    env |= {
        "TACTFUL_ENVIRONMENT": "production",
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_API_KEY": KEY,
        "TACTFUL_SUBJECT_TOKEN_SECRET": settings.subject_token_key(),
        "TACTFUL_MASTER_KEY_FILE": str(settings.master_key_file),
        "TACTFUL_RECEIPT_KEY_FILE": str(settings.receipt_key_file),
        "TACTFUL_PUBLIC_URL": "https://shop.example",
        "TACTFUL_PERSONAL_MODEL": PERSONAL,
        "TACTFUL_MAX_K": str(MAX_K),
        "TACTFUL_DATABASE_POOL_SIZE": "2",
        "TACTFUL_DATABASE_MAX_OVERFLOW": "2",
        "TACTFUL_DATABASE_STATEMENT_TIMEOUT": "30",
    }
    return env


@contextmanager
def _server(
    data_dir: Path, env: dict[str, str], log: Path, workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`tactful serve` in its own process group, until /healthz answers; stopped (the whole
    group: its workers too) on the way out."""
    port = free_port()
    args = [str(TACTFUL), "serve", "--data-dir", str(data_dir), "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise AssertionError(f"tactful serve exited:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"tactful serve did not answer:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield base, process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    # Workers that outlived their parent would still be in the group.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _recommend(base: str, subject: str = "alice", **headers: str) -> httpx.Response:
    return httpx.get(
        f"{base}/v1/subjects/{subject}/recommendations",
        params={"k": 5},
        headers=headers or OPERATOR,
        timeout=30,
    )


def _record(base: str, subject: str = "alice") -> dict[str, Any]:
    response = _recommend(base, subject)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _consent(base: str, change: dict[str, Any], subject: str = "alice") -> None:
    response = httpx.put(
        f"{base}/v1/subjects/{subject}/consents", json=change, headers=OPERATOR, timeout=30
    )
    assert response.status_code == 200, response.text


def _assert_off(record: dict[str, Any]) -> None:
    assert record["level"] == "off", record["level_reason"]
    assert record["personalized"] is False
    assert not any(record["signals_used"].values()), record["signals_used"]
    assert not any(p.startswith("personalization.") for p in record["purposes"])


def _assert_full(record: dict[str, Any]) -> None:
    assert record["level"] == "full", record["level_reason"]
    assert record["personalized"] is True
    assert record["model"]["name"] == PERSONAL


# -- which worker took a connection (Linux: sockets by inode) -------------------------------
def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found |= {int(p) for p in text}
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _accepted_by(server_port: int, client_ports: set[int]) -> dict[int, str]:
    """Client port -> inode of the server's socket for that connection."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        local_port = int(local.split(":")[1], 16)
        remote_port = int(remote.split(":")[1], 16)
        if local_port == server_port and remote_port in client_ports:
            found[remote_port] = inode
    return found


def _workers_answering(base: str, master: int, path: str) -> tuple[set[int], list[dict[str, Any]]]:
    """Open keep-alive connections until both workers have taken some; each asks `path`
    once. The pids that answered, and every answer."""
    port = int(base.rsplit(":", 1)[1])
    answers: list[dict[str, Any]] = []
    answering: set[int] = set()
    workers = _children(master)
    for _round in range(50):
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(8)]
        try:
            for conn in connections:
                conn.request("GET", path, headers=OPERATOR)
                response = conn.getresponse()
                assert response.status == 200
                answers.append(json.loads(response.read()))
            ports = {conn.sock.getsockname()[1] for conn in connections if conn.sock}
            inodes = _accepted_by(port, ports)
            for pid in workers:
                if _socket_inodes(pid) & set(inodes.values()):
                    answering.add(pid)
        finally:
            for conn in connections:
                conn.close()
        if len(answering) >= 2:
            break
    return answering, answers


def _latest(database_url: str) -> str:
    store = Store.open(database_url, migrate_schema=False)
    try:
        with store.reading() as conn:
            latest = store.latest_model(conn, PERSONAL)
    finally:
        store.close()
    assert latest is not None
    return latest.version


# -- the test --------------------------------------------------------------------------------
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_servers_and_two_workers_share_one_store(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "shared"
    built = Settings(
        data_dir=data_dir,
        database_url=database_url,
        api_key=KEY,  # type: ignore[arg-type]
        personal_model=PERSONAL,
    )
    service = Tactful(built)
    shop.populate(service)
    service.train()
    service.close()
    settings = production_settings(data_dir, database_url)
    env = _environment(settings)

    with (
        _server(data_dir, env, tmp_path / "one.log", workers=2) as (one, master),
        _server(data_dir, env, tmp_path / "two.log", workers=1) as (two, _),
    ):
        # Both serve the shop with the settings they were given (CLI data dir included).
        for base in (one, two):
            _assert_full(_record(base))
            too_many = httpx.get(
                f"{base}/v1/subjects/alice/recommendations?k={MAX_K + 1}",
                headers=OPERATOR,
                timeout=30,
            )
            assert too_many.status_code == 422, too_many.text

        # A withdrawal through one is the very next decision's rule through the other.
        _consent(one, WITHDRAW)
        _assert_off(_record(two))
        _consent(two, GRANT)
        _assert_full(_record(one))
        _consent(two, WITHDRAW)
        _assert_off(_record(one))

        # Every worker behind the first port sees the same state.
        answering, answers = _workers_answering(
            one, master.pid, "/v1/subjects/alice/recommendations?k=5"
        )
        assert len(answering) == 2, "the kernel gave every connection to one worker"
        for record in answers:
            _assert_off(record)
        _consent(one, GRANT)
        for _ in range(10):
            _assert_full(_record(one))
            _assert_full(_record(two))

        # A key revoked through one server is refused at once by the other and by both
        # workers of the first.
        created = httpx.post(
            f"{one}/v1/keys",
            json={"name": "shop-frontend", "scopes": ["recommend"]},
            headers=OPERATOR,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        key, key_id = {"X-API-Key": created.json()["key"]}, created.json()["key_id"]
        for _ in range(6):
            assert _recommend(one, **key).status_code == 200
            assert _recommend(two, **key).status_code == 200
        revoked = httpx.delete(f"{two}/v1/keys/{key_id}", headers=OPERATOR, timeout=30)
        assert revoked.status_code == 200, revoked.text
        for _ in range(10):
            assert _recommend(one, **key).status_code == 401
        assert _recommend(two, **key).status_code == 401

        # A model trained by a third process is served by both within the cache bound.
        before = {_record(base)["model"]["version"] for base in (one, two)}
        trained = subprocess.run(
            [str(TACTFUL), "train", "--data-dir", str(data_dir), "--model", PERSONAL],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert trained.returncode == 0, trained.stderr
        fresh = _latest(database_url)
        assert fresh not in before
        # Serving checks for a newer version every CACHE_SECONDS; allow far more.
        deadline = time.monotonic() + 60 * CACHE_SECONDS
        for base in (one, two):
            while _record(base)["model"]["version"] != fresh:
                assert time.monotonic() < deadline, f"{base} still serves the old model"
                time.sleep(CACHE_SECONDS / 4)
        for _ in range(10):
            assert _record(one)["model"]["version"] == fresh
        assert master.poll() is None
