"""No secrets and no personal data in the logs.

A real server runs in its own process with every logger at DEBUG (uvicorn's access log
included) writing to a file. The test seeds an API key, a subject token, a person's email,
name and phone, a TC string and a complaint's words through the HTTP API, drives requests
that succeed and requests that fail (bad, forged, revoked and under-scoped keys, forged
tokens, malformed and invalid bodies, a bad TC string, a rate limit), stops the server, and
looks for every seeded value in the log file and in the server's stderr.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.access.helpers import BOOTSTRAP_KEY
from tests.consent.test_tcf import SPEC_OOB_ALLOWED

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "wren-4410"
EMAIL = "wren.halloway@example.com"
NAME = "Wren Halloway"
PHONE = "+44 20 7946 0321"
COMPLAINT = "Stop showing me garden gnomes, I said so twice"
TC_STRING = SPEC_OOB_ALLOWED


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, settings: Settings, log_file: Path, stderr_file: Path, sql: bool) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "TACTFUL_DATA_DIR": str(settings.data_dir),
            "TACTFUL_DATABASE_URL": settings.resolved_database_url,
            "TACTFUL_API_KEY": BOOTSTRAP_KEY,
            "TACTFUL_SUBJECT_RATE_LIMIT_PER_MINUTE": "30",
            "TACTFUL_RETENTION_INTERVAL_SECONDS": "0",
            "PYTHONPATH": str(ROOT),
        }
        self.stderr = stderr_file.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.access.log_server",
                str(log_file),
                str(self.port),
                *(["sql"] if sql else []),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.stderr,
            stderr=self.stderr,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not start: " + stderr_file.read_text())
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


@pytest.fixture(
    params=[
        "app and server logs",
        "with the SQL log",
    ]
)
def server(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Server, Path, Path]]:
    # The shop and its models, made beforehand and outside the server: not what is scanned.
    service = Tactful(settings)
    try:
        shop.populate(service)
        service.train()
    finally:
        service.close()
    log_file, stderr_file = tmp_path / "server.log", tmp_path / "server.stderr"
    running = Server(settings, log_file, stderr_file, sql=request.param != "app and server logs")
    try:
        yield running, log_file, stderr_file
    finally:
        running.stop()


def _changed(text: str) -> str:
    """The text with one character near its end changed (not the last: in base64 it may
    hold only padding bits)."""
    at = len(text) - 5
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _drive(base: str) -> list[str]:
    """Seed everything through the API, make requests that pass and fail; the secrets."""
    with httpx.Client(base_url=base, timeout=30) as http:
        admin = {"X-API-Key": BOOTSTRAP_KEY}
        made = _ok(
            http.post(
                "/v1/keys",
                json={"name": "log scan", "scopes": ["ingest", "recommend", "privacy-officer"]},
                headers=admin,
            ),
            201,
        )
        key = made["key"]
        op = {"X-API-Key": key}
        person = {"subject_id": SUBJECT, "age_band": "35-44", "email": EMAIL, "name": NAME}
        _ok(http.post("/v1/subjects", json=[person | {"phone": PHONE}], headers=op))
        _ok(http.put(f"/v1/subjects/{SUBJECT}/consents", json={"choices": shop.FULL}, headers=op))
        _ok(
            http.put(
                f"/v1/subjects/{SUBJECT}/consents/tcf", json={"tc_string": TC_STRING}, headers=op
            )
        )
        token = _ok(http.post(f"/v1/subjects/{SUBJECT}/tokens", headers=op), 201)["token"]
        me = {"Authorization": f"Bearer {token}"}
        _ok(http.get("/v1/me", headers=me))
        decision = _ok(http.get("/v1/me/recommendations", headers=me))
        _ok(http.get("/v1/me/inventory", headers=me))
        _ok(http.put("/v1/me/consents/tcf", json={"tc_string": TC_STRING}, headers=me))
        complaint = {"reason": "other", "text": COMPLAINT, "decision_id": decision["decision_id"]}
        _ok(http.post("/v1/me/complaints", json=complaint, headers=me), 201)
        _ok(http.get(f"/v1/subjects/{SUBJECT}/consents", headers=op))
        _ok(http.get(f"/v1/subjects/{SUBJECT}/recommendations", headers=op))
        _ok(http.get(f"/v1/decisions/{decision['decision_id']}", headers=op))

        failing: list[tuple[str, str, dict[str, str], Any, int]] = [
            ("GET", f"/v1/subjects/{SUBJECT}/consents", {"X-API-Key": _changed(key)}, None, 401),
            (
                "GET",
                f"/v1/subjects/{SUBJECT}/recommendations",
                {"Authorization": f"Bearer {key}x"},
                None,
                401,
            ),
            ("GET", "/v1/keys", op, None, 403),
            ("GET", "/v1/me", {"Authorization": f"Bearer {_changed(token)}"}, None, 401),
            ("GET", "/v1/me", {"Authorization": f"Bearer {key}"}, None, 401),
            ("GET", "/v1/models", {"X-API-Key": token}, None, 401),
            ("PUT", f"/v1/subjects/{SUBJECT}/consents/tcf", op, {"tc_string": TC_STRING[:-7]}, 422),
            (
                "PUT",
                "/v1/me/consents/tcf",
                me,
                {"tc_string": TC_STRING[: len(TC_STRING) // 2]},
                422,
            ),
            ("POST", "/v1/subjects", op, [person | {"subject_id": "bad id!", "phone": PHONE}], 422),
            ("POST", "/v1/subjects", op, [person | {"email": f"{NAME} at home"}], 422),
            ("POST", "/v1/subjects", op, [person | {"phone": PHONE, "shoe": "9"}], 422),
        ]
        for method, path, headers, body, status in failing:
            response = http.request(method, path, headers=headers, json=body)
            assert response.status_code == status, (path, response.text)
        raw = f'[{{"subject_id": "{SUBJECT}", "email": "{EMAIL}", "name": "{NAME}"'.encode()
        broken = http.post(
            "/v1/subjects", content=raw, headers=op | {"content-type": "application/json"}
        )
        assert broken.status_code == 422
        statuses = {http.get("/v1/me", headers=me).status_code for _ in range(40)}
        assert 429 in statuses
        _ok(http.delete(f"/v1/keys/{made['key_id']}", headers=admin))
        assert http.get(f"/v1/subjects/{SUBJECT}/consents", headers=op).status_code == 401
    return [key, token]


def _needles(secrets: list[str], settings: Settings) -> dict[str, str]:
    key, token = secrets
    needles = {
        "api key": key,
        "api key secret": key[16:],
        "bootstrap key": BOOTSTRAP_KEY,
        "subject token": token,
        "subject token signature": token.rsplit(".", 1)[-1],
        "email": EMAIL,
        "email local part": EMAIL.split("@")[0],
        "name": NAME,
        "surname": NAME.split()[1],
        "phone": PHONE,
        "phone digits": PHONE[-9:],
        "TC string": TC_STRING,
        "TC string start": TC_STRING[:32],
        "complaint": COMPLAINT,
        "complaint words": "garden gnomes",
    }
    for name in ("subject-token-secret", "master-key"):
        path = settings.data_dir / name
        if path.exists():
            needles[name] = path.read_text().strip()
    return needles


@pytest.mark.slow
def test_no_secret_or_personal_data_reaches_the_logs(
    server: tuple[Server, Path, Path], settings: Settings
) -> None:
    running, log_file, stderr_file = server
    secrets = _drive(running.base)
    running.stop()
    logged = log_file.read_text(errors="replace")
    printed = stderr_file.read_text(errors="replace")
    # The scan is not vacuous: requests, failures included, are in the log.
    assert "GET /v1/me HTTP/1.1" in logged
    assert " 401" in logged
    assert " 429" in logged
    leaks = {
        f"{what} in {where}"
        for what, needle in _needles(secrets, settings).items()
        for where, text in (("the log", logged), ("stderr", printed))
        if needle in text
    }
    assert not leaks, sorted(leaks)
