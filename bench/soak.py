"""Load and soak: a steady mixed load on `tactful serve` (several workers, PostgreSQL).

    .venv/bin/python bench/soak.py [--duration 300] [--rate 150] [--workers 2] [--small]
        [--database-url URL | --pg-port 54420 [--keep-pg]] [--data-dir bench/out/soak]
        [--clients 1] [--connections 16] [--json PATH] [--plot PATH]

Without `--database-url` it starts a throwaway PostgreSQL cluster on loopback the way
`make test` does (scripts/test-postgres.sh, on `--pg-port`) and stops it at the end
(`--keep-pg` leaves it running, and the next run reuses the store built in it). The demo
store (`--small`: the small one) is generated into a fresh database there, trained, and
served by `tactful serve --workers N` on a free loopback port. A subject token and a first
decision for each of `--people` demo subjects are made before the clock starts (which also
warms the workers).

The load is open-loop: `--rate` requests a second, evenly spaced, each of a kind drawn from
the mix (`--mix`, default `DEFAULT_MIX`): recommendations for random demo subjects (most of
it), batches of events, consent grants and withdrawals, a person setting their level,
messaging decisions, and reads of a decision record and of "why am I seeing this". It runs
in `--clients` processes of its own, never in the server's, each holding `--connections`
kept-alive connections (so at most that many requests in flight). A request's latency runs
from when it was due to when its answer was read, so a server that falls behind shows as
latency, not as a lower rate. Any status but the 200 a correct request gets is an error,
counted by kind and status.

Every `--sample-every` seconds it reads, from /proc, the resident memory (VmRSS) and CPU time
of every server process (the uvicorn parent and its workers), the CPU time of the load
processes, of PostgreSQL's backends and of the whole machine, and PostgreSQL's connection
count. After the run it fits a least-squares line to each process's memory over the steady
part (after `--warmup` seconds) and calls it growing when the slope is at least `--max-slope`
MB a minute and the line explains at least half the variance (r² >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import platform
import random
import re
import shutil
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tactful.consent.levels import PersonalizationLevel

# -- the traffic ------------------------------------------------------------------------------
# Shares of the requests, by kind: what a shop's back end and its customers would send.
DEFAULT_MIX: Mapping[str, float] = {
    "recommend": 70.0,
    "event": 12.0,
    "consent_grant": 3.0,
    "consent_withdraw": 3.0,
    "level": 2.0,
    "message": 5.0,
    "decision": 2.5,
    "why": 2.5,
}
# The status a correct request of each kind gets; anything else is an error.
EXPECTED_STATUS: Mapping[str, int] = dict.fromkeys(DEFAULT_MIX, 200)
CONSENT_PURPOSES = ("personalization.behavioral", "personalization.explicit")
EVENT_TYPES = ("view", "view", "view", "click", "add_to_cart", "purchase")
LEVELS = tuple(level.value for level in PersonalizationLevel)
CHANNELS = ("email", "sms", "push")
CAMPAIGNS = {
    "weekly-picks": "This week's picks, chosen for you.",
    "autumn-running": "New running shoes and jackets for autumn.",
    "lucky-spin": "Spin the wheel this weekend.",
}


def parse_mix(text: str) -> dict[str, float]:
    """`recommend=70,event=12,...` -> shares; every kind named must be a known one."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, share = part.strip().partition("=")
        if name not in DEFAULT_MIX:
            raise argparse.ArgumentTypeError(f"unknown kind {name!r} (known: {list(DEFAULT_MIX)})")
        try:
            mix[name] = float(share)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: {share!r} is not a number") from None
        if mix[name] < 0:
            raise argparse.ArgumentTypeError(f"{name}: a share cannot be negative")
    if sum(mix.values()) <= 0:
        raise argparse.ArgumentTypeError("the shares add up to nothing")
    return mix


def plan(
    rate: float, duration: float, mix: Mapping[str, float], seed: int, lanes: int = 1, lane: int = 0
) -> list[tuple[float, str]]:
    """The requests one load process sends: (seconds after the start, kind).

    The whole load is `rate` requests a second, evenly spaced; with several processes
    (`lanes`) each takes every lanes-th slot, so together they keep the same even spacing.
    Kinds are drawn independently with the mix's weights, from a generator seeded per lane.
    """
    if rate <= 0 or duration <= 0 or not 0 <= lane < lanes:
        raise ValueError("rate and duration must be positive and lane one of the lanes")
    draw = random.Random(seed * 1_000 + lane)
    kinds = [k for k, w in mix.items() if w > 0]
    weights = [mix[k] for k in kinds]
    slots = range(lane, math.floor(rate * duration), lanes)
    chosen = draw.choices(kinds, weights, k=len(slots))
    return [(slot / rate, kind) for slot, kind in zip(slots, chosen, strict=True)]


# -- the maths of the report ----------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile with linear interpolation between ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """(slope, intercept, r²) of the line fitted to the points; r² is 0 for a flat series."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return math.nan, math.nan, math.nan
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return math.nan, math.nan, math.nan
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    r2 = 0.0 if syy == 0 else sxy * sxy / (sxx * syy)
    return slope, mean_y - slope * mean_x, r2


def memory_trend(
    times_s: Sequence[float], rss_mb: Sequence[float], warmup_s: float, max_slope: float
) -> dict[str, Any]:
    """Start, end, largest and the steady part's slope (MB a minute) of one process's memory,
    with a verdict: `growing` when the slope reaches `max_slope` and the line explains at
    least half the variance (a trend, not noise), `no growth trend` otherwise, `too short`
    with fewer than three samples after the warm-up."""
    steady = [(t, m) for t, m in zip(times_s, rss_mb, strict=True) if t >= warmup_s]
    out: dict[str, Any] = {
        "start_mb": rss_mb[0] if rss_mb else math.nan,
        "end_mb": rss_mb[-1] if rss_mb else math.nan,
        "max_mb": max(rss_mb) if rss_mb else math.nan,
        "steady_samples": len(steady),
    }
    if len(steady) < 3:
        return out | {"slope_mb_per_min": math.nan, "r2": math.nan, "verdict": "too short"}
    slope, _, r2 = least_squares([t / 60.0 for t, _ in steady], [m for _, m in steady])
    growing = slope >= max_slope and r2 >= 0.5
    return out | {
        "slope_mb_per_min": slope,
        "r2": r2,
        "verdict": "growing" if growing else "no growth trend",
    }


def per_second(ends_s: Sequence[float], width: float, duration: float) -> list[float]:
    """Completions a second in consecutive bins of `width` seconds covering [0, duration)."""
    bins = [0] * max(1, math.ceil(duration / width - 1e-9))
    for end in ends_s:
        if 0 <= end < duration:
            bins[min(int(end // width), len(bins) - 1)] += 1
    return [count / width for count in bins]


@dataclass(frozen=True)
class Done:
    """One request: when it was due, sent and answered (seconds after the start), its kind
    and status (0: no answer, a transport error)."""

    due: float
    sent: float
    ended: float
    kind: str
    status: int


def summarize(done: Sequence[Done], duration: float) -> dict[str, Any]:
    """Counts, rate, latency percentiles and errors, over all requests and per kind."""

    def figures(rows: Sequence[Done]) -> dict[str, Any]:
        latency = [(r.ended - r.due) * 1000 for r in rows]
        errors = [r for r in rows if r.status != EXPECTED_STATUS[r.kind]]
        return {
            "requests": len(rows),
            "per_second": len(rows) / duration,
            "p50_ms": percentile(latency, 50),
            "p99_ms": percentile(latency, 99),
            "max_ms": max(latency) if latency else math.nan,
            "errors": len(errors),
        }

    by_kind: dict[str, list[Done]] = defaultdict(list)
    for row in done:
        by_kind[row.kind].append(row)
    errors = Counter(
        f"{r.kind} {r.status or 'no answer'}" for r in done if r.status != EXPECTED_STATUS[r.kind]
    )
    lag = [(r.sent - r.due) * 1000 for r in done]
    return {
        "overall": figures(done),
        "by_kind": {kind: figures(by_kind[kind]) for kind in DEFAULT_MIX if kind in by_kind},
        "errors_by_kind_status": dict(sorted(errors.items())),
        "client_lag_ms": {"p50": percentile(lag, 50), "p99": percentile(lag, 99)},
    }


# -- the load generator (runs in its own process) ---------------------------------------------
@dataclass
class LoadPlan:
    host: str
    port: int
    key: str
    rate: float
    duration: float
    mix: dict[str, float]
    seed: int
    lanes: int
    lane: int
    start_at: float  # time.monotonic() of the start; the clock is the same in every process
    subjects: list[str]
    items: list[str]
    # subject -> (token, a decision of theirs): the people who use the consumer API.
    people: dict[str, tuple[str, str]]
    connections: int
    max_uses: int
    out: str
    decisions: list[str] = field(default_factory=list)


_DECISION_ID = re.compile(rb'"decision_id":"([0-9a-f-]{36})"')
# (method, path, headers, JSON body or None, subject)
Request = tuple[str, str, dict[str, str], Any, str]


class Traffic:
    """Builds each kind's request from real demo subjects and items, and remembers the
    decisions it is answered, so the reads ask for records that exist."""

    def __init__(self, load: LoadPlan) -> None:
        self.load = load
        self.draw = random.Random(load.seed * 7 + load.lane)
        self.people = dict(load.people)
        self.tokened = sorted(self.people)
        self.decisions = list(load.decisions) or [d for _, d in load.people.values()]
        self.operator = {"X-API-Key": load.key}

    def request(self, kind: str) -> Request:
        pick = self.draw.choice
        if kind in ("level", "why"):
            subject = pick(self.tokened)
            token, decision = self.people[subject]
            bearer = {"Authorization": f"Bearer {token}"}
            if kind == "level":
                return "PUT", "/v1/me/level", bearer, {"level": pick(LEVELS)}, subject
            return "GET", f"/v1/me/decisions/{decision}", bearer, None, subject
        subject = pick(self.load.subjects)
        if kind == "recommend":
            path = f"/v1/subjects/{subject}/recommendations?k=10"
            return "GET", path, self.operator, None, subject
        if kind == "event":
            now = datetime.now(UTC).isoformat()
            rows = [
                {
                    "subject_id": subject,
                    "event_type": pick(EVENT_TYPES),
                    "item_id": pick(self.load.items),
                    "timestamp": now,
                }
                for _ in range(self.draw.randint(1, 3))
            ]
            return "POST", "/v1/events", self.operator, rows, subject
        if kind in ("consent_grant", "consent_withdraw"):
            status = "granted" if kind == "consent_grant" else "withdrawn"
            body = {"choices": [{"purpose": pick(CONSENT_PURPOSES), "status": status}]}
            return "PUT", f"/v1/subjects/{subject}/consents", self.operator, body, subject
        if kind == "message":
            campaign = pick(sorted(CAMPAIGNS))
            body = {
                "subject_id": subject,
                "channel": pick(CHANNELS),
                "campaign_id": campaign,
                "copy": CAMPAIGNS[campaign],
            }
            return "POST", "/v1/messages/decide", self.operator, body, subject
        if kind == "decision":
            return "GET", f"/v1/decisions/{pick(self.decisions)}", self.operator, None, subject
        raise ValueError(f"unknown kind {kind}")

    def answered(self, kind: str, subject: str, status: int, content: bytes) -> None:
        """Keep the decision a recommendation made, for later reads of it."""
        if kind != "recommend" or status != 200:
            return
        found = _DECISION_ID.search(content[:200])
        if found is None:
            return
        decision = found[1].decode()
        if len(self.decisions) < 5_000:
            self.decisions.append(decision)
        else:
            self.decisions[self.draw.randrange(5_000)] = decision
        if subject in self.people:
            self.people[subject] = (self.people[subject][0], decision)


class NoAnswer(Exception):
    """The connection failed before a whole answer was read."""


class Connection:
    """One kept-alive HTTP/1.1 connection, one request at a time.

    A few dozen lines instead of httpx: on a two-core machine the load generator shares the
    cores with the server, and httpx's client spent about as much CPU per request as the
    server's decision (45 % of a core at 150 requests/s; this: 4 %). It writes the request
    bytes and reads the status line, the headers and a Content-Length or chunked body;
    nothing else is needed for this API.

    After `max_uses` requests it closes and connects anew, as a proxy's upstream pool does:
    uvicorn's workers share one listening socket and a connection stays with the worker
    that accepted it, so connections opened once (and in a burst, which one worker's accept
    loop takes whole) could leave a worker idle for the whole run.
    """

    IDLE_S = 4.0  # uvicorn closes a connection idle for 5 s; open a new one before that

    def __init__(self, host: str, port: int, max_uses: int) -> None:
        self.host, self.port, self.max_uses = host, port, max_uses
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.used, self.uses = 0.0, 0

    async def open(self) -> None:
        self.close()
        self.streams = await asyncio.open_connection(self.host, self.port)
        self.used, self.uses = time.monotonic(), 0

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        try:
            if self.streams is None or time.monotonic() - self.used > self.IDLE_S:
                await self.open()
            assert self.streams is not None
            reader, writer = self.streams
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            headers = head.lower()
            if b"\r\ntransfer-encoding: chunked" in headers:
                body = await self._chunked(reader)
            else:
                length = re.search(rb"\r\ncontent-length: *(\d+)", headers)
                body = await reader.readexactly(int(length[1])) if length else b""
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            self.close()
            raise NoAnswer from None
        self.used, self.uses = time.monotonic(), self.uses + 1
        if b"\r\nconnection: close" in headers or self.uses >= self.max_uses:
            self.close()
        return status, body

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size + 2))
        await reader.readuntil(b"\r\n")
        return b"".join(p[:-2] for p in parts)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def encode(method: str, path: str, headers: Mapping[str, str], body: Any, host: str) -> bytes:
    """The bytes of one HTTP/1.1 request with an optional JSON body."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    payload = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _drive(load: LoadPlan) -> dict[str, Any]:
    traffic = Traffic(load)
    schedule = plan(load.rate, load.duration, load.mix, load.seed, load.lanes, load.lane)
    host = f"{load.host}:{load.port}"
    rows: list[tuple[float, float, float, str, int]] = []
    samples: dict[str, str] = {}
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(load.connections):  # one at a time, so that every worker takes some
        connection = Connection(load.host, load.port, load.max_uses)
        await connection.open()
        await asyncio.sleep(0.02)
        idle.put_nowait(connection)

    async def one(due: float, kind: str) -> None:
        connection = await idle.get()
        sent = time.monotonic() - load.start_at
        method, path, headers, body, subject = traffic.request(kind)
        try:
            status, content = await connection.request(encode(method, path, headers, body, host))
        except NoAnswer:
            status, content = 0, b"no answer (connection failed)"
        finally:
            idle.put_nowait(connection)
        ended = time.monotonic() - load.start_at
        traffic.answered(kind, subject, status, content)
        if status != EXPECTED_STATUS[kind]:
            samples.setdefault(f"{kind} {status}", content[:300].decode("utf-8", "replace"))
        rows.append((due, sent, ended, kind, status))

    running: set[asyncio.Task[None]] = set()
    for due, kind in schedule:
        wait = load.start_at + due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(one(due, kind))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    while not idle.empty():
        idle.get_nowait().close()
    return {"rows": rows, "error_samples": samples}


def run_load(load: LoadPlan) -> None:
    """The load process's entry point: drive the plan, write what happened to `load.out`."""
    try:
        import uvloop

        factory: Any = uvloop.new_event_loop
    except ImportError:  # the plain loop does too, a little slower
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        found = runner.run(_drive(load))
    Path(load.out).write_text(json.dumps(found))


# -- the server's processes, read from /proc ----------------------------------------------------
def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (through /proc/<pid>/task/*/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def role(pid: int, server_pid: int) -> str:
    if pid == server_pid:
        return "parent"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    return "resource tracker" if "resource_tracker" in command else "worker"


def machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, summed over its cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - fields[3] - fields[4]) / tick, sum(fields) / tick


class Sampler(threading.Thread):
    """Every `every` seconds: RSS and CPU time of each server process, CPU time of the load
    processes and of PostgreSQL's backends serving the store (when they run here), the
    machine's CPU time, and PostgreSQL's connections to the store's database."""

    def __init__(
        self,
        server_pid: int,
        clients: Sequence[int],
        database_url: str,
        every: float,
        start_at: float,
    ) -> None:
        super().__init__(daemon=True)
        self.server_pid, self.clients, self.every = server_pid, list(clients), every
        self.database_url, self.start_at = database_url, start_at
        host = httpx.URL(database_url.replace("+psycopg", "")).host
        self.local_pg = host in ("127.0.0.1", "localhost", "::1", "")
        self.memory: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.cpu: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.roles: dict[int, str] = {}
        self.connections: list[tuple[float, int]] = []
        self.backends: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.machine: list[tuple[float, float, float]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        url = self.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as pg:
            while True:
                self.sample(pg)
                if self.stopping.wait(self.every):
                    self.sample(pg)
                    return

    def sample(self, pg: Any) -> None:
        at = time.monotonic() - self.start_at
        for pid in descendants(self.server_pid):
            memory, cpu = rss_mb(pid), cpu_seconds(pid)
            if memory is None or cpu is None:
                continue
            self.roles.setdefault(pid, role(pid, self.server_pid))
            self.memory[pid].append((at, memory))
            self.cpu[pid].append((at, cpu))
        for pid in self.clients:
            cpu = cpu_seconds(pid)
            if cpu is not None:
                self.roles.setdefault(pid, "load generator")
                self.cpu[pid].append((at, cpu))
        backends = [
            int(row[0])
            for row in pg.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
        self.connections.append((at, len(backends)))
        for pid in backends:  # pids of another machine's server are not ours to read
            cpu = cpu_seconds(pid) if self.local_pg else None
            if cpu is not None:
                self.backends[pid].append((at, cpu))
        self.machine.append((at, *machine_cpu()))


# -- setting up: PostgreSQL, the store, the server ------------------------------------------------
def fresh_database(server_url: str, name: str) -> str:
    """Drop and create database `name` on the cluster of `server_url`; its URL."""
    import psycopg

    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def store_ready(data_dir: Path, database_url: str, small: bool) -> bool:
    """Whether `data_dir` says it holds the model files of this very store (same database,
    same size), built by an earlier run."""
    marker = data_dir / "soak-store.json"
    wanted = {"database_url": database_url, "small": small}
    return marker.exists() and json.loads(marker.read_text()) == wanted


def ensure_store(data_dir: Path, database_url: str, small: bool, rebuild: bool) -> dict[str, Any]:
    """Build the demo store into `database_url` and `data_dir` unless this very store is
    there already; answers what the build took, if it built."""
    from tactful.cli.demo import build_demo
    from tactful.settings import Settings

    if not rebuild and store_ready(data_dir, database_url, small):
        return {"reused": True}
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    timings = build_demo(Settings(data_dir=data_dir, database_url=database_url), small=small)
    wanted = {"database_url": database_url, "small": small}
    (data_dir / "soak-store.json").write_text(json.dumps(wanted))
    return {"reused": False, "build_seconds": {k: round(v, 1) for k, v in timings.items()}}


def prepare_people(
    base: str, key: str, subjects: Sequence[str], ttl: int
) -> dict[str, tuple[str, str]]:
    """A subject token and one decision for each of `subjects`, through the API (this also
    warms every worker: models loaded, caches filled)."""
    people: dict[str, tuple[str, str]] = {}
    operator = {"X-API-Key": key}
    with httpx.Client(base_url=base, headers=operator, timeout=60) as client:
        for subject in subjects:
            token = client.post(f"/v1/subjects/{subject}/tokens", json={"ttl_seconds": ttl})
            decision = client.get(f"/v1/subjects/{subject}/recommendations?k=10")
            token.raise_for_status()
            decision.raise_for_status()
            people[subject] = (token.json()["token"], decision.json()["decision_id"])
    return people


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# -- the run ---------------------------------------------------------------------------------------
def soak(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    from _serving import (
        demo_subjects,
        free_port,
        start_server,
        stop_server,
        store_column,
        wait_healthy,
    )

    from tactful.settings import Settings

    report: dict[str, Any] = {
        "command": "bench/soak.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "load_average_before": load_average(),
    }
    report["store"] = ensure_store(args.data_dir, database_url, args.small, args.rebuild)
    settings = Settings(data_dir=args.data_dir, database_url=database_url)
    key = settings.operator_api_key()
    subjects = demo_subjects(settings)
    items = sorted(store_column(settings, "SELECT item_id FROM items"))
    report["store"] |= {"small": args.small, "subjects": len(subjects), "items": len(items)}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(args.data_dir, port, args.workers, database_url)
    sampler: Sampler | None = None
    try:
        wait_healthy(base, server)
        chosen = random.Random(args.seed).sample(subjects, min(args.people, len(subjects)))
        people = prepare_people(base, key, chosen, int(args.duration) + 3600)
        context = multiprocessing.get_context("spawn")
        start_at = time.monotonic() + 3.0  # time for the load processes to start
        loads, outs = [], []
        for lane in range(args.clients):
            out = args.data_dir / f"load-{lane}.json"
            outs.append(out)
            mine = {
                s: p for n, (s, p) in enumerate(sorted(people.items())) if n % args.clients == lane
            }
            load = LoadPlan(
                host="127.0.0.1",
                port=port,
                key=key,
                rate=args.rate,
                duration=args.duration,
                mix=args.mix,
                seed=args.seed,
                lanes=args.clients,
                lane=lane,
                start_at=start_at,
                subjects=subjects,
                items=items,
                people=mine,
                connections=args.connections,
                max_uses=args.max_uses,
                out=str(out),
            )
            process = context.Process(target=run_load, args=(load,), name=f"soak-load-{lane}")
            process.start()
            loads.append(process)
        clients = [p.pid or 0 for p in loads]
        sampler = Sampler(server.pid, clients, database_url, args.sample_every, start_at)
        time.sleep(max(0.0, start_at - time.monotonic()))
        sampler.start()
        for process in loads:
            process.join()
        sampler.stopping.set()
        sampler.join()
        if any(p.exitcode != 0 for p in loads):
            sys.exit("a load process failed")
        report["server_alive_at_end"] = server.poll() is None
    finally:
        if sampler is not None:
            sampler.stopping.set()
        stop_server(server)
    report["load_average_after"] = load_average()
    report["settings"] = {
        "duration_s": args.duration,
        "rate_per_s": args.rate,
        "workers": args.workers,
        "clients": args.clients,
        "connections": args.connections,
        "requests_per_connection": args.max_uses,
        "people_with_tokens": len(people),
        "mix": args.mix,
        "sample_every_s": args.sample_every,
        "warmup_s": args.warmup,
        "max_slope_mb_per_min": args.max_slope,
    }
    rows: list[Done] = []
    samples: dict[str, str] = {}
    for out in outs:
        found = json.loads(out.read_text())
        rows += [Done(*row) for row in found["rows"]]
        samples |= found["error_samples"]
        out.unlink()
    report |= analyse(rows, sampler, args)
    report["error_samples"] = samples
    return report


def analyse(rows: Sequence[Done], sampler: Sampler, args: argparse.Namespace) -> dict[str, Any]:
    duration = max([args.duration, *(r.ended for r in rows)])
    # The timeline holds the whole bins of the offered duration; answers read after it
    # (the last requests' tails) are in the totals, not in a bin of their own.
    width = args.sample_every
    n_bins = max(1, math.floor(args.duration / width))
    series_ends = sorted(r.ended for r in rows)
    latency_bins: dict[int, list[float]] = defaultdict(list)
    for r in rows:
        latency_bins[int(r.ended // width)].append((r.ended - r.due) * 1000)
    processes = []
    for pid, points in sorted(sampler.memory.items()):
        times, memory = [t for t, _ in points], [m for _, m in points]
        cpu = sampler.cpu[pid]
        busy = (cpu[-1][1] - cpu[0][1]) / max(1e-9, cpu[-1][0] - cpu[0][0]) if cpu else math.nan
        processes.append(
            {"pid": pid, "role": sampler.roles[pid], "cpu_percent": 100 * busy}
            | memory_trend(times, memory, args.warmup, args.max_slope)
            | {"samples": [[round(t, 1), round(m, 1)] for t, m in points]}
        )
    clients = []
    for pid in sampler.clients:
        cpu = sampler.cpu.get(pid, [])
        if len(cpu) >= 2:
            clients.append(
                {
                    "pid": pid,
                    "cpu_percent": 100 * (cpu[-1][1] - cpu[0][1]) / (cpu[-1][0] - cpu[0][0]),
                }
            )

    def busy_percent(series: Mapping[int, list[tuple[float, float]]]) -> float:
        spent = sum(points[-1][1] - points[0][1] for points in series.values() if points)
        window = sampler.machine[-1][0] - sampler.machine[0][0] if sampler.machine else 0
        return 100 * spent / window if window > 0 else math.nan

    first, last = (sampler.machine[0], sampler.machine[-1]) if sampler.machine else (None, None)
    cpu = {
        "machine_busy_percent_of_all_cores": (
            100 * (last[1] - first[1]) / (last[2] - first[2])
            if first and last and last[2] > first[2]
            else math.nan
        ),
        "server_percent_of_one_core": busy_percent(
            {pid: sampler.cpu[pid] for pid in sampler.memory}
        ),
        "postgres_backends_percent_of_one_core": (
            busy_percent(sampler.backends) if sampler.local_pg else math.nan
        ),
        "load_generator_percent_of_one_core": busy_percent(
            {pid: sampler.cpu[pid] for pid in sampler.clients if pid in sampler.cpu}
        ),
    }
    watched = [p for p in processes if p["role"] != "resource tracker"]
    growing = [p["pid"] for p in watched if p["verdict"] == "growing"]
    connections = [c for _, c in sampler.connections]
    return {
        "results": summarize(rows, duration),
        "measured_s": duration,
        "timeline": {
            "bin_s": width,
            "per_second": per_second(series_ends, width, n_bins * width),
            "errors_per_second": per_second(
                [r.ended for r in rows if r.status != EXPECTED_STATUS[r.kind]],
                width,
                n_bins * width,
            ),
            "p50_ms": [percentile(latency_bins.get(b, []), 50) for b in range(n_bins)],
            "p99_ms": [percentile(latency_bins.get(b, []), 99) for b in range(n_bins)],
        },
        "server_processes": processes,
        "load_processes": clients,
        "cpu": cpu,
        "memory_verdict": (
            f"growing: {', '.join(map(str, growing))}" if growing else "no growth trend"
        ),
        "postgres_connections": {
            "min": min(connections, default=0),
            "max": max(connections, default=0),
            # More than `max` means connections were closed and opened again during the run
            # (a pool's overflow connections are closed when given back).
            "distinct_backends_seen": len(sampler.backends),
            "samples": [[round(t, 1), c] for t, c in sampler.connections],
        },
    }


# -- the report ------------------------------------------------------------------------------------
def table(report: dict[str, Any]) -> str:
    results, settings = report["results"], report["settings"]
    lines = [
        f"soak: {settings['rate_per_s']:g} requests/s offered for {settings['duration_s']:g} s, "
        f"{settings['workers']} workers, {settings['clients']} load process(es), "
        f"store: {report['store']['subjects']} subjects, {report['store']['items']} items",
        f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores; "
        f"load average before {report['load_average_before']}, "
        f"after {report['load_average_after']}",
        "",
        f"{'kind':<18}{'requests':>10}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'errors':>8}",
    ]
    rows = [*results["by_kind"].items(), ("all", results["overall"])]
    for kind, f in rows:
        lines.append(
            f"{kind:<18}{f['requests']:>10}{f['per_second']:>9.1f}{f['p50_ms']:>9.1f}"
            f"{f['p99_ms']:>9.1f}{f['max_ms']:>9.0f}{f['errors']:>8}"
        )
    lag = results["client_lag_ms"]
    lines += [
        "",
        f"errors by kind and status: {results['errors_by_kind_status'] or 'none'}",
        f"client lag (sent after due): p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms",
        "",
        f"{'process':<26}{'cpu %':>7}{'start MB':>10}{'end MB':>9}{'max MB':>9}"
        f"{'MB/min':>9}{'r²':>6}  verdict",
    ]
    for p in report["server_processes"]:
        lines.append(
            f"{p['role'] + ' ' + str(p['pid']):<26}{p['cpu_percent']:>7.0f}{p['start_mb']:>10.1f}"
            f"{p['end_mb']:>9.1f}{p['max_mb']:>9.1f}{p['slope_mb_per_min']:>9.2f}"
            f"{p['r2']:>6.2f}  {p['verdict']}"
        )
    for c in report["load_processes"]:
        lines.append(f"{'load generator ' + str(c['pid']):<26}{c['cpu_percent']:>7.0f}")
    pg, cpu = report["postgres_connections"], report["cpu"]
    lines += [
        f"CPU (100 = one core): server {cpu['server_percent_of_one_core']:.0f}, PostgreSQL "
        f"backends {cpu['postgres_backends_percent_of_one_core']:.0f}, load generator "
        f"{cpu['load_generator_percent_of_one_core']:.0f}; machine busy "
        f"{cpu['machine_busy_percent_of_all_cores']:.0f} % of all cores",
        f"memory: {report['memory_verdict']} "
        f"(slope over the part after {settings['warmup_s']:g} s)",
        f"PostgreSQL connections to the store: {pg['min']} to {pg['max']} "
        f"({pg['distinct_backends_seen']} different backends seen)",
    ]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    from _ml100k import save, style
    from matplotlib.figure import Figure

    width = report["timeline"]["bin_s"]
    # Whole bins of the offered duration only (a last, partial bin would read as a drop).
    whole = max(1, math.floor(report["settings"]["duration_s"] / width))
    timeline = {
        k: [math.nan if x is None else x for x in v[:whole]]  # null in JSON: an empty bin
        for k, v in report["timeline"].items()
        if isinstance(v, list)
    }
    mids = [width * (n + 0.5) for n in range(len(timeline["per_second"]))]
    figure = Figure(figsize=(10, 9), layout="constrained")
    rate_ax, latency_ax, memory_ax = figure.subplots(3, 1, sharex=True)
    rate_ax.plot(mids, timeline["per_second"], color="#1f77b4", label="answered")
    rate_ax.plot(mids, timeline["errors_per_second"], color="#d62728", label="errors")
    rate_ax.axhline(report["settings"]["rate_per_s"], color="#777777", linestyle="--",
                    linewidth=1, label="offered")  # fmt: skip
    rate_ax.set_ylabel("requests/s", fontsize=11)
    rate_ax.set_ylim(bottom=0)
    rate_ax.legend(fontsize=9, loc="lower right")
    latency_ax.plot(mids, timeline["p50_ms"], color="#2ca02c", label="p50")
    latency_ax.plot(mids, timeline["p99_ms"], color="#ff7f0e", label="p99")
    latency_ax.set_ylabel(f"latency per {width:g} s (ms)", fontsize=11)
    latency_ax.set_ylim(bottom=0)
    latency_ax.legend(fontsize=9, loc="upper right")
    for p in report["server_processes"]:
        if p["role"] == "resource tracker":  # multiprocessing's, a few MB; in the table
            continue
        times = [t for t, _ in p["samples"]]
        memory = [m for _, m in p["samples"]]
        label = f"{p['role']} {p['pid']} ({p['slope_mb_per_min']:+.2f} MB/min after the warm-up)"
        memory_ax.plot(times, memory, marker=".", label=label)
    memory_ax.axvline(report["settings"]["warmup_s"], color="#777777", linestyle=":", linewidth=1)
    memory_ax.set_ylabel("resident memory (MB)", fontsize=11)
    memory_ax.set_xlabel("seconds", fontsize=11)
    memory_ax.legend(fontsize=9, loc="best")
    s = report["settings"]
    figure.suptitle(
        f"Soak: {s['rate_per_s']:g} mixed requests/s offered for {s['duration_s']:g} s to "
        f"tactful serve --workers {s['workers']} on PostgreSQL ({report['store']['subjects']} "
        "demo subjects)",
        fontsize=12,
    )
    style(figure)
    save(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--rate", type=float, default=150.0, help="requests a second offered")
    parser.add_argument("--mix", type=parse_mix, default=dict(DEFAULT_MIX))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=1, help="load generator processes")
    parser.add_argument(
        "--connections", type=int, default=16, help="per load process; at most this in flight"
    )
    parser.add_argument(
        "--max-uses", type=int, default=100, help="requests before a connection is renewed"
    )
    parser.add_argument("--people", type=int, default=200, help="subjects given a token")
    parser.add_argument("--small", action="store_true", help="the small demo store")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--rebuild", action="store_true", help="build the store even if there")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (or this store's)")
    parser.add_argument("--pg-port", type=int, default=54420, help="the throwaway cluster's")
    parser.add_argument("--keep-pg", action="store_true", help="leave the cluster running")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds left out of slopes")
    parser.add_argument("--max-slope", type=float, default=1.0, help="MB/min called growth")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    if args.data_dir is None:
        args.data_dir = Path("bench/out/soak-small" if args.small else "bench/out/soak")

    from _serving import pg_running, start_pg, stop_pg

    database_url = args.database_url
    started_pg = False
    try:
        if database_url is None:
            name = "tactful_soak_small" if args.small else "tactful_soak"
            kept = pg_running(args.pg_port)  # left running by an earlier --keep-pg
            server_url = start_pg(args.pg_port)
            started_pg = True
            database_url = server_url.rsplit("/", 1)[0] + f"/{name}"
            if args.rebuild or not (kept and store_ready(args.data_dir, database_url, args.small)):
                fresh_database(server_url, name)
                args.rebuild = True
        report = soak(args, database_url)
    finally:
        if started_pg and not args.keep_pg:
            stop_pg(args.pg_port)
    print(table(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(finite(report), indent=1, allow_nan=False) + "\n")
    if args.plot:
        plot(report, args.plot)


def finite(value: Any) -> Any:
    """The report with NaN and infinities as null (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


if __name__ == "__main__":
    main()
