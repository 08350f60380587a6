"""``ultrasound-consult bench --lecture 1,4,16,30 --json``: a lecture through a real Janus.

Everything real and on this machine: Janus from deploy/janus's config
(:mod:`janus_process`), a signalling server process started with ``--sfu janus:URL
--sfu-secret-file F``, the station in a process of its own (:mod:`lecture_station`: the
app's SfuPublisher and VP8 encoder, a time-stamped phantom). Trainees join the server with
an observer invite, ask it for the lecture and watch from Janus; light ones (all in this
process) count frames without decoding.

For each number of trainees: the station's uplink and CPU (its own process's), and their
ratio to the first step (the goal: 30 trainees <= 1.15x one), Janus's CPU per trainee,
the trainees' frame rate, and annotation latency to every trainee, both ways in the same
run: the server's fan-out (the app's way) and a data channel through Janus. Then two
decoding trainees and one direct aiortc link to the same station, side by side: frame
rates and capture -> decoded latency read from the stamp in each frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from websockets.asyncio.client import ClientConnection, connect

from signaling_server.janus_process import JanusProcess
from signaling_server.process import SignalingServerProcess
from ultrasound_consult.benchmark.lecture_station import MARK, latency_ms, mark_latency_ms
from ultrasound_consult.benchmark.machine import machine
from ultrasound_consult.benchmark.percentiles import summary
from ultrasound_consult.protocol.janus import SfuGrant
from ultrasound_consult.session.peer_link import rtc_configuration
from ultrasound_consult.session.sfu_link import SfuSubscriber

#: IP + UDP + RTP + SRTP tag per packet, to estimate the uplink on the wire.
PACKET_OVERHEAD = 20 + 8 + 12 + 10
ROOM = "bench-lecture"
#: How long a step waits for the last annotation to reach every trainee.
DELIVERY_TIMEOUT_S = 10.0


@dataclass
class LectureOptions:
    trainees: list[int]
    size: str = "1024x768"
    preset: str = "diagnostic"
    window: float = 4.0
    warmup: float = 2.0
    messages: int = 100
    #: Seconds between annotation messages (a pointer moving at 50 Hz).
    message_interval: float = 0.02


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Marks:
    """Annotation marks received by every trainee: latencies per way, and a wake-up."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {"fanout": [], "datachannel": []}
        self.changed = asyncio.Event()

    def got(self, via: str, data: dict[str, Any]) -> None:
        if data.get("type") == MARK:
            self.latencies[via].append(mark_latency_ms(data))
            self.changed.set()

    async def until(self, via: str, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.latencies[via]) < count:
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


class DataSubscriber(SfuSubscriber):
    """The app's subscriber, also taking the data channel Janus relays from the station."""

    def __init__(self, grant: SfuGrant, marks: Marks, **kw: Any) -> None:
        super().__init__(grant, **kw)
        self._marks = marks
        self.channels = 0

    def _watch(self, pc: RTCPeerConnection) -> None:
        super()._watch(pc)
        pc.on("datachannel", self._channel)
        # As janus.js does: Janus relays a publisher's data to a subscriber only once
        # the subscriber's side has opened a channel (until then its data stream is not
        # "ready"); Janus then opens one of its own, labelled with the feed, to relay on.
        own = pc.createDataChannel("JanusDataChannel")
        own.on("message", lambda m: self._marks.got("datachannel", json.loads(m)))

    def _channel(self, channel: RTCDataChannel) -> None:
        self.channels += 1
        channel.on("message", lambda m: self._marks.got("datachannel", json.loads(m)))


class Trainee:
    """An observer joined to the real server with its invite, watching from Janus."""

    def __init__(self, url: str, invite: str, marks: Marks, *, decode: bool, name: str) -> None:
        self.url, self.invite, self.marks, self.decode, self.name = url, invite, marks, decode, name
        self.ws: ClientConnection | None = None
        self.viewer: DataSubscriber | None = None
        self._reader: asyncio.Task[None] | None = None
        self.on_frame: Any = None

    async def start(self) -> None:
        ws = self.ws = await connect(self.url, max_size=2**20)
        join = {"type": "join", "v": 1, "room": ROOM, "role": "observer", "name": self.name}
        await ws.send(json.dumps({**join, "token": self.invite}))
        await ws.send(json.dumps({"type": "sfu_request"}))
        access: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.get_running_loop().create_task(self._read(ws, access))
        msg = await asyncio.wait_for(access, 15)
        grant = SfuGrant(msg["url"], msg["room"], msg["pin"], msg["token"], msg["feed"])
        self.viewer = DataSubscriber(
            grant, self.marks, decode=self.decode, on_frame=self.on_frame, name=self.name
        )
        await self.viewer.start()

    async def _read(self, ws: ClientConnection, access: asyncio.Future[dict[str, Any]]) -> None:
        with contextlib.suppress(Exception):
            async for text in ws:
                msg = json.loads(text)
                if msg["type"] == "app":
                    self.marks.got("fanout", msg["data"])
                elif msg["type"] in ("sfu_access", "error") and not access.done():
                    if msg["type"] == "error":
                        access.set_exception(RuntimeError(f"{self.name}: {msg}"))
                    else:
                        access.set_result(msg)

    async def first_frame(self, timeout: float = 15) -> None:
        """Until a picture arrives (a new trainee waits for a keyframe)."""
        assert self.viewer is not None
        await asyncio.wait_for(self.viewer.frame_arrived.wait(), timeout)

    @property
    def frames(self) -> int:
        return self.viewer.frames if self.viewer else 0

    async def close(self) -> None:
        if self.viewer is not None:
            await self.viewer.close()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()


class StationProcess:
    """The station (lecture_station.py) in a process of its own, driven over stdin."""

    def __init__(self, server: str, invite: str, opts: LectureOptions) -> None:
        self.args = ["--server", server, "--room", ROOM, "--invite", invite]
        self.args += ["--size", opts.size, "--preset", opts.preset]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        module = "ultrasound_consult.benchmark.lecture_station"
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        ready = await self.read(timeout=60)
        assert ready.get("event") == "ready", ready

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def read(self, timeout: float = 10) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError("the station process ended")
        return dict(json.loads(line))

    async def ask(self, cmd: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()
        return await self.read(timeout)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        assert self.proc.stdin is not None
        with contextlib.suppress(ConnectionError):
            self.proc.stdin.write(b'{"cmd": "quit"}\n')
            await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class Lecture:
    """One run: Janus, the server, the station; the steps and the decoding phase."""

    def __init__(self, opts: LectureOptions, server: SignalingServerProcess, janus_pid: int):
        self.opts, self.server, self.janus_pid = opts, server, janus_pid
        self.invite = server.invite(ROOM, "observer")
        self.station = StationProcess(server.url, server.invite(ROOM, "station"), opts)
        self.marks = Marks()

    def trainee(self, name: str, *, decode: bool = False) -> Trainee:
        return Trainee(self.server.url, self.invite, self.marks, decode=decode, name=name)

    async def light_steps(self) -> list[dict[str, Any]]:
        trainees: list[Trainee] = []
        steps = []
        try:
            for n in sorted(self.opts.trainees):
                more = [self.trainee(f"light-{i}") for i in range(len(trainees), n)]
                trainees += more
                await asyncio.gather(*(t.start() for t in more))
                await asyncio.gather(*(t.first_frame() for t in more))
                steps.append(await self.step(trainees))
        finally:
            await asyncio.gather(*(t.close() for t in trainees), return_exceptions=True)
        return steps

    async def sample(self, trainees: list[Trainee]) -> tuple[Any, ...]:
        report = await self.station.ask({"cmd": "report"})
        return (
            report,
            process_cpu_s(self.station.pid),
            process_cpu_s(self.janus_pid),
            [t.frames for t in trainees],
            time.monotonic(),
        )

    async def step(self, trainees: list[Trainee]) -> dict[str, Any]:
        n = len(trainees)
        await asyncio.sleep(self.opts.warmup)  # a measuring window is wall time
        r0, s0, j0, f0, t0 = await self.sample(trainees)
        await asyncio.sleep(self.opts.window)
        r1, s1, j1, f1, t1 = await self.sample(trainees)
        dt = t1 - t0
        payload, packets = r1["bytes"] - r0["bytes"], r1["packets"] - r0["packets"]
        fps = [(b - a) / dt for a, b in zip(f0, f1, strict=True)]
        return {
            "trainees": n,
            "station_uplink_mbps": round((payload + packets * PACKET_OVERHEAD) * 8 / dt / 1e6, 2),
            "station_cpu_pct": round(100 * (s1 - s0) / dt, 1),
            "station_fps": round((r1["frames"] - r0["frames"]) / dt, 1),
            "janus_cpu_pct": round(100 * (j1 - j0) / dt, 1),
            "janus_cpu_pct_per_trainee": round(100 * (j1 - j0) / dt / n, 2),
            "trainee_fps_min": round(min(fps), 1),
            "trainee_fps_mean": round(statistics.fmean(fps), 1),
            "annotation_ms": {
                via: await self.annotations(via, n) for via in ("fanout", "datachannel")
            },
        }

    async def annotations(self, via: str, n: int) -> dict[str, Any]:
        """``messages`` marks from the station to ``n`` trainees: send -> received."""
        got = self.marks.latencies[via]
        got.clear()
        count = self.opts.messages
        timeout = count * self.opts.message_interval + 30
        cmd = {"cmd": "annotate", "via": via, "count": count}
        sent = await self.station.ask({**cmd, "interval": self.opts.message_interval}, timeout)
        await self.marks.until(via, count * n, DELIVERY_TIMEOUT_S)
        return {
            **summary(list(got), 50, 95, 100),
            "received": len(got),
            "expected": sent["sent"] * n,
            **({"error": sent["error"]} if "error" in sent else {}),
        }

    async def decoding(self) -> dict[str, Any]:
        """Two decoding trainees through Janus and one direct aiortc link, side by side."""
        measuring = False
        sfu_lat: list[list[float]] = [[], []]
        direct_lat: list[float] = []

        def collect(into: list[float]) -> Any:
            def on_frame(frame: av.VideoFrame) -> None:
                if measuring:
                    into.append(latency_ms(frame))

            return on_frame

        viewers = [self.trainee(f"decoding-{i}", decode=True) for i in range(2)]
        for viewer, into in zip(viewers, sfu_lat, strict=True):
            viewer.on_frame = collect(into)
        direct = RTCPeerConnection(rtc_configuration(()))
        direct_frames = 0
        direct_arrived = asyncio.Event()

        async def consume(track: Any) -> None:
            nonlocal direct_frames
            with contextlib.suppress(MediaStreamError):
                while True:
                    frame = await track.recv()
                    direct_frames += 1
                    direct_arrived.set()
                    if measuring:
                        direct_lat.append(latency_ms(frame))

        consumers: list[asyncio.Task[None]] = []
        direct.on("track", lambda track: consumers.append(asyncio.ensure_future(consume(track))))
        try:
            await asyncio.gather(*(v.start() for v in viewers))
            offer = await self.station.ask({"cmd": "offer"})
            await direct.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
            await direct.setLocalDescription(await direct.createAnswer())
            await self.station.ask({"cmd": "answer", "sdp": direct.localDescription.sdp})
            first = [direct_arrived.wait()]
            first += [v.viewer.frame_arrived.wait() for v in viewers if v.viewer]
            await asyncio.wait_for(asyncio.gather(*first), 20)
            await asyncio.sleep(self.opts.warmup)
            f0, d0, t0 = [v.frames for v in viewers], direct_frames, time.monotonic()
            measuring = True
            await asyncio.sleep(self.opts.window)
            measuring = False
            f1, d1, t1 = [v.frames for v in viewers], direct_frames, time.monotonic()
        finally:
            await asyncio.gather(*(v.close() for v in viewers), return_exceptions=True)
            for task in consumers:
                task.cancel()
            await direct.close()
        dt = t1 - t0
        sfu = summary(sfu_lat[0] + sfu_lat[1], 50, 95)
        p2p = summary(direct_lat, 50, 95)
        added = None
        if sfu["p50"] is not None and p2p["p50"] is not None:
            added = round(sfu["p50"] - p2p["p50"], 1)
        return {
            "decoding_trainee_fps": [round((b - a) / dt, 1) for a, b in zip(f0, f1, strict=True)],
            "direct_fps": round((d1 - d0) / dt, 1),
            "latency_ms_sfu": sfu,
            "latency_ms_direct": p2p,
            "sfu_added_p50_ms": added,
            "latency_samples": [len(sfu_lat[0]) + len(sfu_lat[1]), len(direct_lat)],
        }


def _ratios(steps: list[dict[str, Any]]) -> None:
    first = steps[0]
    for step in steps:
        for key in ("station_uplink_mbps", "station_cpu_pct"):
            name = key.rsplit("_", 1)[0].replace("station_", "") + "_ratio_to_first"
            step[name] = round(step[key] / max(first[key], 1e-9), 2)


def _annotation_summary(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The worst step's figures per way, and which way is lower at p95."""
    out: dict[str, Any] = {}
    for via in ("fanout", "datachannel"):
        figures = [s["annotation_ms"][via] for s in steps]
        p95s = [f["p95"] for f in figures if f["p95"] is not None]
        p50s = [f["p50"] for f in figures if f["p50"] is not None]
        out[via] = {
            "worst_p50": max(p50s) if p50s else None,
            "worst_p95": max(p95s) if p95s else None,
            "all_delivered": all(f["received"] == f["expected"] > 0 for f in figures),
        }
    fan, dc = out["fanout"]["worst_p95"], out["datachannel"]["worst_p95"]
    out["lower_p95"] = (
        None if fan is None or dc is None else ("fanout" if fan <= dc else "datachannel")
    )
    return out


async def _run(
    opts: LectureOptions, janus: JanusProcess, server: SignalingServerProcess
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    assert janus.process is not None
    lecture = Lecture(opts, server, janus.process.pid)
    await lecture.station.start()
    try:
        await asyncio.sleep(opts.warmup)  # the encoder settles on its rate
        steps = await lecture.light_steps()
        decoding = await lecture.decoding()
    finally:
        await lecture.station.stop()
    return steps, decoding


def run_lecture_bench(opts: LectureOptions) -> dict[str, Any]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="uc-bench-lecture-") as tmp:
        secret_file = Path(tmp) / "sfu.secret"
        with JanusProcess() as janus:
            secret_file.write_text(janus.secret + "\n")
            secret_file.chmod(0o600)
            args = ["--sfu", f"janus:{janus.url}", "--sfu-secret-file", str(secret_file)]
            with SignalingServerProcess(log_file=Path(tmp) / "server.log", extra_args=args) as srv:
                steps, decoding = asyncio.run(_run(opts, janus, srv))
    _ratios(steps)
    last = steps[-1]
    return {
        "lecture": {
            "source": f"phantom {opts.size} @ 30 fps, time-stamped, preset {opts.preset}, VP8",
            "station": "own process (benchmark/lecture_station.py: the app's SfuPublisher "
            "and VP8 encoder; signalling as the station through the real server)",
            "window_s": opts.window,
            "warmup_s": opts.warmup,
            "messages_per_way": opts.messages,
            "steps": steps,
            "goals": {
                "uplink_ratio_last_to_first": last["uplink_ratio_to_first"],
                "cpu_ratio_last_to_first": last["cpu_ratio_to_first"],
                "ratio_goal": 1.15,
                "decoding_fps_goal": 29,
                "sfu_added_p50_goal_ms": 15,
                "annotation_p95_goal_ms": 100,
            },
            "annotation": _annotation_summary(steps),
            "decoding": decoding,
            "elapsed_s": round(time.monotonic() - started, 1),
        },
        "machine": machine(),
    }
