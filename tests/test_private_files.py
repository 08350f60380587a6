"""Secrets and clinical data on disk are owner-only (issue #13, item 8).

Real processes: a headless station with ``--record`` and ``--log-level DEBUG`` against
the real server, with its settings, masks and logs in fresh folders.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from ultrasound_consult.ui.settings import AppSettings

CLI = [sys.executable, "-m", "ultrasound_consult"]
MASKS = json.dumps({"schema": 1, "sources": {}})


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_owner_only(root: Path) -> list[Path]:
    seen = [root, *root.rglob("*")]
    loose = [p for p in seen if mode(p) & 0o077]
    assert not loose, [(str(p), oct(mode(p))) for p in loose]
    return seen


def test_station_recording_logs_and_settings_are_owner_only(signaling_url, invite, tmp_path):
    config, logs, recordings = tmp_path / "config", tmp_path / "logs", tmp_path / "recordings"
    config.mkdir()
    for name in ("settings.ini", "masks.json"):  # as an older version left them
        (config / name).write_text(MASKS if name.endswith("json") else "[General]\n")
        (config / name).chmod(0o644)
    config.chmod(0o755)
    code = invite("station")
    env = {**os.environ, "ULTRASOUND_CONSULT_CONFIG": str(config),
           "ULTRASOUND_CONSULT_LOGS": str(logs)}  # fmt: skip
    proc = subprocess.run(
        [*CLI, "--log-level", "DEBUG", "station", "--server", signaling_url, "--invite", code,
         "--name", "Clinic", "--source", "synthetic:160x120@10", "--headless", "--duration",
         "2", "--record", str(recordings)],
        capture_output=True, text=True, timeout=90, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["role"] == "station"
    bundles = [p for p in recordings.iterdir() if p.is_dir()]
    assert len(bundles) == 1
    files = assert_owner_only(bundles[0])
    assert any(p.name == "video-ultrasound.mp4" for p in files)
    assert any(p.name == "events.jsonl" for p in files)
    assert_owner_only(config)
    assert_owner_only(logs)
    assert (logs / "ultrasound-consult.log").is_file()
    # At DEBUG, websockets' frame logging would print the invite with its MAC.
    mac = code.rsplit(".", 1)[1]
    for text in (proc.stderr, (logs / "ultrasound-consult.log").read_text()):
        assert code not in text and mac not in text
        assert "websockets.client: > TEXT" not in text and "websockets.client: < TEXT" not in text


def test_settings_with_invite_codes_are_owner_only(tmp_path, qapp):
    path = tmp_path / "cfg" / "settings.ini"
    settings = AppSettings(path)
    settings.server = "wss://consult.example/"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
