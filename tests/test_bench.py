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


def test_the_per_second_series_plots_to_a_png(tmp_path, qapp):
    from ultrasound_consult.benchmark.plot import plot_series

    series = [
        {"t": t, "fps_painted": 30 - (t > 5) * 12, "latency_ms": {"p50": 60 + t, "max": 120 + 3 * t},
         "sent_mbps": 5.0 if t < 5 else 1.2, "target_mbps": 5.0 if t < 5 else 1.3}
        for t in range(-3, 12)
    ]  # fmt: skip
    result = {"source": "phantom", "network": "4g-step", "series": series,
              "capacity_steps": [{"at_s": 5.0, "from_mbit": 8, "to_mbit": 1.5}]}  # fmt: skip
    png = plot_series(result, tmp_path / "step.png")
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert image.width() == 1100 and image.height() > 400

    def count(near: tuple[int, int, int]) -> int:
        hits = 0
        for x in range(0, image.width(), 3):
            for y in range(image.height()):
                c = image.pixelColor(x, y)
                hits += (
                    abs(c.red() - near[0]) + abs(c.green() - near[1]) + abs(c.blue() - near[2]) < 60
                )
        return hits

    assert count((0x1F, 0x77, 0xB4)) > 50, "the rate sent is drawn"
    assert count((0xD6, 0x27, 0x28)) > 50, "the latency's maximum is drawn"


def test_the_ladder_bench_measures_ssim_per_rung_and_rate():
    from ultrasound_consult.benchmark.ladder import run_ladder_bench

    result = run_ladder_bench("synthetic:640x480@30", seconds=1.6)
    table = result["ssim_inside_image"]
    assert len(table) == 5 and all(len(row) == 7 for row in table.values())
    native = table["480 lines @ 30 fps"]
    assert 0.5 < native["0.3"] < native["3"] <= 1.0, "more bits, more of the picture kept"
    assert result["ladder_in_use"][0]["from_mbps"] == 1.4


@pytest.mark.slow
def test_the_headless_call_benchmark_reports_both_sides():
    """``python -m ultrasound_consult.benchmark.headless_call``: two headless processes."""
    out = subprocess.run(
        [sys.executable, "-m", "ultrasound_consult.benchmark.headless_call", "--seconds", "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["benchmark"] == "headless_call"
    assert result["station"]["video"]["frames_sent"] > 0
    assert result["expert"]["video"]["frames_received"] > 0
    assert result["expert"]["annotations"]["sent"] >= 1
    assert set(result["cpu_percent_of_one_core"]) == {"station", "expert"}
