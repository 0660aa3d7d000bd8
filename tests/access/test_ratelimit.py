"""Rate limits per operator key and per subject token: 429 problem+json with Retry-After once
a bucket is empty, each credential its own bucket, 0 turns a limit off, memory bounded.
Time is a ticker the test moves, so nothing depends on how fast the machine is."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.api.ratelimit import RateLimit, _Buckets
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.access.helpers import BOOTSTRAP_KEY, SQLITE_ONLY, Ticker, problem


def _client(
    settings: Settings, service: Tactful, ticker: Ticker, keys: int, subjects: int
) -> TestClient:
    app = create_app(settings, service)
    app.add_middleware(RateLimit, per_minute=keys, subject_per_minute=subjects, ticker=ticker)
    return TestClient(app, raise_server_exceptions=False)


def _limited(response: Any) -> int:
    body = problem(response, 429)
    assert body["type"].endswith("/rate-limited")
    return int(response.headers["retry-after"])


@pytest.fixture
def populated(service: Tactful) -> Tactful:
    shop.populate(service)
    service.train()
    return service


@SQLITE_ONLY
def test_a_key_gets_429_once_its_bucket_is_empty_and_its_turn_back_after_retry_after(
    settings: Settings, populated: Tactful
) -> None:
    ticker = Ticker()
    client = _client(settings, populated, ticker, keys=3, subjects=0)
    other, _ = populated.keys.create("other", ["recommend"])
    key = {"X-API-Key": BOOTSTRAP_KEY}
    path = "/v1/subjects/alice/recommendations?k=2"  # the recommendations lane
    for _ in range(3):
        assert client.get(path, headers=key).status_code == 200
    wait = _limited(client.get(path, headers=key))
    assert wait == 20  # one request back every 60/3 s
    # The same key as a Bearer credential is the same bucket.
    _limited(client.get("/v1/models", headers={"Authorization": f"Bearer {BOOTSTRAP_KEY}"}))
    # Other keys are not held back, nor is a forgery naming this one.
    assert client.get(path, headers={"X-API-Key": other}).status_code == 200
    assert client.get(path, headers={"X-API-Key": BOOTSTRAP_KEY + "x"}).status_code == 401
    ticker.now += wait - 1
    _limited(client.get(path, headers=key))
    ticker.now += 1
    assert client.get(path, headers=key).status_code == 200
    _limited(client.get(path, headers=key))


@SQLITE_ONLY
def test_a_subject_token_gets_429_once_its_bucket_is_empty(
    settings: Settings, populated: Tactful
) -> None:
    ticker = Ticker()
    client = _client(settings, populated, ticker, keys=1000, subjects=2)
    alice = {"Authorization": f"Bearer {populated.issue_token('alice')['token']}"}
    bob = {"Authorization": f"Bearer {populated.issue_token('bob')['token']}"}
    assert client.get("/v1/me", headers=alice).status_code == 200
    assert client.get("/v1/me/recommendations", headers=alice).status_code == 200
    assert _limited(client.get("/v1/me/consents", headers=alice)) == 30
    assert client.get("/v1/me", headers=bob).status_code == 200
    # The operator's own calls are counted apart.
    key = {"X-API-Key": BOOTSTRAP_KEY}
    assert client.get("/v1/subjects/alice/consents", headers=key).status_code == 200
    ticker.now += 30
    assert client.get("/v1/me", headers=alice).status_code == 200


@SQLITE_ONLY
def test_a_limit_of_zero_is_no_limit(settings: Settings, service: Tactful) -> None:
    service.ingest_subjects([{"subject_id": "alice"}])
    client = _client(settings, service, Ticker(), keys=0, subjects=0)
    token = {"Authorization": f"Bearer {service.issue_token('alice')['token']}"}
    for _ in range(60):
        assert client.get("/v1/models", headers={"X-API-Key": BOOTSTRAP_KEY}).status_code == 200
        assert client.get("/v1/me", headers=token).status_code == 200


@SQLITE_ONLY
def test_requests_without_a_credential_are_left_to_authentication(
    settings: Settings, service: Tactful
) -> None:
    client = _client(settings, service, Ticker(), keys=1, subjects=1)
    for _ in range(5):
        assert client.get("/v1/models").status_code == 401
        assert client.get("/v1/me").status_code == 401
        assert client.get("/v1/notice").status_code == 200


def test_buckets_are_bounded_and_idle_ones_dropped() -> None:
    buckets = _Buckets(per_minute=60, max_buckets=100)
    now = 0.0
    for n in range(1000):
        assert buckets.take(n.to_bytes(4, "big"), now) == 0.0
        assert len(buckets) <= 100
    # A bucket that has had time to refill is dropped at the next sweep; a busy one is kept.
    busy = b"busy"
    for _ in range(60):
        buckets.take(busy, now)
    assert buckets.take(busy, now) > 0
    now += 61.0
    buckets.take(b"newcomer", now)
    assert len(buckets) == 1  # everyone else had refilled: nothing to remember
    assert buckets.take(busy, now) == 0.0  # and the busy one starts full again
