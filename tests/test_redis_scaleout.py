"""Several server processes act as one through a real Redis: rooms, limits, relays."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from signaling_server.core import Limits
from signaling_server.process import SignalingServerProcess
from signaling_server.redis_directory import RedisDirectory
from tests.support.calls import connected_with_frames, party
from tests.support.signaling import joined
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.signaling import PeerInfo, Role


@pytest.fixture(scope="module")
def two_servers(
    redis_url, tmp_path_factory
) -> Iterator[tuple[SignalingServerProcess, SignalingServerProcess]]:
    logs = tmp_path_factory.mktemp("redis-servers")
    a = SignalingServerProcess(
        log_level="INFO", log_file=logs / "a.log", extra_args=["--redis", redis_url]
    ).start()
    b = SignalingServerProcess(
        log_level="INFO",
        log_file=logs / "b.log",
        secret_file=a.secret_file,
        extra_args=["--redis", redis_url],
    ).start()
    yield a, b
    b.stop()
    a.stop()


async def test_station_on_one_process_expert_on_another(two_servers, room):
    a, b = two_servers
    assert a.url != b.url
    async with (
        party(
            a.url, a.invite(room, "station"), "Clinic", open_source("synthetic:320x240@30")
        ) as st,
        party(b.url, b.invite(room, "expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 20)
        assert {p.id for p in ex.call.peers.values()} == {st.call.me.id}
        mark = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.3, 0.3),))
        await st.obs.wait_for(
            lambda: st.call.collab.scene.get(mark) is not None, what="mark across processes"
        )


async def test_room_limits_hold_across_processes(two_servers, room):
    a, b = two_servers
    station = await connect(a.url)
    await station.send(
        json.dumps(
            {
                "type": "join",
                "v": 1,
                "room": room,
                "role": "station",
                "name": "",
                "token": a.invite(room, "station"),
            }
        )
    )
    assert json.loads(await station.recv())["type"] == "welcome"
    rival = await connect(b.url)
    await rival.send(
        json.dumps(
            {
                "type": "join",
                "v": 1,
                "room": room,
                "role": "station",
                "name": "",
                "token": b.invite(room, "station"),
            }
        )
    )
    reply = json.loads(await rival.recv())
    assert reply["code"] == "room_full" and "already has a station" in reply["message"]
    await station.close()
    await rival.close()


async def test_every_relay_is_delivered_across_processes(two_servers, room):
    a, b = two_servers
    station = await connect(a.url)
    await station.send(
        json.dumps(
            {
                "type": "join",
                "v": 1,
                "room": room,
                "role": "station",
                "name": "",
                "token": a.invite(room, "station"),
            }
        )
    )
    station_id = json.loads(await station.recv())["peer_id"]
    experts = []
    for server in (a, b, b, a):
        ws = await connect(server.url)
        await ws.send(
            json.dumps(
                {
                    "type": "join",
                    "v": 1,
                    "room": room,
                    "role": "observer",
                    "name": "",
                    "token": server.invite(room, "observer"),
                }
            )
        )
        experts.append((ws, json.loads(await ws.recv())["peer_id"]))
    for _ in experts:  # the station hears every arrival, wherever it joined
        assert json.loads(await asyncio.wait_for(station.recv(), 5))["type"] == "peer_joined"
    # 40 offers: within the station's burst allowance (the rate limit is tested elsewhere).
    for i in range(10):
        for _ws, peer in experts:
            await station.send(json.dumps({"type": "offer", "to": peer, "sdp": f"v=0 {i}"}))
    for ws, _peer in experts:
        got = []
        while len(got) < 10:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if msg["type"] == "offer":  # others' arrivals come too
                got.append(msg)
        assert [m["sdp"] for m in got] == [f"v=0 {i}" for i in range(10)], "in order, none lost"
        assert all(m["from"] == station_id for m in got)
    for ws, _ in experts:
        await ws.close()
    await station.close()


async def test_directories_share_seats_and_prune_a_departed_process(redis_url):
    delivered: dict[str, list] = {"a": [], "b": []}
    limits = Limits()
    one = RedisDirectory(
        redis_url, limits, lambda p, t: delivered["a"].append((p, t)), lambda s: None
    )
    two = RedisDirectory(
        redis_url, limits, lambda p, t: delivered["b"].append((p, t)), lambda s: None
    )
    await one.start()
    await two.start()
    room = f"prune-{time.time_ns()}"
    try:
        assert (await one.claim(room, PeerInfo("st", Role.STATION, ""), "seat1", resume=False)).ok
        result = await two.claim(room, PeerInfo("ex", Role.EXPERT, ""), "seat2", resume=False)
        assert result.ok and [p.id for p in result.members] == ["st"]
        # Process one has never heard of process two (it started after one's last
        # heartbeat): its peer must still be reachable, and not pruned as dead.
        assert await one.route(room, "ex", "hi two")
        assert await two.redis.hexists(f"uc:room:{room}", "ex")
        assert await two.route(room, "st", "hello")
        deadline = asyncio.get_running_loop().time() + 5
        while not delivered["a"]:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        assert delivered["a"] == [("st", "hello")]
        assert not await one.release(room, "st", "wrong-seat"), "only the seat holder releases"
        await one.close()  # a clean shutdown: the others hear at once
        deadline = asyncio.get_running_loop().time() + 5
        while one.proc in two._alive_until:
            assert asyncio.get_running_loop().time() < deadline, "process two never heard"
            await asyncio.sleep(0.01)
        again = await two.claim(room, PeerInfo("st2", Role.STATION, ""), "seat3", resume=False)
        assert again.ok, "the crashed process's station no longer holds the room"
        assert not await two.route(room, "st", "anyone there?")
    finally:
        await two.close()


def test_redis_unreachable_is_a_clear_startup_error(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "signaling_server",
            "--port",
            "0",
            "--secret-file",
            str(tmp_path / "s"),
            "--redis",
            "redis://127.0.0.1:9/0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert (
        "cannot reach Redis at redis://127.0.0.1:9/0" in proc.stderr
        and "Traceback" not in proc.stderr
    )


async def test_a_lecture_fan_out_reaches_trainees_on_every_process(two_servers, room):
    a, b = two_servers
    station, hello = await joined(a.url, room, "station", a.invite(room, "station"))
    here, _ = await joined(a.url, room, "observer", a.invite(room, "observer"))
    there, _ = await joined(b.url, room, "observer", b.invite(room, "observer"))
    expert, _ = await joined(b.url, room, "expert", b.invite(room, "expert"))
    try:
        data = {"type": "ann.clear", "op": "s-9", "author": "", "seq": 0}
        await station.send(json.dumps({"type": "fanout", "data": data}))

        async def next_app(ws) -> dict:  # type: ignore[no-untyped-def]
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if msg["type"] == "app":
                    return msg

        for trainee in (here, there):
            assert await next_app(trainee) == {
                "type": "app",
                "from": hello["peer_id"],
                "data": data,
            }
        # The expert (not a trainee) gets nothing of it: a ping's pong comes first.
        await expert.send(json.dumps({"type": "ping"}))
        while (msg := json.loads(await asyncio.wait_for(expert.recv(), 5)))["type"] != "pong":
            assert msg["type"] != "app", msg
    finally:
        for ws in (station, here, there, expert):
            await ws.close()
