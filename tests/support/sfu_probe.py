"""Measure a lecture through a real Janus; prints JSON.

    python -m tests.support.sfu_probe [--viewers 1,4,16] [--window 4] [--size 1024x768]

The station (publisher) runs in a process of its own, so that its CPU time is its own:
the phantom at 30 fps, the station's VP8 encoder (``--preset``, held at its target
rate from the start), one upload to Janus.
This process holds the viewers. It reports, per number of light viewers (they count
frames, decode nothing): the station's uplink and CPU, Janus's CPU, the viewers' frame
rate; then, with two decoding viewers through Janus and one direct aiortc viewer of the
same station: their frame rates and the capture-to-decoded latency of each path, read
from a time stamp drawn into every frame (all processes share this machine's clock).

It lives in tests/support (it needs the Janus runner there) until the benchmark package
takes it as ``bench --lecture``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict
from typing import Any

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, VideoStreamTrack

from signaling_server.sfu import SfuRooms
from tests.support.janus import JanusProcess
from ultrasound_consult.media.convert import to_video_frame
from ultrasound_consult.media.encoder import PresetVp8Encoder, install_encoder
from ultrasound_consult.media.phantom import PhantomGenerator
from ultrasound_consult.media.quality import BitratePolicy, preset
from ultrasound_consult.protocol.janus import SfuGrant
from ultrasound_consult.session.peer_link import OutgoingMedia, rtc_configuration
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber

FPS = 30
#: The time stamp: 32 bits of milliseconds, one 8x8 block per bit, top left (256 pixels
#: wide: it fits the smallest picture the probe is run with, 320x240).
BITS, BLOCK = 32, 8
#: Rendered phantom frames, replayed (drawing the phantom is not the station's cost).
LOOP = 60
#: IP + UDP + RTP + SRTP tag per packet, to estimate the uplink on the wire.
PACKET_OVERHEAD = 20 + 8 + 12 + 10


def stamp(gray: np.ndarray, ms: int) -> None:
    for bit in range(BITS):
        value = 255 if (ms >> bit) & 1 else 0
        gray[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value


def read_stamp(frame: av.VideoFrame) -> int:
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:BLOCK]
    # The middle of each block: codec ringing stays at the edges.
    q = BLOCK // 4
    middle = rows[q : BLOCK - q, : BITS * BLOCK].reshape(BLOCK - 2 * q, BITS, BLOCK)
    centres = middle[:, :, q : BLOCK - q].mean(axis=(0, 2))
    return sum(1 << bit for bit, level in enumerate(centres) if level > 128)


def now_ms() -> int:
    return int(time.time() * 1000) & 0xFFFFFFFF


def latency_ms(frame: av.VideoFrame) -> float:
    return float((now_ms() - read_stamp(frame)) & 0xFFFFFFFF)


def phantom_loop(width: int, height: int) -> list[np.ndarray]:
    generator = PhantomGenerator(width, height, FPS, seed=1)
    return [generator.frame(i) for i in range(LOOP)]


class StampedPhantom(VideoStreamTrack):
    """The phantom at 30 fps, each frame stamped with the time it was captured.

    One per connection, as the station's pipeline gives each of its tracks frames of
    their own: an encoder may restamp the frame it is handed, and two encoders sharing
    one frame object broke each other's clocks (the direct link stopped after a frame).
    """

    def __init__(self, loop: list[np.ndarray]) -> None:
        super().__init__()
        self._loop = loop
        self.frames = 0

    async def recv(self) -> av.VideoFrame:
        pts, _ = await self.next_timestamp()
        gray = self._loop[self.frames % LOOP].copy()
        stamp(gray, now_ms())
        frame = to_video_frame(gray, pts / 90000)
        self.frames += 1
        return frame


class SteadyPolicy(BitratePolicy):
    """The preset's target from the first frame: a call climbs to it over ~10 s, which
    would make the first step of the probe look cheaper than the later ones."""

    START_FRACTION = 1.0


def _encoder(name: str, width: int, height: int) -> PresetVp8Encoder:
    return PresetVp8Encoder(SteadyPolicy(preset(name), width * height * FPS), FPS)


# --- the station's process ----------------------------------------------------------


async def station(grant: SfuGrant, width: int, height: int, preset_name: str) -> None:
    """Publish to Janus; answer commands on stdin (report, offer, answer, quit)."""
    loop = phantom_loop(width, height)
    source = StampedPhantom(loop)
    # Built once: a restart of Janus would end the probe anyway.
    encoder = _encoder(preset_name, width, height)
    publisher = SfuPublisher(grant, lambda: OutgoingMedia(source, encoder))  # type: ignore[arg-type]
    await publisher.start()
    direct: RTCPeerConnection | None = None
    say({"event": "ready"})
    while True:
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "report":
            sent_bytes, sent_packets = await publisher.video_sent()
            say(
                {
                    "bytes": sent_bytes,
                    "packets": sent_packets,
                    "cpu_s": time.process_time(),
                    "frames": source.frames,
                }
            )
        elif cmd["cmd"] == "offer":
            direct = RTCPeerConnection(rtc_configuration(()))
            transceiver = direct.addTransceiver(StampedPhantom(loop), direction="sendonly")
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in caps if c.mimeType == "video/VP8"])
            install_encoder(transceiver.sender, _encoder(preset_name, width, height))
            await direct.setLocalDescription(await direct.createOffer())
            say({"sdp": direct.localDescription.sdp})
        elif cmd["cmd"] == "answer" and direct is not None:
            await direct.setRemoteDescription(RTCSessionDescription(cmd["sdp"], "answer"))
            say({"event": "answered"})
        elif cmd["cmd"] == "quit":
            break
    if direct is not None:
        await direct.close()
    await publisher.close()


def say(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


class StationProcess:
    def __init__(self, grant: SfuGrant, args: argparse.Namespace) -> None:
        self.grant, self.args = grant, args
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.sfu_probe",
            "--station",
            json.dumps(asdict(self.grant)),
            "--size",
            self.args.size,
            "--preset",
            self.args.preset,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        ready = await self.read(timeout=60)
        assert ready.get("event") == "ready", ready

    async def read(self, timeout: float = 10) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError("the station process ended")
        return dict(json.loads(line))

    async def ask(self, cmd: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()
        return await self.read()

    async def stop(self) -> None:
        if self.proc is None:
            return
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"cmd": "quit"}\n')
        await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


# --- the viewers' process -----------------------------------------------------------


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def light_phase(
    grant: SfuGrant, station: StationProcess, janus_pid: int, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    viewers = [SfuSubscriber(grant, decode=False, name=f"light-{i}") for i in range(n)]
    try:
        for viewer in viewers:
            await viewer.start()
        await asyncio.sleep(args.warmup)  # a measuring window is wall time
        r0, j0, f0, t0 = (
            await station.ask({"cmd": "report"}),
            process_cpu_s(janus_pid),
            [v.frames for v in viewers],
            time.monotonic(),
        )
        await asyncio.sleep(args.window)
        r1, j1, f1, t1 = (
            await station.ask({"cmd": "report"}),
            process_cpu_s(janus_pid),
            [v.frames for v in viewers],
            time.monotonic(),
        )
    finally:
        for viewer in viewers:
            await viewer.close()
    dt = t1 - t0
    payload = r1["bytes"] - r0["bytes"]
    packets = r1["packets"] - r0["packets"]
    fps = [(b - a) / dt for a, b in zip(f0, f1, strict=True)]
    return {
        "viewers": n,
        "station_uplink_mbps": round((payload + packets * PACKET_OVERHEAD) * 8 / dt / 1e6, 2),
        "station_cpu_pct": round(100 * (r1["cpu_s"] - r0["cpu_s"]) / dt, 1),
        "station_fps": round((r1["frames"] - r0["frames"]) / dt, 1),
        "janus_cpu_pct": round(100 * (j1 - j0) / dt, 1),
        "janus_cpu_pct_per_viewer": round(100 * (j1 - j0) / dt / n, 2),
        "viewer_fps_min": round(min(fps), 1),
        "viewer_fps_mean": round(statistics.fmean(fps), 1),
    }


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def decoding_phase(
    grant: SfuGrant, station: StationProcess, args: argparse.Namespace
) -> dict[str, Any]:
    """Two decoding viewers through Janus and one direct aiortc viewer, side by side."""
    measuring = False
    sfu_lat: list[list[float]] = [[], []]
    direct_lat: list[float] = []

    def collect(into: list[float]) -> Any:
        def on_frame(frame: av.VideoFrame) -> None:
            if measuring:
                into.append(latency_ms(frame))

        return on_frame

    viewers = [SfuSubscriber(grant, on_frame=collect(sfu_lat[i])) for i in range(2)]
    direct = RTCPeerConnection(rtc_configuration(()))
    direct_frames = 0
    direct_arrived = asyncio.Event()

    async def consume(track: Any) -> None:
        nonlocal direct_frames
        try:
            while True:
                frame = await track.recv()
                direct_frames += 1
                direct_arrived.set()
                if measuring:
                    direct_lat.append(latency_ms(frame))
        except MediaStreamError:
            pass

    consumers: list[asyncio.Task[None]] = []
    direct.on("track", lambda track: consumers.append(asyncio.ensure_future(consume(track))))
    try:
        for viewer in viewers:
            await viewer.start()
        offer = await station.ask({"cmd": "offer"})
        await direct.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await direct.setLocalDescription(await direct.createAnswer())
        await station.ask({"cmd": "answer", "sdp": direct.localDescription.sdp})
        arrived = [direct_arrived.wait(), *(v.frame_arrived.wait() for v in viewers)]
        try:
            await asyncio.wait_for(asyncio.gather(*arrived), 20)
        except TimeoutError:
            stats = [
                (st.type, getattr(st, "packetsReceived", None))
                for r in direct.getReceivers()
                for st in (await r.getStats()).values()
            ]
            raise RuntimeError(
                f"no frames: direct link {direct.connectionState}, {direct_frames} frames, "
                f"{stats}, consumers {consumers}; "
                f"through Janus {[v.frames for v in viewers]}"
            ) from None
        await asyncio.sleep(args.warmup)
        f0, d0, t0 = [v.frames for v in viewers], direct_frames, time.monotonic()
        measuring = True
        await asyncio.sleep(args.window)
        measuring = False
        f1, d1, t1 = [v.frames for v in viewers], direct_frames, time.monotonic()
        direct_state = direct.connectionState
    finally:
        for viewer in viewers:
            await viewer.close()
        for task in consumers:
            task.cancel()
        await direct.close()
    dt = t1 - t0
    sfu_all = sfu_lat[0] + sfu_lat[1]
    p50_sfu, p50_direct = _percentile(sfu_all, 0.5), _percentile(direct_lat, 0.5)
    return {
        "decoding_viewer_fps": [round((b - a) / dt, 1) for a, b in zip(f0, f1, strict=True)],
        "direct_viewer_fps": round((d1 - d0) / dt, 1),
        "direct_link": direct_state,
        "latency_ms_sfu": {"p50": p50_sfu, "p95": _percentile(sfu_all, 0.95)},
        "latency_ms_direct": {"p50": p50_direct, "p95": _percentile(direct_lat, 0.95)},
        "sfu_hop_added_p50_ms": (
            round(p50_sfu - p50_direct, 1)
            if p50_sfu is not None and p50_direct is not None
            else None
        ),
    }


async def probe(args: argparse.Namespace) -> dict[str, Any]:
    with JanusProcess() as janus:
        assert janus.process is not None
        rooms = SfuRooms(janus.url, janus.secret)
        await rooms.start()
        await rooms.open_room("probe")
        grant = rooms.grant("probe")
        station = StationProcess(grant, args)
        await station.start()
        try:
            await asyncio.sleep(args.warmup)  # the encoder settles on its rate
            light = [
                await light_phase(grant, station, janus.process.pid, n, args) for n in args.viewers
            ]
            decoding = await decoding_phase(grant, station, args)
        finally:
            await station.stop()
            await rooms.close()
    first, last = light[0], light[-1]
    return {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores",
        "janus": "1.1.2 (Debian package), loopback",
        "source": f"phantom {args.size} @ {FPS} fps, preset {args.preset}, VP8",
        "window_s": args.window,
        "light": light,
        # The goal: the station's uplink and CPU with many viewers <= 1.15x one.
        "uplink_ratio_most_to_one": round(
            last["station_uplink_mbps"] / max(first["station_uplink_mbps"], 1e-9), 2
        ),
        "cpu_ratio_most_to_one": round(
            last["station_cpu_pct"] / max(first["station_cpu_pct"], 1e-9), 2
        ),
        "decoding": decoding,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.support.sfu_probe")
    p.add_argument("--viewers", default="1,4,16", help="light viewer counts (comma-separated)")
    p.add_argument("--window", type=float, default=4.0, help="seconds measured per step")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before each window")
    p.add_argument("--size", default="1024x768")
    p.add_argument("--preset", default="diagnostic")
    p.add_argument("--json", action="store_true", help="JSON only (the default output)")
    p.add_argument("--station", help=argparse.SUPPRESS)  # the station's own process
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    if args.station:
        grant = SfuGrant(**json.loads(args.station))
        asyncio.run(station(grant, width, height, args.preset))
        return 0
    args.viewers = [int(v) for v in args.viewers.split(",")]
    print(json.dumps(asyncio.run(probe(args)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
