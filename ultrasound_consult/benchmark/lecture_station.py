"""The lecture benchmark's station: a process of its own, so its CPU time is its own.

    python -m ultrasound_consult.benchmark.lecture_station --server URL --room R --invite CODE

It joins the real signalling server as the station, asks it for the lecture (``sfu_request``
-> ``sfu_access``), and publishes to Janus with the app's :class:`SfuPublisher` and the
station's VP8 encoder (the preset's, held at its target rate from the first frame). The
picture is the phantom at 30 fps with the capture time drawn into every frame (32 bits of
milliseconds, top left), so that a viewer reads its latency from the picture itself.

Why not ``ultrasound-consult station --lecture --headless``: the app's station masks the
top band of the picture (where scanners print the patient's name), which erases the
stamp, and it says its uplink only when it exits; the parts that cost the station CPU
and uplink in a lecture (the encoder, the one upload to Janus, the fan-out on the
signalling WebSocket) are the app's own here.

Its publisher also opens a data channel to Janus (the VideoRoom relays a publisher's data
to subscribers), to compare annotations sent that way with the server's fan-out.
It answers JSON commands on stdin, one a line: report, offer, answer, annotate, quit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

import av
import numpy as np
from aiortc import RTCDataChannel, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import VideoStreamTrack
from websockets.asyncio.client import ClientConnection, connect

from ultrasound_consult.media.convert import to_video_frame
from ultrasound_consult.media.encoder import PresetVp8Encoder, install_encoder
from ultrasound_consult.media.phantom import PhantomGenerator
from ultrasound_consult.media.quality import BitratePolicy, preset
from ultrasound_consult.protocol.janus import SfuGrant
from ultrasound_consult.session.peer_link import OutgoingMedia, rtc_configuration
from ultrasound_consult.session.sfu_link import SfuPublisher

FPS = 30
#: The time stamp: 32 bits of milliseconds, one 8x8 block per bit, top left (256 pixels
#: wide: it fits the smallest picture the benchmark is run with, 320x240).
BITS, BLOCK = 32, 8
#: Rendered phantom frames, replayed (drawing the phantom is not the station's cost).
LOOP = 60
#: What an annotation message sent for the measurement says it is.
MARK = "bench_mark"


def stamp(gray: np.ndarray, ms: int) -> None:
    for bit in range(BITS):
        value = 255 if (ms >> bit) & 1 else 0
        gray[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value


def read_stamp(frame: av.VideoFrame) -> int:
    plane = frame.planes[0]
    # A VideoPlane is a buffer (numpy reads it in place); its stubs do not say so.
    data = np.frombuffer(plane, np.uint8)  # type: ignore[call-overload]
    rows = data.reshape(-1, plane.line_size)[:BLOCK]
    # The middle of each block: codec ringing stays at the edges.
    q = BLOCK // 4
    middle = rows[q : BLOCK - q, : BITS * BLOCK].reshape(BLOCK - 2 * q, BITS, BLOCK)
    centres = middle[:, :, q : BLOCK - q].mean(axis=(0, 2))
    return sum(1 << bit for bit, level in enumerate(centres) if level > 128)


def now_ms() -> int:
    return int(time.time() * 1000) & 0xFFFFFFFF


def latency_ms(frame: av.VideoFrame) -> float:
    return float((now_ms() - read_stamp(frame)) & 0xFFFFFFFF)


def mark(seq: int) -> dict[str, Any]:
    """One annotation-sized message, stamped with when it left (microseconds)."""
    return {"type": MARK, "seq": seq, "sent_us": int(time.time() * 1e6), "x": 0.5, "y": 0.5}


def mark_latency_ms(data: dict[str, Any]) -> float:
    return (time.time() * 1e6 - int(data["sent_us"])) / 1000


class StampedPhantom(VideoStreamTrack):
    """The phantom at 30 fps, each frame stamped with the time it was captured.

    One per connection, as the station's pipeline gives each of its tracks frames of
    their own: an encoder may restamp the frame it is handed.
    """

    def __init__(self, loop: list[np.ndarray]) -> None:
        super().__init__()
        self._pictures = loop
        self.frames = 0

    async def recv(self) -> av.VideoFrame:
        pts, _ = await self.next_timestamp()
        gray = self._pictures[self.frames % LOOP].copy()
        stamp(gray, now_ms())
        frame = to_video_frame(gray, pts / 90000)
        self.frames += 1
        return frame


class SteadyPolicy(BitratePolicy):
    """The preset's target from the first frame: a call climbs to it over ~10 s, which
    would make the first step look cheaper than the later ones."""

    START_FRACTION = 1.0


def _encoder(name: str, width: int, height: int) -> PresetVp8Encoder:
    return PresetVp8Encoder(SteadyPolicy(preset(name), width * height * FPS), FPS)


class DataPublisher(SfuPublisher):
    """The app's publisher, with a data channel to Janus beside the picture."""

    channel: RTCDataChannel | None = None

    def _add_video(self, pc: RTCPeerConnection, out: OutgoingMedia) -> None:  # type: ignore[override]
        SfuPublisher._add_video(pc, out)
        self.channel = pc.createDataChannel("annotations")


async def _signalling(
    url: str, room: str, invite: str
) -> tuple[ClientConnection, SfuGrant, asyncio.Task[None]]:
    """Join as the station, get the lecture's grant, then keep reading (and dropping)."""
    ws = await connect(url, max_size=2**20)
    join = {"type": "join", "v": 1, "room": room, "role": "station", "name": "bench station"}
    await ws.send(json.dumps({**join, "token": invite}))
    await ws.send(json.dumps({"type": "sfu_request"}))
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 15))
        if msg["type"] == "error":
            raise RuntimeError(f"the server refused: {msg}")
        if msg["type"] == "sfu_access":
            break
    grant = SfuGrant(msg["url"], msg["room"], msg["pin"], msg["token"], msg["feed"])

    async def drain() -> None:
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    return ws, grant, asyncio.get_running_loop().create_task(drain())


async def station(args: argparse.Namespace) -> None:
    width, height = (int(v) for v in args.size.split("x"))
    generator = PhantomGenerator(width, height, FPS, seed=1)
    loop = [generator.frame(i) for i in range(LOOP)]
    ws, grant, reader = await _signalling(args.server, args.room, args.invite)
    source = StampedPhantom(loop)
    # Built once: a restart of Janus would end the benchmark anyway.
    encoder = _encoder(args.preset, width, height)
    publisher = DataPublisher(grant, lambda: OutgoingMedia(source, encoder))  # type: ignore[arg-type]
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
            say({"bytes": sent_bytes, "packets": sent_packets, "frames": source.frames})
        elif cmd["cmd"] == "annotate":
            say(await _annotate(ws, publisher, cmd["via"], cmd["count"], cmd["interval"]))
        elif cmd["cmd"] == "offer":
            direct = RTCPeerConnection(rtc_configuration(()))
            transceiver = direct.addTransceiver(StampedPhantom(loop), direction="sendonly")
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in caps if c.mimeType == "video/VP8"])
            install_encoder(transceiver.sender, _encoder(args.preset, width, height))
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
    await ws.close()
    reader.cancel()


async def _annotate(
    ws: ClientConnection, publisher: DataPublisher, via: str, count: int, interval: float
) -> dict[str, Any]:
    """Send ``count`` marks, one per ``interval``: on the signalling WebSocket as a
    ``fanout`` (the app's way), or on the data channel to Janus."""
    channel = publisher.channel
    if via == "datachannel" and (channel is None or channel.readyState != "open"):
        return {"sent": 0, "error": f"data channel {channel and channel.readyState}"}
    for seq in range(count):
        if via == "fanout":
            await ws.send(json.dumps({"type": "fanout", "data": mark(seq)}))
        else:
            assert channel is not None
            channel.send(json.dumps(mark(seq)))
        await asyncio.sleep(interval)
    return {"sent": count}


def say(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ultrasound_consult.benchmark.lecture_station")
    p.add_argument("--server", required=True)
    p.add_argument("--room", required=True)
    p.add_argument("--invite", required=True)
    p.add_argument("--size", default="1024x768")
    p.add_argument("--preset", default="diagnostic")
    asyncio.run(station(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
