"""The consult benchmark runs end to end on a small scale and reports its figures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_consult_bench_two_processes_redis_postgres(redis_url, postgres):
    database = postgres.new_database("bench_small")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ultrasound_consult.benchmark.consult_calls",
            "--experts",
            "3",
            "--rings",
            "2",
            "--processes",
            "2",
            "--redis",
            redis_url,
            "--database",
            database,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["ring_ms"]["deliveries"] == 6
    assert 0 < result["ring_ms"]["p95"] < 5000
    assert result["accept"]["room_joined_across_processes"] is True
    assert result["accept"]["others_stopped_ringing"] == 2
    assert result["database"] == "postgresql" and result["redis"] is True
