"""Caps hold under concurrency: many decisions for one person at the same moment, through a
real HTTP server on loopback (its worker threads, its connection pool, the real store on
SQLite and on PostgreSQL), never send more than the cap allows.

Each decision takes the person's messaging gate first (see `storage.messages.lock_gate`),
so the decisions are counted one after the other; without it, each would read the sends
committed before any of them and all would pass the cap.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests.clock import Clock
from tests.http_helpers import OPERATOR
from tests.live_server import serve
from tests.messaging.test_service_support import (
    clock,
    count,
    decide_body,
    open_shop,
    policy_toml,
    with_policy,
)

__all__ = ["clock"]

PARALLEL = 40


@contextmanager
def _server(service: Tactful) -> Iterator[httpx.Client]:
    limits = httpx.Limits(max_connections=PARALLEL, max_keepalive_connections=PARALLEL)
    with (
        serve(create_app(service.settings, service)) as base,
        httpx.Client(base_url=base, timeout=120, limits=limits) as client,
    ):
        yield client


@contextmanager
def _shop(settings: Settings, tmp_path: Path, clock: Clock, **caps: str) -> Iterator[Tactful]:
    """The shop under the shipped policy with these caps."""
    yield from open_shop(with_policy(settings, tmp_path, policy_toml(**caps)), clock)


def _all_at_once(client: httpx.Client, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every decision sent together (a barrier releases them at the same moment)."""
    barrier = threading.Barrier(len(bodies))

    def one(body: dict[str, Any]) -> dict[str, Any]:
        barrier.wait()
        response = client.post("/v1/messages/decide", json=body, headers=OPERATOR)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


def test_parallel_decisions_for_one_person_never_exceed_the_channel_cap(
    settings: Settings, tmp_path: Path, clock: Clock
) -> None:
    with (
        _shop(settings, tmp_path, clock, email="{ day = 3 }", overall="{ day = 10 }") as service,
        _server(service) as client,
    ):
        answers = _all_at_once(client, [decide_body("alice")] * PARALLEL)
        outcomes = Counter(a["decision"] for a in answers)
        assert outcomes == {"send": 3, "hold": PARALLEL - 3}
        for held in (a for a in answers if a["decision"] == "hold"):
            assert [c["name"] for c in held["checks"] if not c["passed"]] == ["cap"]
        assert count(service, subject_id="alice", outcome="send") == 3
        assert count(service, subject_id="alice") == PARALLEL
        # Every send got its own unsubscribe link.
        links = {a["headers"]["List-Unsubscribe"] for a in answers if a["decision"] == "send"}
        assert len(links) == 3


def test_parallel_decisions_over_every_channel_never_exceed_the_overall_cap(
    settings: Settings, tmp_path: Path, clock: Clock
) -> None:
    # Channel caps of 3 (email), 1 (sms) and 2 (push) a day would allow 6; overall allows 4.
    bodies = [
        decide_body("bob", channel=channel)
        for channel in ("email", "sms", "push")
        for _ in range(PARALLEL // 3)
    ]
    # Another person at the same time is counted apart.
    bodies += [decide_body("alice", channel="push")] * 4
    with (
        _shop(settings, tmp_path, clock, email="{ day = 3 }", overall="{ day = 4 }") as service,
        _server(service) as client,
    ):
        answers = _all_at_once(client, bodies)
        bob = [a for a in answers if a["subject_id"] == "bob"]
        sent = Counter(a["channel"] for a in bob if a["decision"] == "send")
        assert sum(sent.values()) == 4
        assert sent["sms"] <= 1
        assert sent["push"] <= 2
        assert count(service, subject_id="bob", outcome="send") == 4
        assert count(service, subject_id="alice", outcome="send") == 2
