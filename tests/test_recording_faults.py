"""Recordings survive what really happens: a killed process, a full disk, a damaged copy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.calls import connected_with_frames, party
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.record.bundle import EVENTS_FILE, SESSION_FILE, ULTRASOUND, read_session
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.session.observer import CallState

CLI = [sys.executable, "-m", "ultrasound_consult"]


def _lines_until(stream, predicate, limit: int = 400) -> str:
    for _ in range(limit):
        line = stream.readline()
        if not line:
            break
        if predicate(line):
            return line
    raise AssertionError("the process never said it")


@pytest.mark.slow
def test_kill_9_while_recording_loses_at_most_a_second(signaling_url, invite, tmp_path):
    station = subprocess.Popen(
        [*CLI, "station", "--server", signaling_url, "--invite", invite("station"),
         "--name", "Clinic", "--source", "synthetic:640x480@30", "--headless",
         "--record", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    expert = subprocess.Popen(
        [*CLI, "expert", "--server", signaling_url, "--invite", invite("expert"),
         "--name", "Dr", "--headless", "--auto-annotate", "0.3", "--duration", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Wait for the station's own word that it has recorded three seconds of video.
        _lines_until(
            station.stderr,
            lambda line: "recorded:" in line and int(line.split("recorded:")[1].split()[0]) >= 90,
        )
        killed_at = time.time()
        os.kill(station.pid, signal.SIGKILL)
        station.wait(timeout=10)
    finally:
        expert.kill()
        expert.communicate()
        if station.poll() is None:
            station.kill()
        station.communicate()
    (folder,) = list(tmp_path.iterdir())
    proc = subprocess.run(
        [*CLI, "replay", str(folder), "--check"], capture_output=True, text=True, timeout=60
    )
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and not report["complete"], "a crash is reported, not hidden"
    assert any("did not end cleanly" in p for p in report["problems"])
    track = report["tracks"]["ultrasound"]
    assert track["frames"] >= 60
    # What the kill took, measured against the moment of the kill itself.
    info = read_session(folder)
    media_at_kill = info.clock_media_ts + (killed_at - info.clock_wall)
    lost_video = media_at_kill - track["last_media_ts"]
    events = SessionBundle.open(folder).events
    lost_events = killed_at - max(e.wall for e in events)
    assert lost_video <= 1.0, f"{lost_video:.2f} s of video lost"
    assert lost_events <= 1.0, f"{lost_events:.2f} s of events lost"
    assert sum(e.type == "pointer" for e in events) > 30  # the expert's hand was recorded
    assert report["lost"]["ultrasound_video_s_before_last_event"] <= 1.0
    # And it replays: the last readable frame decodes with what was drawn on it.
    bundle = SessionBundle.open(folder)
    reader = bundle.reader(ULTRASOUND)
    assert reader.frame(len(reader) - 1).shape[:2] == (480, 640)
    assert bundle.timeline.state_at(reader.media_ts(len(reader) - 1)).annotations


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs (the machine runs tests as root, as CI does)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_a_full_disk_stops_the_recording_not_the_call(signaling_url, invite, small_disk):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 10)
        folder = st.call.start_recording(small_disk / "bundle")
        await st.obs.wait_for(
            lambda: any(code == "disk_full" for code, _ in st.obs.errors), timeout=60, what="full"
        )
        message = next(m for code, m in st.obs.errors if code == "disk_full")
        assert "full" in message and "goes on" in message and str(small_disk) in message
        assert st.call.journal.recording is None
        await st.obs.wait_for(lambda: st.obs.recorders == (), what="indicator off")
        await ex.obs.wait_for(lambda: ex.obs.recorders == (), what="indicator off at expert")
        # The call goes on.
        n = ex.obs.remote_count
        await ex.obs.wait_for(lambda: ex.obs.remote_count >= n + 30, what="frames after")
        assert st.obs.state is CallState.CONNECTED
    info = read_session(folder)
    assert info.status == "failed" and "full" in info.stop_reason
    bundle = SessionBundle.open(folder)
    reader = bundle.reader(ULTRASOUND)
    assert len(reader) >= 15, "what was written before the disk filled stays readable"
    reader.frame(len(reader) - 1)
    assert bundle.events[-1].type == "rec.stop"


async def _short_recording(signaling_url, invite, folder: Path) -> None:
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:320x240@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 5)
        st.call.start_recording(folder)
        n = st.obs.local_count
        await st.obs.wait_for(lambda: st.obs.local_count >= n + 75, what="frames")
        from ultrasound_consult.protocol.annotation import AnnotationKind

        ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))
        n = st.obs.local_count
        await st.obs.wait_for(lambda: st.obs.local_count >= n + 30, what="frames")
        await st.call.stop_recording()


async def test_a_damaged_bundle_shows_what_is_readable(signaling_url, invite, tmp_path):
    folder = tmp_path / "bundle"
    await _short_recording(signaling_url, invite, folder)
    video = folder / "video-ultrasound.mp4"
    whole = len(SessionBundle.open(folder).reader(ULTRASOUND))
    # Cut the video in half, garble two event lines and cut the last one short.
    data = video.read_bytes()
    video.write_bytes(data[: len(data) // 2])
    lines = (folder / EVENTS_FILE).read_text().splitlines(keepends=True)
    lines[1] = "{not json\n"
    lines[2] = '{"t": 1, "wall": "yesterday", "type": "x"}\n'
    (folder / EVENTS_FILE).write_text("".join(lines)[:-10])

    bundle = SessionBundle.open(folder)
    report = bundle.check()
    assert not report["ok"]
    text = " ".join(report["problems"])
    assert "2 line(s) of events.jsonl could not be read" in text
    assert "ends in the middle of a line" in text
    reader = bundle.reader(ULTRASOUND)
    assert 0 < len(reader) < whole
    assert reader.frame(len(reader) - 1).shape[:2] == (240, 320)
    assert any(e.type == "ann.add" for e in bundle.events)

    # No session.json at all: the video and events still open.
    (folder / SESSION_FILE).unlink()
    bundle = SessionBundle.open(folder)
    assert any("session.json" in p for p in bundle.problems)
    assert len(bundle.reader(ULTRASOUND)) == len(reader)
    # Not a bundle at all: a clear error, exit status 2.
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = subprocess.run(
        [*CLI, "replay", str(empty), "--check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and "not a recording" in json.loads(proc.stdout)["problems"][0]
