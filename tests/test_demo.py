"""`ultrasound-consult demo` as a new user runs it on a machine without a display."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
from PySide6.QtGui import QImage

PYTHON_M = (sys.executable, "-m", "ultrasound_consult")


def test_demo_without_a_display_runs_offscreen_and_says_so(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    out = tmp_path / "shots"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ultrasound_consult",
            "demo",
            "--duration",
            "6",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "No display found" in proc.stderr and "xvfb-run" in proc.stderr
    assert "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["demo"]["offscreen"] is True
    assert summary["expert"]["video"]["frames_received"] > 30
    assert summary["expert"]["video"]["resolution"] == "1024x768"
    assert summary["expert"]["annotations"]["acknowledged"] >= 1, (
        "the scripted expert drew and was confirmed"
    )
    assert summary["station"]["annotations"]["received"] >= 1
    for name in ("station", "expert"):
        image = QImage(str(out / f"demo-{name}.png"))
        assert image.width() > 800 and image.height() > 600
        rgb = np.array(
            [
                [image.pixelColor(x, y).getRgb()[:3] for x in range(0, image.width(), 7)]
                for y in range(0, image.height(), 7)
            ]
        )
        yellow = (np.abs(rgb - [255, 212, 0]).sum(axis=2) < 80).sum()
        assert yellow > 10, f"the {name} screenshot shows the expert's marks"


def test_the_lecture_demo_runs_a_lecture_through_janus(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    out = tmp_path / "shots"
    proc = subprocess.run(
        [*PYTHON_M, "demo", "--lecture", "--duration", "8", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["lecture_demo"]["trainees"] == 4
    station, trainee = summary["station"]["lecture"], summary["trainee"]["lecture"]
    assert station["on"] and station["watching"] == 4
    assert station["questions_waiting"] == 1, "the scripted trainee asked"
    # The trainee watched through Janus, not a peer link; the station uploaded once.
    assert trainee["frames_received"] > 60 and summary["trainee"]["peers_connected_max"] == 0
    assert summary["station"]["peers_connected_max"] == 1  # the trainer, peer to peer
    for name in ("station", "trainer", "trainee"):
        image = QImage(str(out / f"lecture-{name}.png"))
        assert image.width() == 1366 and image.height() == 768
