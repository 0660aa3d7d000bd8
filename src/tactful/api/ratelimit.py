"""Rate limits: a token bucket per operator key and per subject token.

Each bucket holds up to a minute's allowance and refills continuously, so a client may
burst up to its per-minute limit and then goes at the steady rate. A request over the
limit gets 429 problem+json with Retry-After (whole seconds until one request is allowed).

The middleware does not authenticate: it keys the bucket by a hash of the credential as
presented (X-API-Key or a Bearer authorization), so it costs one SHA-256 and some dict
arithmetic, and a forged key naming someone else's key id fills a bucket of its own, not
theirs. Requests without a credential are not counted here (they are refused with 401).
Bearer credentials on `/v1/me` are subject tokens; elsewhere they are operator keys.

Limits are per process: with N worker processes a client may get up to N times the limit.
Buckets left idle long enough to have refilled are dropped (they would start full anyway),
so memory follows the number of recently active clients, capped at `max_buckets`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from tactful.api.problems import problem

SUBJECT_PATH = "/v1/me"
MAX_BUCKETS = 100_000
SWEEP_SECONDS = 60.0


class _Buckets:
    """Token buckets of one kind: `per_minute` capacity, refilled at `per_minute` a minute."""

    __slots__ = ("_held", "_last_sweep", "capacity", "max_buckets", "rate")

    def __init__(self, per_minute: int, max_buckets: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_buckets = max_buckets
        # credential digest -> [tokens left, time of the last update]
        self._held: dict[bytes, list[float]] = {}
        self._last_sweep = 0.0

    def __len__(self) -> int:
        return len(self._held)

    def take(self, who: bytes, now: float) -> float:
        """Spend one token; 0.0 when allowed, else the seconds until a token is back."""
        bucket = self._held.get(who)
        if bucket is None:
            if len(self._held) >= self.max_buckets or now - self._last_sweep > SWEEP_SECONDS:
                self._sweep(now)
            self._held[who] = [self.capacity - 1.0, now]
            return 0.0
        tokens = min(self.capacity, bucket[0] + (now - bucket[1]) * self.rate)
        if tokens < 1.0:
            bucket[0], bucket[1] = tokens, now
            return (1.0 - tokens) / self.rate
        bucket[0], bucket[1] = tokens - 1.0, now
        return 0.0

    def _sweep(self, now: float) -> None:
        """Drop buckets that have refilled; if still at the cap, start afresh."""
        refill = self.capacity / self.rate
        self._held = {k: b for k, b in self._held.items() if now - b[1] < refill}
        if len(self._held) >= self.max_buckets:
            self._held.clear()
        self._last_sweep = now


class RateLimit:
    """Pure ASGI middleware: `app.add_middleware(RateLimit, per_minute=..,
    subject_per_minute=..)`; a limit of 0 turns that kind off."""

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        subject_per_minute: int,
        *,
        max_buckets: int = MAX_BUCKETS,
        ticker: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.keys = _Buckets(per_minute, max_buckets) if per_minute > 0 else None
        self.subjects = (
            _Buckets(subject_per_minute, max_buckets) if subject_per_minute > 0 else None
        )
        self.ticker = ticker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wait = self._wait(scope)
            if wait:
                response = problem(
                    429,
                    "rate-limited",
                    "Too many requests",
                    "This credential has made too many requests; try again after "
                    "Retry-After seconds.",
                    scope["path"],
                )
                response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _wait(self, scope: Scope) -> float:
        api_key: bytes | None = None
        authorization: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"x-api-key" and api_key is None:
                api_key = value
            elif name == b"authorization" and authorization is None:
                authorization = value
        subject = scope["path"] == SUBJECT_PATH or scope["path"].startswith(SUBJECT_PATH + "/")
        if api_key is None and authorization is not None:
            kind, _, credential = authorization.partition(b" ")
            if kind.lower() != b"bearer" or not credential.strip():
                return 0.0
            buckets = self.subjects if subject else self.keys
            presented = credential.strip()
        elif api_key:
            buckets, presented = self.keys, api_key
        else:
            return 0.0
        if buckets is None:
            return 0.0
        return buckets.take(hashlib.sha256(presented).digest(), self.ticker())
