"""Hostile participants with valid invites against a real station (issue #13).

A raw aiortc client (tests/hostile_peer.py) joins through the real signalling server
as an expert, another as an observer, and sends what the app never would. Throughout,
the station keeps sending an honest expert at least 25 fps, its memory stays bounded,
every hostile operation gets a refusal with a reason, and the recording goes on.
"""

from __future__ import annotations

import json
import shutil
import struct
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.calls import Party, connected_with_frames, party
from tests.support.hostile_peer import HostilePeer, hostile_peer
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.channel import OPS_CHANNEL, POINTER_CHANNEL, SNAPSHOT_CHANNEL
from ultrasound_consult.protocol.fields import encode_object
from ultrasound_consult.protocol.snapshot import SnapshotHeader, chunk_snapshot
from ultrasound_consult.record.bundle import ULTRASOUND
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.session.station_scene import MAX_POINTS_PER_AUTHOR

SOURCE = "synthetic:320x240@30"
#: What the hostile traffic may add to the station's (this process's) memory.
RSS_BOUND_MB = 150.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def honest_fps(viewer: Party, frames: int = 60) -> float:
    """The frame rate an honest viewer receives, measured over ``frames`` frames."""
    start, t0 = viewer.obs.remote_count, time.perf_counter()
    await viewer.obs.wait_for(
        lambda: viewer.obs.remote_count >= start + frames, what=f"{frames} more frames"
    )
    return (viewer.obs.remote_count - start) / (time.perf_counter() - t0)


def recorded_frames(station: Party) -> int:
    recording = station.call.journal.recording
    assert recording is not None, "the station's recording stopped"
    stats = recording.recorder.stats.get(ULTRASOUND)
    return stats.written if stats is not None else 0


def snapshot_blob(sid: str, image: bytes, width: int, height: int, fmt: str = "jpeg") -> bytes:
    header = SnapshotHeader(sid, "me", width, height, int(time.time() * 1000)).to_wire()
    header["format"] = fmt
    head = encode_object(header).encode()
    return struct.pack(">I", len(head)) + head + image


def send_snapshot(peer: HostilePeer, blob: bytes) -> None:
    for chunk in chunk_snapshot(blob):
        peer.send(SNAPSHOT_CHANNEL, chunk)


def jpeg(width: int, height: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.zeros((height, width), np.uint8))
    assert ok
    return data.tobytes()


def with_sof_size(data: bytes, width: int, height: int) -> bytes:
    """The same JPEG with a frame header that claims another size (a bomb's trick)."""
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """Small files that decode to huge pictures (what the probe sent)."""
    ok, png8 = cv2.imencode(".png", np.zeros((8192, 8192), np.uint8))
    ok16, png16 = cv2.imencode(".png", np.zeros((4096, 4096, 3), np.uint16))
    assert ok and ok16
    return {
        "jpeg": jpeg(8192, 8192),
        "png": png8.tobytes(),
        "png16": png16.tobytes(),
        "lying_jpeg": with_sof_size(jpeg(320, 240), 8192, 8192),
    }


async def test_a_hostile_expert_is_refused_every_time_and_the_consult_goes_on(
    signaling_url, invite, room, tmp_path, bombs
):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr Honest") as ex,
        hostile_peer(signaling_url, room, "expert", invite("expert"), "Dr Hostile") as bad,
    ):
        await connected_with_frames(ex, 10)
        await bad.channels_open()
        st.call.start_recording(tmp_path / "rec")
        await st.obs.wait_for(lambda: st.obs.recorders, what="recording on")
        rss_before = rss_mb()
        frames_before = recorded_frames(st)

        # 1. Text that is not text, in an annotation label: refused with the field.
        bad.send(
            OPS_CHANNEL,
            r'{"type":"ann.add","op":"h-1","seq":1,"ann":{"id":"x1","kind":"text",'
            r'"points":[[0.5,0.5]],"author":"Dr","label":"\ud800","color":"#ffcc00",'
            r'"created_ms":0}}',
        )
        assert "label" in await bad.refusal("h-1")

        # 2. Snapshot bombs: refused from their headers, before any decoding.
        sizes = {"jpeg": (8192, 8192), "png": (8192, 8192), "png16": (4096, 4096)}
        sizes["lying_jpeg"] = (320, 240)
        for i, (kind, image) in enumerate(bombs.items()):
            w, h = sizes[kind]
            fmt = "png" if kind.startswith("png") else "jpeg"
            send_snapshot(bad, snapshot_blob(f"bomb-{i}", image, w, h, fmt))
            reason = await bad.refusal(f"bomb-{i}")
            assert any(word in reason for word in ("format", "larger", "not the")), reason
        assert st.call.stats.snapshots_received == 0 and not st.obs.snapshots

        # A snapshot of the stream's own size is taken, and forwarded to the honest viewer.
        send_snapshot(bad, snapshot_blob("fine-1", jpeg(320, 240), 320, 240))
        await bad.wait_for(lambda: bad.answers("fine-1"), what="the good snapshot's answer")
        assert bad.answers("fine-1")[0]["ok"] is True
        await ex.obs.wait_for(lambda: ex.obs.snapshots, what="forwarded snapshot")

        assert await honest_fps(ex) >= 25.0
        grown = rss_mb() - rss_before
        assert grown < RSS_BOUND_MB, f"the station grew by {grown:.0f} MB"
        assert recorded_frames(st) > frames_before, "the recording goes on"
        folder = await st.call.stop_recording()
    report = SessionBundle.open(folder).check()
    assert report["ok"], report["problems"]


async def test_a_hostile_observer_is_refused_every_time(
    signaling_url, invite, room, tmp_path, bombs
):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr Honest") as ex,
        hostile_peer(signaling_url, room, "observer", invite("observer"), "Trainee") as bad,
    ):
        await connected_with_frames(ex, 10)
        await bad.channels_open()
        st.call.start_recording(tmp_path / "rec")
        await st.obs.wait_for(lambda: st.obs.recorders, what="recording on")
        rss_before, frames_before = rss_mb(), recorded_frames(st)
        # Bad text and a bomb: refused whoever sends them, the role before anything else.
        bad.send(OPS_CHANNEL, r'{"type":"cue.cancel","op":"o-0","seq":1,"id":"c\ud800"}')
        assert "observer" in await bad.refusal("o-0"), "the role is checked first"
        send_snapshot(bad, snapshot_blob("o-bomb", bombs["jpeg"], 8192, 8192))
        assert "observer" in await bad.refusal("o-bomb")
        bad.send(
            OPS_CHANNEL,
            {
                "type": "ann.add",
                "op": "o-1",
                "seq": 1,
                "ann": {
                    "id": "y1",
                    "kind": "mark",
                    "points": [[0.5, 0.5]],
                    "author": "Dr Honest",
                    "color": "#ffcc00",
                    "created_ms": 0,
                },
            },
        )
        assert "observer" in await bad.refusal("o-1")
        send_snapshot(bad, snapshot_blob("o-snap", jpeg(320, 240), 320, 240))
        assert "observer" in await bad.refusal("o-snap")
        assert not st.obs.snapshots and not st.call.collab.scene.annotations()
        assert await honest_fps(ex) >= 25.0
        assert rss_mb() - rss_before < RSS_BOUND_MB
        assert recorded_frames(st) > frames_before, "the recording goes on"
        await st.call.stop_recording()


async def test_a_hostile_expert_cannot_speak_for_another(signaling_url, invite, room, tmp_path):
    """Every author the station shows, records or passes on is the sender's admitted name."""
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr Honest") as ex,
        hostile_peer(signaling_url, room, "expert", invite("expert"), "Dr Hostile") as bad,
        hostile_peer(signaling_url, room, "observer", invite("observer"), "Trainee") as obs,
    ):
        await connected_with_frames(ex, 10)
        await bad.channels_open(OPS_CHANNEL, POINTER_CHANNEL, SNAPSHOT_CHANNEL)
        await obs.channels_open(OPS_CHANNEL, POINTER_CHANNEL)
        st.call.start_recording(tmp_path / "rec")
        await st.obs.wait_for(lambda: st.obs.recorders, what="recording on")
        spoof = "Dr Honest"
        pointer = {"type": "pointer", "seq": 5, "x": 0.5, "y": 0.5, "author": spoof,
                   "visible": True}  # fmt: skip
        bad.send(POINTER_CHANNEL, pointer)
        obs.send(POINTER_CHANNEL, {**pointer, "x": 0.1})
        await st.obs.wait_for(lambda: st.obs.pointers, what="the pointer at the station")
        bad.send(OPS_CHANNEL, {"type": "ann.add", "op": "s-1", "seq": 1, "ann": {
            "id": "sp1", "kind": "mark", "points": [[0.5, 0.5]], "author": spoof,
            "color": "#ffcc00", "created_ms": 0}})  # fmt: skip
        bad.send(OPS_CHANNEL, {"type": "cue", "op": "s-2", "seq": 2, "cue": {
            "id": "c1", "action": "hold", "author": spoof, "created_ms": 0}})  # fmt: skip
        bad.send(OPS_CHANNEL, {"type": "calib", "op": "s-3", "seq": 3, "origin": "user",
            "width": 320, "height": 240, "mm_per_px_x": 0.2, "mm_per_px_y": 0.2,
            "by": spoof})  # fmt: skip
        bad.send(OPS_CHANNEL, {"type": "rec", "by": spoof, "on": True})
        send_snapshot(bad, snapshot_blob("sp-snap", jpeg(320, 240), 320, 240))
        for op in ("s-1", "s-2", "s-3", "sp-snap"):
            await bad.wait_for(lambda op=op: bad.answers(op), what=f"answer to {op}")
        await st.obs.wait_for(lambda: st.obs.snapshots and "Dr Hostile" in st.obs.recorders)

        assert [p.author for p in st.obs.pointers] == ["Dr Hostile"], "observer's not shown"
        assert [a.author for a in st.call.collab.scene.annotations()] == ["Dr Hostile"]
        assert st.call.collab.guidance.entries()[-1].cue.author == "Dr Hostile"
        assert st.call.collab.calibration.by == "Dr Hostile"
        assert st.obs.snapshots[-1].header.author == "Dr Hostile"
        assert spoof not in st.obs.recorders
        # What the honest expert is told carries the sender's name too.
        await ex.obs.wait_for(lambda: ex.obs.annotations and ex.obs.snapshots)
        assert ex.obs.annotations[0].author == "Dr Hostile"
        assert ex.obs.snapshots[-1].header.author == "Dr Hostile"
        folder = await st.call.stop_recording()
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    authors = {
        value
        for e in events
        for value in (
            e.get("by"),
            e.get("data", {}).get("author"),
            e.get("data", {}).get("by"),
            (e.get("data", {}).get("ann") or {}).get("author"),
            (e.get("data", {}).get("cue") or {}).get("author"),
        )
    }
    assert spoof not in authors, [e for e in events if spoof in json.dumps(e)]
    assert "Dr Hostile" in authors


async def test_the_source_file_name_never_leaves_the_station(
    signaling_url, invite, room, tmp_path, color_cine
):
    """A DICOM file named after its patient, as scanners export them: neither the name nor
    the path reaches a viewer, a raw peer, or either side's recording."""
    folder = tmp_path / "DOE JANE 1961-02-03"
    folder.mkdir()
    named = folder / "DOE^JANE_MRN7654321.dcm"
    shutil.copy(color_cine, named)
    secrets = ("DOE", "JANE", "7654321", "1961", ".dcm", str(folder))
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(f"dicom:{named}")) as st,
        party(signaling_url, invite("expert"), "Dr Honest") as ex,
        hostile_peer(signaling_url, room, "expert", invite("expert"), "Dr Hostile") as bad,
    ):
        await connected_with_frames(ex, 5)
        await bad.channels_open(OPS_CHANNEL)
        info = await bad.wait_for(
            lambda: [m for m in bad.received if m["type"] == "stream.info"], what="stream.info"
        )
        label = info[0]["source"]
        assert label.startswith("DICOM cine") and "fps" in label, label
        assert not any(s in label for s in secrets), label
        assert ex.obs.stream_infos[-1].source == label
        st_folder = st.call.start_recording(tmp_path / "st")
        ex_folder = ex.call.start_recording(tmp_path / "ex")
        n = ex.obs.remote_count
        await ex.obs.wait_for(lambda: ex.obs.remote_count >= n + 5, what="frames recorded")
        await ex.call.stop_recording()
        await st.call.stop_recording()
    for rec in (st_folder, ex_folder):
        for name in ("session.json", "events.jsonl"):
            text = (rec / name).read_text()
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{rec.name}/{name} holds {leaked}"
        assert json.loads((rec / "session.json").read_text())["source"] == label


async def test_a_stroke_flood_and_preset_flips_are_bounded(signaling_url, invite, room):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr Honest") as ex,
        hostile_peer(signaling_url, room, "expert", invite("expert"), "Dr Hostile") as bad,
    ):
        await connected_with_frames(ex, 10)
        await bad.channels_open(OPS_CHANNEL)
        points = [[(i % 600) / 600, ((i // 600) % 600) / 600] for i in range(600)]
        ops = []
        for n in range(100):  # 60,000 points: past one author's budget
            op = f"f-{n}"
            ops.append(op)
            bad.send(OPS_CHANNEL, {"type": "ann.add", "op": op, "seq": n + 1, "ann": {
                "id": f"s{n}", "kind": "stroke", "points": points, "author": "x",
                "color": "#ffcc00", "created_ms": 0}})  # fmt: skip
        await bad.wait_for(lambda: all(bad.answers(op) for op in ops), 30, "every answer")
        refused = [bad.answers(op)[0] for op in ops if not bad.answers(op)[0]["ok"]]
        assert refused and "points" in refused[0]["reason"], refused[:1]
        held = sum(len(a.points) for a in st.call.collab.scene.annotations())
        assert held <= MAX_POINTS_PER_AUTHOR
        # The honest expert can still draw: the budget is per author.
        mark = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))
        await ex.obs.wait_for(lambda: any(op == mark or ok for op, ok, *_ in ex.obs.acks))

        assert await honest_fps(ex) >= 25.0

        start = st.call.media.config.quality
        flips = [p for p in ("diagnostic", "weak", "balanced", "weak", "diagnostic") if p != start]
        for preset in flips:
            bad.send(OPS_CHANNEL, {"type": "media.req", "keyframe": True, "preset": preset,
                                   "by": "x"})  # fmt: skip
        # An op after them: its answer means the station has read every flip before it.
        bad.send(OPS_CHANNEL, {"type": "ann.remove", "op": "after", "seq": 101, "id": "s0"})
        await bad.wait_for(lambda: bad.answers("after"), what="the marker op answered")
        await st.obs.wait_for(lambda: st.obs.quality_changes, what="one preset change")
        assert st.obs.quality_changes == [(flips[0], "Dr Hostile")], st.obs.quality_changes
