"""The headless commands as a user or a script runs them: real processes, one JSON line each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave

import numpy as np
import pytest

from ultrasound_consult.media.audio import SAMPLE_RATE, dominant_hz

CLI = [sys.executable, "-m", "ultrasound_consult"]


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[dict, str, int]:
    out, err = proc.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"exactly one JSON line on stdout, got {out!r}; stderr: {err[-2000:]}"
    return json.loads(lines[0]), err, proc.returncode


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_headless_station_and_expert_call(signaling_url, invite, tmp_path):
    heard = tmp_path / "expert-heard.wav"
    station = start(
        "station",
        "--server",
        signaling_url,
        "--invite",
        invite("station"),
        "--name",
        "Clinic",
        "--source",
        "synthetic:640x480@30",
        "--audio",
        "tone:440",
        "--camera",
        "testcard:320x180@15",
        "--headless",
        "--duration",
        "8",
    )
    expert = start(
        "expert",
        "--server",
        signaling_url,
        "--invite",
        invite("expert"),
        "--name",
        "Dr",
        "--headless",
        "--duration",
        "6",
        "--auto-annotate",
        "0.5",
        "--speaker",
        f"record:{heard}",
    )
    ex, ex_err, ex_code = finish(expert)
    st, st_err, st_code = finish(station)
    assert ex_code == 0 and st_code == 0, (ex_err[-1500:], st_err[-1500:])
    assert ex["role"] == "expert" and st["role"] == "station"
    assert ex["video"]["resolution"] == "640x480" and ex["video"]["codec"] == "VP8"
    assert ex["video"]["frames_received"] > 30 and ex["video"]["fps_received"] > 10
    assert ex["annotations"]["sent"] >= 3
    assert ex["annotations"]["acknowledged"] == ex["annotations"]["sent"]
    assert ex["annotations"]["round_trip_ms"]["p50"] > 0
    assert ex["pointer"]["sent"] > 10
    assert st["annotations"]["received"] == ex["annotations"]["sent"]
    assert st["video"]["frames_sent"] >= ex["video"]["frames_received"]
    assert st["source"].startswith("Synthetic phantom 640x480")
    assert ex["errors"] == [] and st["errors"] == []
    assert st["audio"]["source"] == "tone 440 Hz" and ex["audio"]["frames_received"] > 50
    # The second camera's counters are the call's whole, kept when the links close at exit.
    assert ex["camera"]["frames_received"] > 15 and ex["camera"]["fps_received"] > 2
    assert ex["camera"]["resolution"] == "320x180"
    assert st["camera"]["frames_sent"] >= ex["camera"]["frames_received"]
    with wave.open(str(heard)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    assert abs(dominant_hz(samples[-SAMPLE_RATE:]) - 440) < 4, "the station's tone, recorded"
    assert "connected" in ex_err, "progress for a person goes to stderr"
    assert invite("expert").split(".")[-1] not in ex_err + st_err, "invite codes never reach logs"


def test_server_down_gives_a_json_line_and_a_clear_message(invite):
    summary, err, code = finish(
        start(
            "expert", "--server", "ws://127.0.0.1:9/", "--invite", invite("expert"), "--headless"
        ),
        60,
    )
    assert code == 1
    assert summary["errors"] and summary["errors"][0].startswith("server_unreachable")
    assert "Cannot reach the signalling server" in err and "Traceback" not in err


def test_bad_source_is_refused_before_anything_starts(invite):
    proc = run("station", "--invite", invite("station"), "--source", "webcam", "--headless")
    assert proc.returncode == 2
    assert "unknown source 'webcam'" in proc.stderr and "synthetic" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_dicom_file_is_reported_as_json(invite, tmp_path):
    summary, _err, code = finish(
        start(
            "station",
            "--invite",
            invite("station"),
            "--source",
            f"dicom:{tmp_path}/none.dcm",
            "--headless",
        ),
        60,
    )
    assert code == 2 and "not found" in summary["errors"][0]


def test_windows_without_a_display_say_what_to_do(invite):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.run(
        [*CLI, "expert", "--invite", invite("expert")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 2
    assert "No display found" in proc.stderr and "--headless" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_invites_must_fit_the_command(invite):
    proc = run("expert", "--invite", invite("observer"), "--headless")
    assert proc.returncode == 2 and "for the observer role" in proc.stderr
    proc = run("expert", "--invite", "not-a-code", "--headless")
    assert proc.returncode == 2 and "not valid" in proc.stderr and "Traceback" not in proc.stderr


def test_an_expired_invite_is_refused_by_the_server(signaling_url, invite):
    code = invite("expert", ttl_s=-3600)
    summary, err, status = finish(
        start("expert", "--server", signaling_url, "--invite", code, "--headless"), 60
    )
    assert status == 1 and summary["errors"][0].startswith("token_expired")
    assert "expired" in err and "ask for a new one" in err
