"""A trainee's side of a lecture: the picture from the SFU (into the same receiver and
window as a peer link), how well it comes (reported to the station every
:data:`REPORT_EVERY_S`), a raised hand and questions in text."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack

from ultrasound_consult.media.jitter import tune_receiver
from ultrasound_consult.media.receiver import RemoteVideoSink
from ultrasound_consult.media.seams import observe_rtp
from ultrasound_consult.protocol.channel import Ack
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.janus import JanusError, SfuGrant
from ultrasound_consult.protocol.lecture import Hand, Question, WatchReport
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.lecture_ports import LecturePorts
from ultrasound_consult.session.observer import AskedQuestion
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber
from ultrasound_consult.session.signaling_client import SignalingError

logger = logging.getLogger(__name__)

#: A trainee tells the station how well it watches this often.
REPORT_EVERY_S = 2.0
#: How long a trainee waits for the lecture's picture before it says so.
JOIN_TIMEOUT_S = 15.0


class LectureSeat:
    def __init__(
        self,
        ports: LecturePorts,
        *,
        on: Callable[[], bool],
        grant: Callable[[], Awaitable[SfuGrant]],
        new_op: Callable[[str], str],
        follow_part: Callable[[SfuPublisher | SfuSubscriber], None],
        notify: Callable[[], None],
    ) -> None:
        self.ports = ports
        self._on = on
        self._grant = grant
        self._new_op = new_op
        self._follow_part = follow_part
        self._notify = notify
        #: The picture from the SFU, its receiver sink and report loop.
        self.view: SfuSubscriber | None = None
        self.sink: RemoteVideoSink | None = None
        self._reporter: asyncio.Task[None] | None = None
        self._received_bytes = 0
        self.hand = False
        self.asked: dict[str, AskedQuestion] = {}
        #: The latest report sent (the trainee's window shows it too).
        self.report: WatchReport | None = None

    @property
    def relayed(self) -> bool:
        return self.view is not None and self.view.joined.is_set()

    async def watch(self) -> None:
        station = self.ports.station()
        if station is not None:
            self.ports.drop_link(station.id)  # the picture comes from the SFU now
        try:
            grant = await self._grant()
        except SignalingError as exc:
            self.ports.events.on_error("lecture_unavailable", exc.message)
            return
        if not self._on():
            return
        view = self.view = SfuSubscriber(grant, on_track=self._track, name="lecture-view")
        self._follow_part(view)
        self._reporter = asyncio.ensure_future(self._report())
        try:
            await view.start(timeout=JOIN_TIMEOUT_S)
        except (JanusError, TimeoutError) as exc:
            self.ports.events.on_error(
                "lecture_unavailable",
                f"The lecture's picture could not be reached through the relay: {exc}. "
                "Leave and join again; if it persists, tell the trainer.",
            )
            return
        self.ports.set_connected("watching the lecture through the relay")
        self._notify()

    def _track(self, pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            if self.ports.media.player is not None:
                self.ports.media.player.add(track)
            return
        receiver = next(
            (t.receiver for t in pc.getTransceivers() if t.receiver.track is track), None
        )
        if receiver is not None:
            if self.ports.config.media_tuning:
                tune_receiver(receiver)
            observe_rtp(receiver, self._count, time.monotonic)
        if self.sink is not None:
            self.ports.spawn(self.sink.stop())
        self.sink = RemoteVideoSink(track, self.ports.on_remote_frame, receiver=receiver)
        self.sink.start()

    def _count(self, packet: Any, _at: float) -> None:
        self._received_bytes += len(packet.payload)

    async def unwatch(self) -> None:
        view, self.view = self.view, None
        reporter, self._reporter = self._reporter, None
        if reporter is not None:
            reporter.cancel()
        if view is not None:
            await view.close()
        if self.sink is not None:
            await self.sink.stop()
            self.sink = None
        self._notify()

    async def _report(self) -> None:
        frames, received, at = 0, 0, time.monotonic()
        while self.view is not None:
            await asyncio.sleep(REPORT_EVERY_S)  # a period, not a wait for an event
            view = self.view
            if view is None:
                return
            try:
                loss = await _loss(view.pc)
            except Exception:  # the connection is being made again
                loss = 0.0
            now = time.monotonic()
            span = max(now - at, 1e-3)
            sink_frames = view.frames if self.sink is None else self.sink.frames
            report = WatchReport(
                fps=min(240.0, max(0.0, (sink_frames - frames) / span)),
                kbps=max(0.0, (self._received_bytes - received) * 8 / span / 1000),
                loss=loss,
                watching=view.joined.is_set(),
            )
            frames, received, at = sink_frames, self._received_bytes, now
            self.report = report
            self._notify()
            station = self.ports.station()
            self.ports.messenger.to_station(report, station.id if station else None)

    def raise_hand(self, up: bool = True) -> None:
        if not self._on():
            raise CallError("hands are raised in a lecture")
        self.hand = up
        station = self.ports.station()
        self.ports.messenger.to_station(Hand(up), station.id if station else None)
        self._notify()

    def ask(self, text: str) -> str:
        """A question in text to the trainer's queue; returns its op id."""
        if not self._on():
            raise CallError("questions are asked in a lecture")
        op = self._new_op("q")
        try:
            msg = Question(op, text.strip())
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        station = self.ports.station()
        if self.ports.messenger.to_station(msg, station.id if station else None).value == "none":
            raise CallError("the station is not in the call; ask again once it is back")
        self.asked[op] = AskedQuestion(op, msg.text)
        self._notify()
        return op

    def on_ack(self, ack: Ack) -> bool:
        """The station's answer to one of my questions; False if it is not one."""
        asked = self.asked.get(ack.op)
        if asked is None:
            return False
        self.asked[ack.op] = replace(asked, delivered=ack.ok, refused=ack.reason)
        if not ack.ok:
            self.ports.events.on_error("question_refused", ack.reason)
        self._notify()
        return True

    def summary(self) -> dict[str, Any]:
        if self.view is None:
            return {}
        sink = self.sink
        return {
            "frames_received": sink.frames if sink is not None else self.view.frames,
            "fps_received": round(sink.fps, 2) if sink is not None else None,
            "rejoins": self.view.rejoins,
        }


async def _loss(pc: RTCPeerConnection | None) -> float:
    """The fraction of the picture's packets lost, from the receiver's stats."""
    if pc is None:
        return 0.0
    lost = packets = 0
    for transceiver in pc.getTransceivers():
        if transceiver.kind != "video":
            continue
        for stat in (await transceiver.receiver.getStats()).values():
            if stat.type == "inbound-rtp":
                lost += max(0, stat.packetsLost)
                packets += stat.packetsReceived
    return lost / (lost + packets) if lost + packets else 0.0
