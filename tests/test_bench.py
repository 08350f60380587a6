"""`ultrasound-consult bench` runs a measured call and reports (short; figures come from full runs)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_reports_a_measured_call():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ultrasound_consult",
            "bench",
            "--resolution",
            "640x480",
            "--warmup",
            "4",
            "--duration",
            "4",
            "--network",
            "delay=5ms,loss=0.5%",
            "--no-stock",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result.get("errors") is None, result.get("errors")
    assert result["network"] == "delay=5ms,loss=0.5%"
    assert result["fps_received"] > 10 and result["fps_sent"] > 10
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"]
    assert result["ssim"]["p50"] > 0.8 and result["psnr_db"]["p50"] > 25
    assert result["bitrate_mbps"] > 0.2 and result["encoder"]["frames"] > 0
    assert set(result["cpu_percent"]) == {"station", "expert"}
    assert result["annotations_measured"] > 0 and result["annotation_ms"]["p50"] > 0
    assert result["call_errors"] == {"station": [], "expert": []}


def test_bench_refuses_a_bad_network_profile():
    out = subprocess.run(
        [sys.executable, "-m", "ultrasound_consult", "bench", "--network", "latency=9", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "delay=20ms" in out.stderr and "Traceback" not in out.stderr
