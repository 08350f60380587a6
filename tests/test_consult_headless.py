"""The enrolled devices' headless modes as a script runs them: ``ultrasound-consult
enroll``, then an expert on duty that answers and a station that calls a specialty,
as real processes against a real server; each prints one JSON line with setup times."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator

import pytest

from signaling_server.enrollment import DeviceKind
from tests.support.consult import ConsultServer, signed_in
from ultrasound_consult.protocol.consult import Presence, Status

CLI = [sys.executable, "-m", "ultrasound_consult"]


@pytest.fixture
def server(tmp_path) -> Iterator[ConsultServer]:
    s = ConsultServer(ring_timeout="20s", log_file=tmp_path / "server.log").start()
    yield s
    s.stop()


def one_json_line(out: str, err: str) -> dict:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"one JSON line on stdout, got {out!r}; stderr: {err[-2000:]}"
    return json.loads(lines[0])


def enroll(server: ConsultServer, kind: DeviceKind, name: str, path, **kw) -> None:
    code = server.enroll_code(kind, name, **kw)
    out = subprocess.run(
        [*CLI, "enroll", code, "--server", server.url, "--credential", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "enrolled as" in out.stdout and code not in out.stdout + out.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.slow
async def test_headless_expert_answers_a_headless_station_calling_a_specialty(server, tmp_path):
    station_file, expert_file = tmp_path / "station.json", tmp_path / "expert.json"
    enroll(server, DeviceKind.STATION, "Headless clinic", station_file, site="hl")
    enroll(server, DeviceKind.EXPERT, "Dr. Headless", expert_file, specialty="msk")
    watcher = await server.device(DeviceKind.TRAINEE, "Watcher")
    async with signed_in(watcher) as w:
        expert = subprocess.Popen(
            [
                *CLI,
                "expert",
                "--credential",
                str(expert_file),
                "--on-duty",
                "--auto-accept",
                "--headless",
                "--duration",
                "4",
                "--wait",
                "60",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            await w.next_event(
                lambda e: (
                    isinstance(e, Presence)
                    and e.device.name == "Dr. Headless"
                    and e.device.status is Status.ON_DUTY
                ),
                timeout=30,
            )
            station = subprocess.run(
                [
                    *CLI,
                    "station",
                    "--credential",
                    str(station_file),
                    "--call",
                    "specialty:msk",
                    "--headless",
                    "--duration",
                    "4",
                    "--source",
                    "synthetic:320x240@15",
                ],
                capture_output=True,
                text=True,
                timeout=90,
            )
            ex_out, ex_err = expert.communicate(timeout=90)
        finally:
            if expert.poll() is None:
                expert.kill()
    st = one_json_line(station.stdout, station.stderr)
    ex = one_json_line(ex_out, ex_err)
    assert station.returncode == 0 and expert.returncode == 0, (station.stderr, ex_err)
    assert st["role"] == "station" and ex["role"] == "expert"
    assert st["consult"]["call_id"] == ex["consult"]["call_id"]
    assert st["consult"]["rung"] == 1
    seconds = st["consult"]["seconds"]
    assert 0 <= seconds["ring_sent"] <= seconds["accepted"] <= seconds["connected"]
    assert ex["video"]["frames_received"] > 0
    assert 0 < ex["consult"]["accept_to_first_frame_s"] < 10
    for text in (station.stderr, ex_err):
        assert "ucd_" not in text
    rows = json.loads(server.cli("log", "--json").stdout)
    assert [(r["station"], r["experts"], r["outcome"]) for r in rows] == [
        ("Headless clinic", "Dr. Headless", "completed")
    ]


def test_headless_modes_refuse_what_cannot_work(server, tmp_path):
    missing = subprocess.run(
        [
            *CLI,
            "station",
            "--credential",
            str(tmp_path / "none.json"),
            "--call",
            "specialty:msk",
            "--headless",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "enroll this device first" in missing.stderr
    bad_code = subprocess.run(
        [
            *CLI,
            "enroll",
            "AAAA-BBBB-CCCC",
            "--server",
            server.url,
            "--credential",
            str(tmp_path / "x.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad_code.returncode == 2 and "not valid" in bad_code.stderr
    assert not (tmp_path / "x.json").exists()
    neither = subprocess.run(
        [*CLI, "station", "--headless"], capture_output=True, text=True, timeout=60
    )
    assert neither.returncode == 2 and "--invite" in neither.stderr
