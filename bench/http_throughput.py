"""HTTP throughput and latency of recommendations against `tactful serve` on loopback.

    .venv/bin/python bench/http_throughput.py [--data-dir bench/out/demo] [--workers 2]
        [--connections 16] [--duration 30]

Needs wrk (Debian package `wrk`). Builds the demo store if absent, starts `tactful serve`
with the given workers on a free loopback port, drives GET /v1/subjects/{id}/recommendations
for randomly drawn demo subjects for a fixed duration, and prints requests per second,
latency percentiles and the count of errors (non-2xx responses and socket errors).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import numpy as np
from _serving import demo_subjects, free_port, start_server, stop_server, wait_healthy

from tactful.cli.demo import build_demo
from tactful.settings import Settings

LUA = """
local ids = {%s}
local n = 0
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  return wrk.format("GET", "/v1/subjects/" .. id .. "/recommendations?k=10", {["X-API-Key"] = "%s"})
end
"""


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("bench/out/demo"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=30)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    settings = Settings(data_dir=args.data_dir)
    if not (args.data_dir / "demo-built").exists():
        build_demo(settings)
        (args.data_dir / "demo-built").write_text("built\n")
    key = settings.operator_api_key()
    subjects = demo_subjects(settings)
    rng = np.random.default_rng(3)
    sample = [subjects[int(i)] for i in rng.integers(0, len(subjects), size=2000)]

    port = free_port()
    server = start_server(args.data_dir, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, timeout=60)
        for subject in sample[:200]:  # warm every worker's caches
            httpx.get(
                f"{base}/v1/subjects/{subject}/recommendations",
                headers={"X-API-Key": key},
                timeout=10,
            )
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA % (",".join(f'"{s}"' for s in sample), key))
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        stop_server(server)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        f"p{q}": to_ms(re.search(rf"\s{q}%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
        for q in (50, 75, 90, 99)
    }
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    print(
        json.dumps(
            {
                "workers": args.workers,
                "connections": args.connections,
                "duration_s": args.duration,
                "requests": total,
                "requests_per_second": rps,
                "latency_ms": latency,
                "non_2xx": int(non2xx.group(1)) if non2xx else 0,
                "socket_errors": socket_errors.group(1) if socket_errors else "none",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
