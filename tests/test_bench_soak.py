"""The soak benchmark's arithmetic and traffic, on synthetic samples (no server, no clock):
percentiles, the memory trend and its verdict, the per-second series, the error count by
kind and status, the schedule and mix of requests, and the bytes a request is sent as."""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))
import soak


def test_percentile_matches_numpy_linear_interpolation() -> None:
    values = [float(v) for v in range(1, 101)]
    assert soak.percentile(values, 50) == pytest.approx(50.5)
    assert soak.percentile(values, 99) == pytest.approx(99.01)
    rng = np.random.default_rng(4)
    sample = list(rng.lognormal(2.0, 1.0, size=997))
    for q in (0, 1, 50, 90, 99, 100):
        assert soak.percentile(sample, q) == pytest.approx(float(np.percentile(sample, q)))
    assert soak.percentile([7.0], 99) == 7.0
    assert math.isnan(soak.percentile([], 50))


def test_least_squares_recovers_a_line_and_its_fit() -> None:
    xs = [float(x) for x in range(10)]
    slope, intercept, r2 = soak.least_squares(xs, [3.0 * x + 2.0 for x in xs])
    assert (slope, intercept, r2) == (pytest.approx(3.0), pytest.approx(2.0), pytest.approx(1.0))
    slope, _, r2 = soak.least_squares(xs, [5.0] * 10)
    assert slope == 0.0
    assert r2 == 0.0
    assert all(math.isnan(v) for v in soak.least_squares([1.0], [1.0]))
    assert all(math.isnan(v) for v in soak.least_squares([2.0, 2.0], [1.0, 3.0]))


def _samples(per_minute: float, noise_mb: float, seed: int = 1) -> tuple[list[float], list[float]]:
    """Five minutes of RSS every 5 s: a 20 MB climb in the first 30 s, then `per_minute`."""
    rng = np.random.default_rng(seed)
    times = [5.0 * n for n in range(61)]
    memory = [
        150.0 + min(t, 30.0) / 30.0 * 20.0 + per_minute * max(0.0, t - 30.0) / 60.0 + float(noise)
        for t, noise in zip(times, rng.normal(0.0, noise_mb, size=len(times)), strict=True)
    ]
    return times, memory


def test_memory_that_levels_off_after_the_warmup_has_no_growth_trend() -> None:
    times, memory = _samples(per_minute=0.0, noise_mb=0.3)
    found = soak.memory_trend(times, memory, warmup_s=30.0, max_slope=1.0)
    assert found["verdict"] == "no growth trend"
    assert abs(found["slope_mb_per_min"]) < 0.2
    assert found["start_mb"] == memory[0]
    assert found["end_mb"] == memory[-1]
    assert found["max_mb"] == max(memory)
    assert found["steady_samples"] == 55
    # Kept in the fit, the warm-up's climb would tilt the line (though it explains little).
    with_warmup = soak.memory_trend(times, memory, 0.0, 1.0)
    assert with_warmup["slope_mb_per_min"] > 1.0
    assert with_warmup["r2"] < 0.5


def test_a_steady_leak_is_growing_and_noise_alone_is_not() -> None:
    times, memory = _samples(per_minute=3.0, noise_mb=0.5)
    found = soak.memory_trend(times, memory, 30.0, 1.0)
    assert found["verdict"] == "growing"
    assert found["slope_mb_per_min"] == pytest.approx(3.0, abs=0.3)
    assert found["r2"] > 0.9
    # A slope under the limit is not growth, however straight the line.
    assert soak.memory_trend(times, memory, 30.0, 5.0)["verdict"] == "no growth trend"
    # Large noise around a flat line: whatever slope it shows, the line explains little.
    times, memory = _samples(per_minute=0.0, noise_mb=8.0, seed=3)
    noisy = soak.memory_trend(times, memory, 30.0, 0.1)
    assert noisy["r2"] < 0.5
    assert noisy["verdict"] == "no growth trend"
    assert soak.memory_trend(times[:8], memory[:8], 30.0, 1.0)["verdict"] == "too short"


def test_per_second_counts_completions_in_their_bin() -> None:
    ends = [0.1, 0.2, 4.9, 5.0, 9.99, 12.0, 14.5, 15.0, -1.0]
    assert soak.per_second(ends, 5.0, 15.0) == [0.6, 0.4, 0.4]
    assert soak.per_second([], 5.0, 12.0) == [0.0, 0.0, 0.0]


def test_summarize_counts_unexpected_statuses_as_errors_by_kind_and_status() -> None:
    done = [soak.Done(n / 10, n / 10, n / 10 + 0.005, "recommend", 200) for n in range(98)]
    done += [
        soak.Done(10.0, 10.0, 10.5, "recommend", 500),
        soak.Done(10.1, 10.1, 10.2, "event", 422),
        soak.Done(10.2, 10.3, 10.4, "why", 0),
        soak.Done(10.3, 10.3, 10.31, "message", 200),
    ]
    found = soak.summarize(done, duration=10.0)
    assert found["overall"]["requests"] == 102
    assert found["overall"]["per_second"] == pytest.approx(10.2)
    assert found["overall"]["errors"] == 3
    assert found["errors_by_kind_status"] == {
        "event 422": 1,
        "recommend 500": 1,
        "why no answer": 1,
    }
    recommend = found["by_kind"]["recommend"]
    assert recommend["requests"] == 99
    assert recommend["errors"] == 1
    assert recommend["p50_ms"] == pytest.approx(5.0)
    assert recommend["max_ms"] == pytest.approx(500.0)
    assert found["by_kind"]["message"]["errors"] == 0
    # Latency counts from when a request was due, so a late send shows in it.
    assert found["by_kind"]["why"]["p50_ms"] == pytest.approx(200.0)
    assert found["client_lag_ms"] == {"p50": 0.0, "p99": 0.0}


def test_the_plan_is_evenly_spaced_and_follows_the_mix() -> None:
    schedule = soak.plan(200.0, 300.0, soak.DEFAULT_MIX, seed=9)
    assert len(schedule) == 60_000
    gaps = {round(b[0] - a[0], 9) for a, b in itertools.pairwise(schedule)}
    assert gaps == {0.005}
    counts = Counter(kind for _, kind in schedule)
    total = sum(soak.DEFAULT_MIX.values())
    for kind, weight in soak.DEFAULT_MIX.items():
        assert counts[kind] / len(schedule) == pytest.approx(weight / total, abs=0.006)
    assert soak.plan(200.0, 300.0, soak.DEFAULT_MIX, seed=9) == schedule
    assert soak.plan(200.0, 300.0, soak.DEFAULT_MIX, seed=10) != schedule


def test_lanes_share_the_slots_without_overlap() -> None:
    lanes = [soak.plan(90.0, 10.0, {"recommend": 1.0}, 1, lanes=3, lane=n) for n in range(3)]
    times = sorted(t for lane in lanes for t, _ in lane)
    assert times == [n / 90.0 for n in range(900)]
    assert [len(lane) for lane in lanes] == [300, 300, 300]
    with pytest.raises(ValueError, match="lane"):
        soak.plan(90.0, 10.0, {"recommend": 1.0}, 1, lanes=3, lane=3)


def test_parse_mix_takes_known_kinds_and_refuses_others() -> None:
    assert soak.parse_mix("recommend=80, event=20") == {"recommend": 80.0, "event": 20.0}
    for bad in ("recommend=80,fly=20", "recommend=x", "recommend=-1", "recommend=0"):
        with pytest.raises(argparse.ArgumentTypeError, match=r"kind|number|negative|nothing"):
            soak.parse_mix(bad)
    schedule = soak.plan(10.0, 100.0, soak.parse_mix("recommend=1,why=0"), seed=2)
    assert {kind for _, kind in schedule} == {"recommend"}


def _traffic() -> soak.Traffic:
    load = soak.LoadPlan(
        host="127.0.0.1",
        port=8000,
        key="op-key",
        rate=10.0,
        duration=10.0,
        mix=dict(soak.DEFAULT_MIX),
        seed=1,
        lanes=1,
        lane=0,
        start_at=0.0,
        subjects=["alice", "bob", "carol"],
        items=["i-1", "i-2"],
        people={"dan": ("tok-dan", "00000000-0000-4000-8000-000000000001")},
        connections=2,
        max_uses=100,
        out="unused.json",
    )
    return soak.Traffic(load)


def test_every_kind_builds_a_request_on_real_subjects_with_the_right_credential() -> None:
    traffic = _traffic()
    seen = set()
    for kind in soak.DEFAULT_MIX:
        for _ in range(20):
            method, path, headers, body, subject = traffic.request(kind)
            seen.add(kind)
            if kind in ("level", "why"):
                assert subject == "dan"
                assert headers == {"Authorization": "Bearer tok-dan"}
                assert path.startswith("/v1/me/")
            else:
                assert subject in ("alice", "bob", "carol")
                assert headers == {"X-API-Key": "op-key"}
            if kind == "event":
                assert method == "POST"
                assert 1 <= len(body) <= 3
                assert {row["item_id"] for row in body} <= {"i-1", "i-2"}
                assert {row["event_type"] for row in body} <= set(soak.EVENT_TYPES)
            if kind == "consent_withdraw":
                assert body["choices"][0]["status"] == "withdrawn"
            if kind == "message":
                assert soak.CAMPAIGNS[body["campaign_id"]] == body["copy"]
    assert seen == set(soak.DEFAULT_MIX)
    with pytest.raises(ValueError, match="unknown kind"):
        traffic.request("fly")


def test_a_recommendation_answered_becomes_a_decision_to_read() -> None:
    traffic = _traffic()
    decision = "12345678-1234-4234-8234-123456789abc"
    answer = ('{"decision_id":"' + decision + '","subject_id":"dan","items":[]}').encode()
    traffic.answered("recommend", "dan", 200, answer)
    assert traffic.people["dan"] == ("tok-dan", decision)
    assert decision in traffic.decisions
    traffic.answered("recommend", "bob", 503, b'{"decision_id":"' + b"f" * 36 + b'"}')
    assert "f" * 36 not in traffic.decisions
    _, path, _, _, _ = traffic.request("why")
    assert path == f"/v1/me/decisions/{decision}"


def test_encode_writes_a_whole_http_request() -> None:
    raw = soak.encode("PUT", "/v1/me/level", {"Authorization": "Bearer t"}, {"level": "off"}, "h:1")
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"PUT /v1/me/level HTTP/1.1",
        b"Host: h:1",
        b"Authorization: Bearer t",
        b"Content-Type: application/json",
        b"Content-Length: 16",
    ]
    assert payload == b'{"level": "off"}'
    assert soak.encode("GET", "/x", {}, None, "h:1") == b"GET /x HTTP/1.1\r\nHost: h:1\r\n\r\n"


def test_finite_turns_nan_into_null_everywhere() -> None:
    report = {"a": math.nan, "b": [1.0, math.inf, {"c": (2.0, math.nan)}], "d": "x"}
    assert soak.finite(report) == {"a": None, "b": [1.0, None, {"c": [2.0, None]}], "d": "x"}
