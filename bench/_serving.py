"""What the benchmarks that drive a real `tactful serve` share: a free loopback port, the
server started as its own process and waited for, the demo store's subjects, and a
throwaway PostgreSQL cluster started the way `make test` starts one.

The server runs in a process of its own (as in production), so what the load generator
costs is never counted in the server's figures, and its memory can be read from /proc.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tactful.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PG_SCRIPT = ROOT / "scripts" / "test-postgres.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def store_column(settings: Settings, sql: str) -> list[str]:
    """The first column of a query on the store (subject ids, item ids)."""
    from tactful.storage.repository import Store

    store = Store.open(settings.resolved_database_url)
    try:
        with store.reading() as conn:
            return [str(r[0]) for r in conn.exec_driver_sql(sql)]
    finally:
        store.close()


def demo_subjects(settings: Settings) -> list[str]:
    return sorted(store_column(settings, "SELECT subject_id FROM subjects"))


def start_server(
    data_dir: Path, port: int, workers: int, database_url: str | None = None
) -> subprocess.Popen[bytes]:
    """`tactful serve` on 127.0.0.1:port, its output discarded; the caller stops it."""
    env = {**os.environ, "TACTFUL_DATA_DIR": str(data_dir.resolve())}
    if database_url:
        env["TACTFUL_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "tactful", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    """Until /healthz answers 200; exits the benchmark if the server died or never did."""
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            sys.exit(f"the server exited with status {server.returncode} before answering")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn stops its workers on it), then SIGKILL if it lingers."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


# -- a throwaway PostgreSQL cluster -----------------------------------------------------------
def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts)
    return found[-1].parent if found else None


def pg_dir(port: int) -> Path:
    """Where scripts/test-postgres.sh keeps the cluster for this port."""
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"tactful-test-pg-{port}"


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def pg_running(port: int) -> bool:
    pg_bin = _pg_bin()
    if pg_bin is None:
        return False
    status = subprocess.run(
        [*_as_postgres(), str(pg_bin / "pg_ctl"), "-D", str(pg_dir(port)), "status"],
        capture_output=True,
        check=False,
    )
    return status.returncode == 0


def start_pg(port: int) -> str:
    """Source scripts/test-postgres.sh for `port` (it starts the cluster unless it runs
    already) and answer the URL it exports."""
    if _pg_bin() is None or shutil.which("bash") is None:
        sys.exit("PostgreSQL is not installed: pass --database-url")
    env = {k: v for k, v in os.environ.items() if k != "TACTFUL_TEST_POSTGRES_URL"}
    env["TACTFUL_TEST_POSTGRES_PORT"] = str(port)
    done = subprocess.run(
        ["bash", "-c", f'. "{PG_SCRIPT}" >&2 && printf %s "$TACTFUL_TEST_POSTGRES_URL"'],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.startswith("postgresql"):
        sys.exit(f"could not start PostgreSQL on port {port}: {done.stderr.strip()}")
    return done.stdout.strip()


def stop_pg(port: int) -> None:
    pg_bin = _pg_bin()
    if pg_bin is None or not pg_running(port):
        return
    subprocess.run(
        [*_as_postgres(), str(pg_bin / "pg_ctl"), "-D", str(pg_dir(port)), "stop", "-m", "fast"],
        capture_output=True,
        check=False,
    )
