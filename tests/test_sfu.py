"""Lectures through a real Janus: rooms our server controls, who may enter, fan-out, restarts.

Every test starts its own Janus (tests/support/janus.py, ~0.1 s) from deploy/janus/'s
config files, publishes real VP8 from aiortc and receives it in real aiortc viewers.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import av
import numpy as np
import pytest
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import VideoStreamTrack
from websockets.asyncio.client import connect

from signaling_server.process import SignalingServerProcess
from signaling_server.sfu import SfuRooms
from tests.support.janus import JanusProcess
from tests.support.signaling import joined
from ultrasound_consult.media.encoder import PresetVp8Encoder
from ultrasound_consult.media.phantom import SyntheticSource
from ultrasound_consult.protocol import janus as api
from ultrasound_consult.protocol.janus import JanusError, SfuGrant
from ultrasound_consult.protocol.lecture import MAX_VOICES
from ultrasound_consult.protocol.signaling import Role, SfuAccess, parse_server_message
from ultrasound_consult.session.config import CallConfig
from ultrasound_consult.session.janus_link import JanusLink
from ultrasound_consult.session.local_media import LocalMedia, MediaEvents
from ultrasound_consult.session.peer_link import OutgoingMedia
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber

W, H = 320, 240


class MovingBar(VideoStreamTrack):
    """A small moving picture: every frame differs, so every frame is encoded."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        img = np.full((H, W, 3), 40, np.uint8)
        img[:, (self.frames * 4) % W :] = 200
        frame = av.VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        self.frames += 1
        return frame


def moving_bar() -> OutgoingMedia:
    """One upload's tracks: a new picture source for each (re)publish, as a station has."""
    return OutgoingMedia(video=MovingBar())  # type: ignore[arg-type]


class CountingVp8(Vp8Encoder):
    """aiortc's VP8 encoder, counting how often it encodes a frame."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded = 0

    def encode(self, frame, force_keyframe=False):  # type: ignore[no-untyped-def]
        self.encoded += 1
        return super().encode(frame, force_keyframe)


async def until(parties, predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``predicate()`` holds, re-checking whenever one of ``parties`` changes."""
    deadline = time.monotonic() + timeout
    while not predicate():
        for party in parties:
            party.changed.clear()
        waits = [asyncio.ensure_future(p.changed.wait()) for p in parties]
        try:
            done, _ = await asyncio.wait(
                waits, timeout=deadline - time.monotonic(), return_when="FIRST_COMPLETED"
            )
        finally:
            for w in waits:
                w.cancel()
        if not done and not predicate():
            raise TimeoutError(f"timed out after {timeout} s")


@pytest.fixture
async def rooms(janus: JanusProcess):
    control = SfuRooms(janus.url, janus.secret)
    await control.start()
    yield control
    await control.close()


async def raw_request(url: str, msg: dict) -> dict:
    async with connect(url, subprotocols=[api.SUBPROTOCOL]) as ws:
        await ws.send(json.dumps(msg))
        while True:
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if reply.get("janus") != "ack":
                return reply


def test_janus_starts_from_the_shipped_config_in_well_under_a_second(janus):
    assert janus.start_times[0] < 2.0, janus.start_times
    janus.restart()
    assert janus.start_times[1] < 2.0, janus.start_times
    # Only what lectures use is loaded: VideoRoom and the WebSocket transport.
    log = janus.log_file.read_text()
    assert "Loading plugin 'libjanus_videoroom.so'" in log
    assert log.count("Loading plugin") == 2  # once per start
    assert "libjanus_http.so" not in log


def test_the_shipped_config_loads_only_videoroom_and_websockets():
    """As deployed: the package's folders hold every plugin; our ``disable`` lists win."""
    with JanusProcess(package_folders=True) as sfu:
        log = sfu.log_file.read_text()
    loaded = [line for line in log.splitlines() if line.startswith("Loading ")]
    assert loaded == [
        "Loading plugin 'libjanus_videoroom.so'...",
        "Loading transport plugin 'libjanus_websockets.so'...",
    ]
    assert "Admin WebSockets server started" not in log
    assert "Signed-Token based authentication enabled" in log


async def test_rooms_are_created_private_and_destroyed(rooms):
    room = await rooms.open_room("clinic-7")
    assert await rooms.open_room("clinic-7") == room  # one Janus room per lecture
    exists = await rooms.control.request(api.room_exists(room.janus_id))
    assert exists["exists"] is True
    # Private: a participant's token does not list it.
    grant = rooms.grant("clinic-7")
    link = JanusLink(grant.url, grant.token)
    await link.open()
    try:
        handle = await link.attach()
        listed = api.plugin_data(await link.send(handle, {"request": "list"})) or {}
        assert room.janus_id not in [r["room"] for r in listed.get("list", [])]
    finally:
        await link.close()
    assert await rooms.close_room("clinic-7") is True
    exists = await rooms.control.request(api.room_exists(room.janus_id))
    assert exists["exists"] is False
    assert rooms.open_rooms == []
    assert await rooms.close_room("clinic-7") is False


async def test_closing_the_control_destroys_every_room(janus):
    control = SfuRooms(janus.url, janus.secret)
    await control.start()
    ids = [(await control.open_room(code)).janus_id for code in ("a", "b")]
    await control.close()
    check = SfuRooms(janus.url, janus.secret)
    await check.start()
    try:
        for room in ids:
            assert (await check.control.request(api.room_exists(room)))["exists"] is False
    finally:
        await check.close()


async def test_no_token_no_forged_token_no_expired_token(janus, rooms):
    good = rooms.grant((await rooms.open_room("r")).code)
    assert good.token
    for token in (
        None,
        api.sign_token("not-the-secret-at-all", expires_at=int(time.time()) + 600),
        api.sign_token(janus.secret, expires_at=int(time.time()) - 1),
        good.token.replace("janus.plugin.videoroom", "janus.plugin.videoroom,x"),
    ):
        msg = api.with_auth(api.create_session("t"), api_secret=None, token=token)
        reply = await raw_request(janus.url, msg)
        assert reply["janus"] == "error", token
        assert reply["error"]["code"] == api.UNAUTHORIZED
    # The grant's token does open a session.
    msg = api.with_auth(api.create_session("t"), api_secret=None, token=good.token)
    assert (await raw_request(janus.url, msg))["janus"] == "success"


async def test_a_token_without_the_pin_can_neither_watch_nor_publish(rooms):
    await rooms.open_room("lecture")
    await rooms.open_room("other")
    good = rooms.grant("lecture")
    # A participant of another lecture: a valid token, its own room's pin.
    other = rooms.grant("other")
    stranger = SfuGrant(url=good.url, room=good.room, pin=other.pin, token=other.token)
    watcher = SfuSubscriber(stranger)
    with pytest.raises(JanusError) as refused:
        await watcher.start(timeout=5)
    assert refused.value.code == api.VIDEOROOM_UNAUTHORIZED
    publisher = SfuPublisher(stranger, moving_bar)
    with pytest.raises(JanusError) as refused:
        await publisher.start(timeout=5)
    assert refused.value.code == api.VIDEOROOM_UNAUTHORIZED


async def test_a_token_holder_cannot_make_or_destroy_rooms(rooms):
    room = await rooms.open_room("lecture")
    grant = rooms.grant("lecture")
    link = JanusLink(grant.url, grant.token)
    await link.open()
    try:
        handle = await link.attach()
        create = {"request": "create", "room": 4242, "is_private": False}
        with pytest.raises(JanusError) as refused:
            await link.send(handle, create)
        assert "admin_key" in refused.value.reason  # required
        with pytest.raises(JanusError) as refused:
            await link.send(handle, {**create, "admin_key": grant.pin})
        assert refused.value.code == api.VIDEOROOM_UNAUTHORIZED  # and not the pin
        destroy = {"request": "destroy", "room": room.janus_id, "secret": grant.pin}
        with pytest.raises(JanusError) as refused:
            await link.send(handle, destroy)
        assert refused.value.code == api.VIDEOROOM_UNAUTHORIZED  # not the room's secret
    finally:
        await link.close()
    assert (await rooms.control.request(api.room_exists(room.janus_id)))["exists"] is True


async def test_nobody_publishes_as_the_station_nor_past_the_voices(rooms):
    await rooms.open_room("lecture")
    grant = rooms.grant("lecture")
    station = SfuPublisher(grant, moving_bar)
    await station.start()
    try:
        # As the station: its feed id is taken (a restarting station waits for it).
        impostor = SfuPublisher(grant, moving_bar)
        with pytest.raises(TimeoutError):
            await impostor.start(timeout=2)
        assert isinstance(impostor.last_error, JanusError)
        assert impostor.last_error.code == api.ID_EXISTS
        # Past the station and the lecture's voices, the room takes no more publishers.
        voices = [
            SfuPublisher(SfuGrant(grant.url, grant.room, grant.pin, grant.token, 2 + i), moving_bar)
            for i in range(MAX_VOICES)
        ]
        for voice in voices:
            await voice.start()
        second = SfuPublisher(
            SfuGrant(grant.url, grant.room, grant.pin, grant.token, 99), moving_bar
        )
        try:
            with pytest.raises(JanusError) as refused:
                await second.start(timeout=5)
            assert refused.value.code == api.PUBLISHERS_FULL, refused.value
            assert second.pc is None and second.link is None
        finally:
            for voice in voices:
                await voice.close()
    finally:
        await station.close()


async def test_one_upload_reaches_three_viewers_encoded_once(rooms):
    await rooms.open_room("lecture")
    grant = rooms.grant("lecture")
    source, encoder = MovingBar(), CountingVp8()
    publisher = SfuPublisher(grant, lambda: OutgoingMedia(source, encoder))  # type: ignore[arg-type]
    await publisher.start()
    sizes: list[tuple[int, int]] = []
    viewers = [
        SfuSubscriber(grant, on_frame=lambda f: sizes.append((f.width, f.height))),
        SfuSubscriber(grant),
        SfuSubscriber(grant, decode=False),
    ]
    try:
        for viewer in viewers:
            await viewer.start()
        await until(viewers, lambda: all(v.frames >= 60 for v in viewers), 20)
        sent_bytes, sent_packets = await publisher.video_sent()
        # Decoded pictures of the publisher's size, at every decoding viewer.
        assert set(sizes) == {(W, H)}
        # The encoder ran once per source frame, not once per viewer ...
        assert encoder.encoded <= source.frames
        # ... yet the viewers hold more frames together than were ever encoded: the
        # copies were made after the encoder, by Janus.
        received = [v.frames for v in viewers]
        print(f"encoded {encoder.encoded}, viewers {received}, sent {sent_packets} packets")
        assert sum(received) > 2 * encoder.encoded
        # ... and what left the publisher is one stream: about a packet a frame here.
        assert sent_packets <= source.frames * 2
        assert sent_bytes > 0
        light = viewers[2]
        assert light.bytes > 0.5 * sent_bytes * light.frames / max(encoder.encoded, 1)
    finally:
        for viewer in viewers:
            await viewer.close()
        await publisher.close()


async def test_the_station_publishes_its_own_masked_pipeline_with_its_own_encoder(rooms):
    """What a lecture's station will hand SfuPublisher: LocalMedia.outgoing, as for a peer."""
    await rooms.open_room("lecture")
    grant = rooms.grant("lecture")
    problems: list[tuple[str, str]] = []
    media = LocalMedia(
        CallConfig("ws://unused", "lecture", Role.STATION),
        MediaEvents(lambda f: None, lambda f: None, lambda c, m: problems.append((c, m))),
        source=SyntheticSource(W, H, 30),
    )
    await media.start_video()
    publisher = SfuPublisher(grant, media.outgoing)
    sizes: list[tuple[int, int]] = []
    viewer = SfuSubscriber(grant, on_frame=lambda f: sizes.append((f.width, f.height)))
    try:
        await publisher.start()
        await viewer.start()
        await until([viewer], lambda: viewer.frames >= 20, 15)
        assert set(sizes) == {(W, H)}
        out = publisher.outgoing
        assert out is not None and isinstance(out.encoder, PresetVp8Encoder)
        # The track knows its RTP origin: annotations can name the frame, as in a call.
        assert out.video.rtp_origin is not None
        assert problems == []
    finally:
        await viewer.close()
        await publisher.close()
        await media.stop()


async def test_viewers_come_back_within_5_s_of_a_janus_restart(janus, rooms):
    await rooms.open_room("lecture")
    grant = rooms.grant("lecture")
    publisher = SfuPublisher(grant, moving_bar)
    await publisher.start()
    viewers = [SfuSubscriber(grant), SfuSubscriber(grant, decode=False)]
    try:
        for viewer in viewers:
            await viewer.start()
        await until(viewers, lambda: all(v.frames >= 10 for v in viewers), 10)
        rooms.recreated.clear()
        janus.kill()
        crashed = time.monotonic()
        await until(viewers, lambda: not any(v.joined.is_set() for v in viewers), 5)
        janus.start()
        before = [v.frames for v in viewers]
        await until(
            viewers, lambda: all(v.frames > b + 5 for v, b in zip(viewers, before, strict=True)), 5
        )
        recovered = time.monotonic() - crashed
        print(f"viewers back {recovered:.2f} s after Janus was killed")
        assert recovered < 5.0
        assert rooms.recreated.is_set()
        assert all(v.rejoins == 1 for v in viewers)
        assert publisher.rejoins == 1
    finally:
        for viewer in viewers:
            await viewer.close()
        await publisher.close()


async def test_viewers_follow_the_station_when_it_reconnects(rooms):
    """The station's own link drops (Janus stays up): viewers wait for it and come back."""
    await rooms.open_room("lecture")
    grant = rooms.grant("lecture")
    station = SfuPublisher(grant, moving_bar)
    await station.start()
    viewers = [SfuSubscriber(grant), SfuSubscriber(grant, decode=False)]
    try:
        for viewer in viewers:
            await viewer.start()
        await until(viewers, lambda: all(v.frames >= 10 for v in viewers), 10)
        await station.close()
        await until(viewers, lambda: not any(v.joined.is_set() for v in viewers), 5)
        station = SfuPublisher(grant, moving_bar)
        await station.start()
        before = [v.frames for v in viewers]
        await until(
            viewers, lambda: all(v.frames > b + 5 for v, b in zip(viewers, before, strict=True)), 5
        )
        assert all(v.rejoins == 1 for v in viewers)
    finally:
        for viewer in viewers:
            await viewer.close()
        await station.close()


@pytest.mark.parametrize("keepalive", [True, False])
async def test_keepalives_hold_a_quiet_session(monkeypatch, keepalive):
    """Janus drops a session that says nothing for session_timeout, media or not."""
    monkeypatch.setattr(api, "KEEPALIVE_S", 0.3 if keepalive else 3600.0)
    with JanusProcess(session_timeout=1) as sfu:
        rooms = SfuRooms(sfu.url, sfu.secret)
        await rooms.start()
        await rooms.open_room("lecture")
        grant = rooms.grant("lecture")
        station = SfuPublisher(grant, moving_bar)
        viewer = SfuSubscriber(grant, decode=False)
        try:
            await station.start()
            await viewer.start()
            timed_out = asyncio.ensure_future(viewer.link.lost.wait())
            # Janus's watchdog looks every 2 s: five quiet seconds are past the timeout.
            done, _ = await asyncio.wait({timed_out}, timeout=5 if keepalive else 15)
            timed_out.cancel()
            # Without keepalives Janus ends the session (the control: this can fail).
            assert bool(done) is not keepalive
            if keepalive:
                frames = viewer.frames
                await until([viewer], lambda: viewer.frames > frames + 10, 5)
                assert viewer.rejoins == 0
        finally:
            await viewer.close()
            await station.close()
            await rooms.close()


def test_the_server_takes_an_sfu_and_never_logs_its_secret(janus, tmp_path):
    secret_file = tmp_path / "sfu.secret"
    secret_file.write_text(janus.secret + "\n")
    log = tmp_path / "server.log"
    args = ["--sfu", f"janus:{janus.url}", "--sfu-secret-file", str(secret_file)]
    with SignalingServerProcess(log_level="DEBUG", log_file=log, extra_args=args) as server:
        assert server.url.startswith("ws://")
    text = log.read_text()
    assert "lecture rooms go to the SFU at" in text
    assert janus.secret not in text


def test_the_server_refuses_a_wrong_sfu_secret_plainly(janus, tmp_path):
    secret_file = tmp_path / "sfu.secret"
    secret_file.write_text("0123456789abcdef-wrong\n")
    log = tmp_path / "server.log"
    args = ["--sfu", f"janus:{janus.url}", "--sfu-secret-file", str(secret_file)]
    with pytest.raises(RuntimeError):
        SignalingServerProcess(log_file=log, extra_args=args).start()
    text = log.read_text()
    assert "refused the SFU secret" in text
    assert "0123456789abcdef-wrong" not in text


async def ask_for_access(ws) -> dict:  # type: ignore[no-untyped-def]
    await ws.send(json.dumps({"type": "sfu_request"}))
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if reply["type"] in ("sfu_access", "error"):
            return reply


async def left(ws, peer_id: str) -> None:  # type: ignore[no-untyped-def]
    """Until this raw client hears that ``peer_id`` left."""
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if msg["type"] == "peer_left" and msg["peer_id"] == peer_id:
            return


async def test_admitted_peers_get_the_lecture_and_it_ends_with_the_call(janus, sfu_server):
    room = "lecture-hall"
    station, _ = await joined(sfu_server.url, room, "station", sfu_server.invite(room, "station"))
    trainee, hello = await joined(
        sfu_server.url, room, "observer", sfu_server.invite(room, "observer")
    )
    try:
        first = await ask_for_access(station)
        second = await ask_for_access(trainee)
        assert first["type"] == second["type"] == "sfu_access", (first, second)
        assert first["room"] == second["room"] and first["pin"] == second["pin"]
        assert first["url"] == janus.url and first["feed"] == api.STATION_FEED
        access = parse_server_message(json.dumps(second))
        assert isinstance(access, SfuAccess)
        # What the trainee was given lets it watch what the station publishes.
        grant = SfuGrant(access.url, access.room, access.pin, access.token, access.feed)
        publisher = SfuPublisher(
            SfuGrant(first["url"], first["room"], first["pin"], first["token"], first["feed"]),
            moving_bar,
        )
        await publisher.start()
        viewer = SfuSubscriber(grant, decode=False)
        try:
            await viewer.start()
            await until([viewer], lambda: viewer.frames >= 10, 10)
        finally:
            await viewer.close()
            await publisher.close()
    finally:
        await trainee.close()
    # One peer still in the call: the lecture room stays (the server decides that before
    # it says the trainee left).
    await left(station, hello["peer_id"])
    check = SfuRooms(janus.url, janus.secret)
    await check.start()
    try:
        assert (await check.control.request(api.room_exists(first["room"])))["exists"] is True
        await station.close()
        # The last one left: the call is over, and so is its room on Janus.
        deadline = time.monotonic() + 5
        while (await check.control.request(api.room_exists(first["room"])))["exists"]:
            assert time.monotonic() < deadline, "the lecture room outlived its call"
    finally:
        await check.close()


async def test_nobody_unadmitted_gets_the_pin_and_every_request_is_answered(
    sfu_server, signaling_server
):
    async with connect(sfu_server.url) as ws:  # connected, never joined
        reply = await ask_for_access(ws)
        assert reply["type"] == "error" and reply["code"] == "not_joined"
        assert "pin" not in json.dumps(reply)
    # A server without an SFU says so, in words.
    room = "no-sfu-here"
    ws, _ = await joined(
        signaling_server.url, room, "observer", signaling_server.invite(room, "observer")
    )
    try:
        reply = await ask_for_access(ws)
        assert reply["type"] == "error" and reply["code"] == "sfu_unavailable"
        assert "peer-to-peer" in reply["message"]
    finally:
        await ws.close()


def test_the_lecture_bench_measures_what_it_says():
    """A tiny run of ``ultrasound-consult bench --lecture`` (the figures come from a long
    one): real Janus, real server, the station's own process, trainees joined by invite."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ultrasound_consult",
            "bench",
            "--lecture",
            "1,3",
            "--lecture-window",
            "1",
            "--lecture-warmup",
            "0.5",
            "--lecture-messages",
            "20",
            "--resolution",
            "320x240",
            "--quality",
            "balanced",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)  # one JSON object, nothing else on stdout
    assert report["machine"]["cores"] >= 1 and "aiortc" in report["machine"]["packages"]
    lecture = report["lecture"]
    steps = lecture["steps"]
    assert [step["trainees"] for step in steps] == [1, 3]
    for step in steps:
        assert step["station_uplink_mbps"] > 0.05
        assert 0 < step["station_cpu_pct"] < 200
        assert step["trainee_fps_min"] > 10
        assert step["janus_cpu_pct_per_trainee"] >= 0
        # Every mark reached every trainee, both ways, in loopback times.
        for via in ("fanout", "datachannel"):
            figures = step["annotation_ms"][via]
            assert figures["received"] == figures["expected"] == 20 * step["trainees"], figures
            assert 0 <= figures["p50"] <= figures["p95"] < 500, figures
    # One upload whatever the number of trainees: 3 cost the station's uplink no more.
    assert 0.7 < steps[1]["uplink_ratio_to_first"] < 1.3, steps
    assert lecture["goals"]["uplink_ratio_last_to_first"] == steps[1]["uplink_ratio_to_first"]
    assert lecture["annotation"]["lower_p95"] in ("fanout", "datachannel")
    decoding = lecture["decoding"]
    assert min(decoding["decoding_trainee_fps"]) > 10 and decoding["direct_fps"] > 10
    # Stamps read back: latencies of a loopback call, not garbage from misread bits.
    for path in ("latency_ms_sfu", "latency_ms_direct"):
        assert 0 < decoding[path]["p50"] < 1000, decoding
    assert abs(decoding["sfu_added_p50_ms"]) < 200, decoding


async def test_processes_sharing_redis_share_the_lecture_room(janus, redis_url, tmp_path, room):
    """Peers of one room on two server processes get one Janus room, closed by the last."""
    secret_file = tmp_path / "sfu.secret"
    secret_file.write_text(janus.secret + "\n")
    args = ["--redis", redis_url, "--sfu", f"janus:{janus.url}", "--sfu-secret-file"]
    a = SignalingServerProcess(log_file=tmp_path / "a.log", extra_args=[*args, str(secret_file)])
    a.start()
    b = SignalingServerProcess(
        log_file=tmp_path / "b.log",
        secret_file=a.secret_file,
        extra_args=[*args, str(secret_file)],
    )
    b.start()
    check = SfuRooms(janus.url, janus.secret)
    await check.start()
    try:
        station, hello = await joined(a.url, room, "station", a.invite(room, "station"))
        trainee, _ = await joined(b.url, room, "observer", b.invite(room, "observer"))
        expert, _ = await joined(b.url, room, "expert", b.invite(room, "expert"))
        on_a, on_b = await ask_for_access(station), await ask_for_access(trainee)
        assert on_a["type"] == on_b["type"] == "sfu_access", (on_a, on_b)
        assert (on_a["room"], on_a["pin"]) == (on_b["room"], on_b["pin"])

        async def exists() -> bool:
            return bool((await check.control.request(api.room_exists(on_a["room"])))["exists"])

        await trainee.close()
        await station.close()  # process A, which made the room, has nobody left in it
        # A decides about the room before it tells the room the station left.
        await left(expert, hello["peer_id"])
        assert await exists()
        await expert.close()  # the last one, on B (which never opened the room itself)
        deadline = time.monotonic() + 5
        while await exists():
            assert time.monotonic() < deadline, "the lecture room outlived its call"
    finally:
        await check.close()
        b.stop()
        a.stop()


async def test_a_request_while_janus_is_down_is_answered_plainly(janus, sfu_server, room):
    ws, _ = await joined(sfu_server.url, room, "observer", sfu_server.invite(room, "observer"))
    try:
        janus.kill()
        await ws.send(json.dumps({"type": "sfu_request"}))
        while True:  # within the server's request timeout (5 s) and a margin
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if reply["type"] in ("sfu_access", "error"):
                break
        assert reply["type"] == "error" and reply["code"] == "sfu_unavailable", reply
        assert "try again" in reply["message"]
        # Janus back: the same request now succeeds (the server reconnected by itself).
        janus.start()
        for _ in range(20):
            reply = await ask_for_access(ws)
            if reply["type"] == "sfu_access":
                break
        assert reply["type"] == "sfu_access", reply
    finally:
        await ws.close()
