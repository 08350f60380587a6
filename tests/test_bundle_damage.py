"""Damaged and forged bundles are reported, never a traceback (issue #13, item 7).

A bundle is untrusted input (copied around, cut short, edited): its readers get the
wire decoders' treatment. Each case the probe found is run through the real commands
(``replay --check``, ``export``), and hypothesis feeds the readers damaged files.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ultrasound_consult.record.bundle import EVENTS_FILE, SESSION_FILE, BundleError
from ultrasound_consult.record.commands import check_command
from ultrasound_consult.record.export import vtt_text
from ultrasound_consult.record.session_bundle import SessionBundle

CLI = [sys.executable, "-m", "ultrasound_consult"]


@pytest.fixture
def copy(recorded_bundle, tmp_path):
    """A fresh copy of the real recorded consult, to damage."""
    folder = tmp_path / "bundle"
    shutil.copytree(recorded_bundle[0], folder)
    return folder


def session(folder: Path) -> dict:
    return json.loads((folder / SESSION_FILE).read_text())


def write_session(folder: Path, obj: dict | str) -> None:
    text = obj if isinstance(obj, str) else json.dumps(obj)
    (folder / SESSION_FILE).write_text(text)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def check(folder: Path) -> tuple[dict, subprocess.CompletedProcess[str]]:
    proc = cli("replay", str(folder), "--check")
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    report = json.loads(proc.stdout)  # strict: NaN would fail here
    return report, proc


def deep(n: int) -> str:
    return "[" * n + "]" * n


def test_the_intact_bundle_decodes_clean(recorded_bundle):
    report, proc = check(recorded_bundle[0])
    assert proc.returncode == 0 and report["ok"], report["problems"]
    track = report["tracks"]["ultrasound"]
    assert track["decode_errors"] == 0 and track["decoded_frames"] == track["frames"] > 30


@pytest.mark.parametrize(
    "damage",
    ["deep_events", "deep_session", "huge_int_events", "huge_int_session", "nan_session",
     "file_type", "t0_type", "traversal", "absolute", "empty_events"],
)  # fmt: skip
def test_each_damage_the_probe_found_is_reported(copy, damage):
    s = session(copy)
    events = copy / EVENTS_FILE
    if damage == "deep_events":
        events.write_text(
            events.read_text() + '{"t":1,"wall":1,"type":"x","data":' + deep(30_000) + "}\n"
        )
    elif damage == "deep_session":
        write_session(copy, '{"schema":1,"room":' + deep(100_000) + "}")
    elif damage == "huge_int_events":
        events.write_text(events.read_text() + '{"t":' + "9" * 5000 + ',"wall":1,"type":"x"}\n')
    elif damage == "huge_int_session":
        write_session(copy, json.dumps(s).replace('"schema": 1', '"schema": ' + "1" * 5000))
    elif damage == "nan_session":
        s["tracks"][0]["fps"] = float("nan")
        write_session(copy, json.dumps(s))
    elif damage == "file_type":
        s["tracks"][0]["file"] = 7
        write_session(copy, s)
    elif damage == "t0_type":
        s["tracks"][0]["t0"] = "soon"
        write_session(copy, s)
    elif damage == "traversal":
        outside = copy.parent / "x"
        outside.write_bytes(b"not yours")
        s["tracks"][0]["file"] = "../x"
        write_session(copy, s)
    elif damage == "absolute":
        s["tracks"][0]["file"] = "/etc/passwd"
        write_session(copy, s)
    elif damage == "empty_events":
        events.write_text("")
    report, proc = check(copy)
    assert proc.returncode in (1, 2) and report["ok"] is False
    assert report["problems"] and all(isinstance(p, str) for p in report["problems"])
    if damage in ("traversal", "absolute", "file_type", "t0_type"):
        assert any("session.json is malformed" in p for p in report["problems"]), report
    if damage == "empty_events":
        assert any("rec.start" in p for p in report["problems"]), report


def test_flipped_bytes_inside_the_video_are_found(copy):
    video = copy / "video-ultrasound.mp4"
    data = bytearray(video.read_bytes())
    rng = random.Random(7)
    for _ in range(40):  # inside frames, past the headers
        i = rng.randrange(len(data) // 4, len(data) * 3 // 4)
        data[i] ^= 0xFF
    video.write_bytes(bytes(data))
    report, proc = check(copy)
    assert proc.returncode == 1 and not report["ok"]
    assert report["tracks"]["ultrasound"]["decode_errors"] > 0
    assert any("damaged" in p for p in report["problems"]), report["problems"]


def test_a_malformed_cue_under_vtt_is_skipped(copy, tmp_path):
    lines = (copy / EVENTS_FILE).read_text().splitlines()
    lines.insert(3, json.dumps({"t": 1.0, "wall": 1.0, "type": "cue", "data": {"cue": 5}}))
    lines.insert(4, json.dumps({"t": 1.0, "wall": 1.0, "type": "cue.state",
                                "data": {"id": ["x"], "status": {}}}))  # fmt: skip
    (copy / EVENTS_FILE).write_text("\n".join(lines) + "\n")
    out = tmp_path / "c.vtt"
    proc = cli("export", str(copy), "--vtt", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.read_text().startswith("WEBVTT") and "Traceback" not in proc.stderr


# --- fuzz: damaged session.json and events.jsonl, read in-process --------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
FIELDS = ["schema", "room", "status", "tracks", "participants", "started_wall", "calibration",
          "clock_wall", "clock_media_ts", "source"]  # fmt: skip
TRACK_FIELDS = ["name", "file", "codec", "width", "height", "fps", "t0", "settings"]


def read_everything(folder: Path) -> None:
    """What replay --check, replay and export do with a bundle: reports or BundleError."""
    try:
        bundle = SessionBundle.open(folder)
    except BundleError as exc:
        assert str(exc)
        return
    report = bundle.check()
    json.dumps(report, allow_nan=False)
    assert isinstance(report["problems"], list)
    bundle.timeline.state_at(1.0)
    try:
        vtt_text(bundle)
    except Exception as exc:  # only the reader's own, explained refusals
        assert type(exc).__name__ == "VideoReadError", repr(exc)
    bundle.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(FIELDS),
    value=JSON,
    track_field=st.sampled_from(TRACK_FIELDS),
    track_value=JSON,
)  # fmt: skip
@example(  # found by this test: a finite number too large to be a time
    field="clock_wall", value=1.797693134862316e305, track_field="t0", track_value=None
)
def test_fuzzed_session_json_is_reported(copy, field, value, track_field, track_value):
    s = session(copy)
    original = json.dumps(s)
    s[field] = value
    if isinstance(s.get("tracks"), list) and s["tracks"] and isinstance(s["tracks"][0], dict):
        s["tracks"][0][track_field] = track_value
    write_session(copy, json.dumps(s))
    try:
        read_everything(copy)
    finally:
        write_session(copy, original)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.lists(
        st.dictionaries(
            st.sampled_from(["t", "wall", "type", "by", "data", "anchor"]), JSON, max_size=6
        ),
        max_size=5,
    ),
    typed=st.sampled_from(["ann.add", "cue", "cue.state", "calib", "pointer", "marker",
                           "rec.progress", "scene.sync", "snapshot"]),
    garbage=st.binary(max_size=64),
)  # fmt: skip
def test_fuzzed_events_are_reported(copy, data, typed, garbage):
    events = copy / EVENTS_FILE
    original = events.read_bytes()
    lines = [json.dumps(d) for d in data]
    lines += [json.dumps({"t": 0.5, "wall": 1.0, "type": typed, "data": d}) for d in data]
    events.write_bytes(original + "\n".join(lines).encode() + b"\n" + garbage)
    try:
        read_everything(copy)
    finally:
        events.write_bytes(original)


def test_check_command_prints_strict_json_in_process(copy, capsys):
    s = session(copy)
    s["tracks"][0]["settings"] = {"crf": ["not", "text"]}
    write_session(copy, s)
    assert check_command(copy) in (1, 2)
    json.loads(capsys.readouterr().out)


def test_a_reserve_file_left_by_a_crash_is_removed_but_not_a_live_ones(copy):
    s = session(copy)
    s["status"] = "recording"  # as a crash leaves it
    write_session(copy, s)
    reserve = copy / ".reserve"
    reserve.write_bytes(b"\0" * 1024)
    SessionBundle.open(copy).close()
    assert reserve.exists(), "written seconds ago: perhaps still recording"
    an_hour_ago = time.time() - 3600
    for name in (SESSION_FILE, EVENTS_FILE):
        os.utime(copy / name, (an_hour_ago, an_hour_ago))
    SessionBundle.open(copy).close()
    assert not reserve.exists()
