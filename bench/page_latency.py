"""How long each page of the Privacy Center and the Operator Console takes to answer, on
the demo store, through a real server on loopback.

    .venv/bin/python bench/page_latency.py [--data-dir bench/out/pages-demo] [--small]
        [--rebuild] [--repeat 20] [--subject alice] [--json]

Builds the demo store into `--data-dir` when absent (`--small` for the small one), serves it
with uvicorn on a free loopback port, opens `--subject`'s Privacy Center from a token link
and signs in to the console with the operator key, like a browser would (cookies, CSRF).
Each page is fetched once cold (the first request pays caches such as the consent plot's
drawing and matplotlib's fonts), then `--repeat` times; it prints the cold time and the
median, 95th percentile and largest of the warm ones, and the page's size. Pages that make a
decision (recommendations) record one per request, as a person's visit would. Timings are
wall-clock on whatever else the machine is doing: compare runs made close together.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

CENTER = [
    "/privacy-center",
    "/privacy-center/notice",
    "/privacy-center/choices",
    "/privacy-center/recommendations",
    "/privacy-center/history",
    "/privacy-center/data",
    "/privacy-center/receipts",
    "/privacy-center/concerns",
]
CONSOLE = [
    "/console",
    "/console/requests",
    "/console/complaints",
    "/console/audits",
    "/console/models",
    "/console/guardrails",
    "/console/data",
]


def _store(data_dir: Path, *, small: bool, rebuild: bool) -> Any:
    from tactful.cli.demo import build_demo
    from tactful.settings import Settings

    settings = Settings(data_dir=data_dir, retention_interval_seconds=0)
    marker = data_dir / "demo-built"
    if rebuild and data_dir.exists():
        shutil.rmtree(data_dir)
    if not marker.exists():
        build_demo(settings, small=small)
        marker.write_text("built\n")
    return settings


def _serve(settings: Any) -> tuple[uvicorn.Server, str]:
    from tactful.api.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _time(client: httpx.Client, path: str, repeat: int) -> dict[str, Any]:
    def once() -> tuple[float, int]:
        start = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
        return elapsed, len(response.content)

    cold, size = once()
    warm = sorted(once()[0] for _ in range(repeat))
    return {
        "path": path,
        "cold_ms": round(cold * 1000, 1),
        "median_ms": round(statistics.median(warm) * 1000, 1),
        "p95_ms": round(warm[min(len(warm) - 1, int(0.95 * len(warm)))] * 1000, 1),
        "max_ms": round(warm[-1] * 1000, 1),
        "kb": round(size / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/pages-demo"))
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--subject", default="alice")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = _store(args.data_dir, small=args.small, rebuild=args.rebuild)
    server, base = _serve(settings)
    key = settings.operator_api_key()
    rows = []
    try:
        with httpx.Client(base_url=base, timeout=120) as api:
            issued = api.post(f"/v1/subjects/{args.subject}/tokens", headers={"X-API-Key": key})
            token = issued.json()["token"]
        with httpx.Client(base_url=base, timeout=120, follow_redirects=True) as person:
            opened = person.get("/privacy-center", params={"token": token})
            assert opened.status_code == 200, opened.text[:200]
            rows += [_time(person, path, args.repeat) for path in CENTER]
        with httpx.Client(base_url=base, timeout=120, follow_redirects=True) as staff:
            signed = staff.post("/console/login", data={"api_key": key}, headers={"Origin": base})
            assert signed.status_code == 200, signed.text[:200]
            rows += [_time(staff, path, args.repeat) for path in CONSOLE]
    finally:
        server.should_exit = True
    if args.json:
        print(json.dumps({"repeat": args.repeat, "pages": rows}, indent=2))
        return
    print(f"{'page':34} {'cold':>8} {'median':>8} {'p95':>8} {'max':>8} {'size':>8}")
    for r in rows:
        print(
            f"{r['path']:34} {r['cold_ms']:>6.0f}ms {r['median_ms']:>6.0f}ms "
            f"{r['p95_ms']:>6.0f}ms {r['max_ms']:>6.0f}ms {r['kb']:>6.0f}kB"
        )


if __name__ == "__main__":
    main()
