"""One WebRTC peer connection to one remote participant, with its two data channels.

The station offers (it is the one with media to send, so there is never glare);
viewers answer. ICE servers are always passed explicitly: aiortc's default would
contact a public STUN server, which a clinic's call must never do unasked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.codecs.base import Encoder
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import SessionDescription

from ultrasound_consult.media.camera import is_camera_track
from ultrasound_consult.media.encoder import PresetVp8Encoder, install_encoder
from ultrasound_consult.media.fec import FecReceiver, FecSender
from ultrasound_consult.media.feedback import REPORT_INTERVAL_S, ArrivalLog
from ultrasound_consult.media.jitter import NackRetry, tune_receiver
from ultrasound_consult.media.pipeline import OutgoingVideoTrack
from ultrasound_consult.media.receiver import ReceivedFrame, RemoteVideoSink
from ultrasound_consult.media.seams import observe_rtp, quiet_connect_task
from ultrasound_consult.media.sender_control import SendSideControl
from ultrasound_consult.protocol.channel import (
    CC_CHANNEL,
    FEC_CHANNEL,
    OPS_CHANNEL,
    POINTER_CHANNEL,
    SNAPSHOT_CHANNEL,
)
from ultrasound_consult.protocol.signaling import IceServer, PeerInfo

logger = logging.getLogger(__name__)


def rtc_configuration(
    ice_servers: tuple[IceServer, ...], *, relay_only: bool = False
) -> RTCConfiguration:
    """An explicit ICE configuration; an empty list means host candidates only."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in ice_servers
        ],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL,
    )


def candidate_count(sdp: str) -> int:
    return sum(1 for line in sdp.splitlines() if line.startswith("a=candidate:"))


def negotiated_codec(sdp: str | None) -> str | None:
    """The codec an SDP answer settled on for video (the first one it lists)."""
    if not sdp:
        return None
    for media in SessionDescription.parse(sdp).media:
        if media.kind == "video" and media.rtp.codecs:
            return media.rtp.codecs[0].mimeType.split("/")[-1]
    return None


@dataclass
class OutgoingMedia:
    """What the station sends one peer: the ultrasound, and maybe sound and a camera."""

    video: OutgoingVideoTrack
    encoder: Encoder | None = None
    audio: MediaStreamTrack | None = None
    camera: OutgoingVideoTrack | None = None
    camera_encoder: Encoder | None = None


class PeerLink:
    def __init__(
        self,
        remote: PeerInfo,
        ice_servers: tuple[IceServer, ...],
        *,
        relay_only: bool = False,
        release_on_marker: bool = True,
        on_channel_message: Callable[[PeerLink, str, str], None],
        on_channel_open: Callable[[PeerLink, str], None],
        on_state: Callable[[PeerLink, str], None],
        on_audio: Callable[[Any], None] | None = None,
    ) -> None:
        self.remote = remote
        self.pc = RTCPeerConnection(rtc_configuration(ice_servers, relay_only=relay_only))
        self.channels: dict[str, RTCDataChannel] = {}
        self.release_on_marker = release_on_marker
        self.recovery: NackRetry | None = None
        self.outgoing: OutgoingMedia | None = None
        self.video_out: OutgoingVideoTrack | None = None
        self.sender: RTCRtpSender | None = None
        self.encoder: Encoder | None = None
        self.sink: RemoteVideoSink | None = None
        #: The second camera's picture, when the station sends one.
        self.camera_sink: RemoteVideoSink | None = None
        self.camera_recovery: NackRetry | None = None
        #: Forward error correction of the ultrasound stream (tuned calls only).
        self.fec: FecSender | None = None
        self.fec_repair: FecReceiver | None = None
        #: Station: delay-based rate control of this viewer's stream (tuned calls only).
        self.rate_control: SendSideControl | None = None
        #: Viewer: arrival times of the ultrasound's packets, reported to the station.
        self.arrivals: ArrivalLog | None = None
        self._report_task: asyncio.Task[None] | None = None
        self.codec: str | None = None
        #: Set once the connection first reaches "connected".
        self.connected = asyncio.Event()
        self._on_channel_message = on_channel_message
        self._on_channel_open = on_channel_open
        self._on_state = on_state
        self._on_audio = on_audio
        self._on_frame: Callable[[ReceivedFrame], None] | None = None
        self._on_camera_frame: Callable[[ReceivedFrame], None] | None = None
        self.pc.on("connectionstatechange", self._state_changed)
        self.pc.on("datachannel", self._attach_channel)
        self.pc.on("track", self._track)

    @property
    def connection_state(self) -> str:
        return self.pc.connectionState

    def channel_open(self, label: str) -> bool:
        ch = self.channels.get(label)
        return ch is not None and ch.readyState == "open"

    def backlog(self, label: str) -> int:
        """Bytes handed to a channel and not yet sent (0 if it is not open)."""
        ch = self.channels.get(label)
        return int(ch.bufferedAmount) if ch is not None and ch.readyState == "open" else 0

    def send(self, label: str, text: str | bytes) -> bool:
        """Send on a channel if it is open; returns whether it went out."""
        ch = self.channels.get(label)
        if ch is None or ch.readyState != "open":
            return False
        ch.send(text)
        return True

    # --- station side: offer ---------------------------------------------------

    async def create_offer(self, out: OutgoingMedia, *, codec: str = "VP8") -> str:
        """The offer: ultrasound first, then sound both ways, then the camera if any."""
        self.outgoing = out
        self.video_out = out.video
        self.sender, installed = self._add_video(out.video, out.encoder, codec)
        if installed:
            self.encoder = out.encoder
        # Audio both ways: the station's microphone (if any) out, the expert's in.
        if out.audio is not None:
            self.pc.addTransceiver(out.audio, direction="sendrecv")
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
        if out.camera is not None:
            self._add_video(out.camera, out.camera_encoder, codec)
        self._attach_channel(self.pc.createDataChannel(OPS_CHANNEL, ordered=True))
        self._attach_channel(
            self.pc.createDataChannel(POINTER_CHANNEL, ordered=False, maxRetransmits=0)
        )
        self._attach_channel(self.pc.createDataChannel(SNAPSHOT_CHANNEL, ordered=True))
        if self.release_on_marker:  # our tuning: parity blocks for the ultrasound
            self._attach_channel(
                self.pc.createDataChannel(FEC_CHANNEL, ordered=False, maxRetransmits=0)
            )
            self.fec = FecSender(
                self.sender,
                lambda data: self.send(FEC_CHANNEL, data),
                backlog=lambda: self.backlog(FEC_CHANNEL),
            )
            if isinstance(out.encoder, PresetVp8Encoder):
                self._attach_channel(
                    self.pc.createDataChannel(CC_CHANNEL, ordered=False, maxRetransmits=0)
                )
                encoder = out.encoder
                self.rate_control = SendSideControl(self.sender, lambda: encoder.policy)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        quiet_connect_task(self.pc)  # closed while connecting: no stray error
        return self.pc.localDescription.sdp

    def _add_video(
        self, track: OutgoingVideoTrack, encoder: Encoder | None, codec: str
    ) -> tuple[RTCRtpSender, bool]:
        """A send-only video transceiver; returns its sender and whether ``encoder`` is in."""
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        installed = encoder is not None and install_encoder(transceiver.sender, encoder)
        caps = RTCRtpSender.getCapabilities("video")
        preferred = [c for c in caps.codecs if c.mimeType == f"video/{codec}"]
        rtx = [c for c in caps.codecs if c.mimeType == "video/rtx"]
        if preferred:
            transceiver.setCodecPreferences(preferred + rtx)
        track.sender = transceiver.sender
        return transceiver.sender, installed

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        quiet_connect_task(self.pc)  # closed while connecting: no stray error
        self.codec = negotiated_codec(sdp)
        if (
            isinstance(self.encoder, PresetVp8Encoder)
            and self.codec != "VP8"
            and self.sender is not None
        ):
            # The far end chose another codec: let aiortc pick its own encoders for it.
            install_encoder(self.sender, None)
            self.encoder = None
            if self.outgoing is not None and self.outgoing.camera is not None:
                install_encoder(self.outgoing.camera.sender, None)
            self.rate_control = None
        if self.rate_control is not None:
            # The transport is final once the answer is in (BUNDLE keeps the first).
            camera = self.outgoing.camera if self.outgoing is not None else None
            extra = (camera.sender,) if camera is not None and camera.sender else ()
            if not self.rate_control.install(extra):
                self.rate_control = None

    # --- viewer side: answer ---------------------------------------------------

    async def create_answer(
        self,
        offer_sdp: str,
        on_frame: Callable[[ReceivedFrame], None],
        *,
        audio: MediaStreamTrack | None = None,
        on_camera_frame: Callable[[ReceivedFrame], None] | None = None,
    ) -> str:
        self._on_frame = on_frame
        self._on_camera_frame = on_camera_frame
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        quiet_connect_task(self.pc)  # closed while connecting: no stray error
        if audio is not None:
            self.pc.addTrack(audio)  # takes the offered audio transceiver: sendrecv
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        quiet_connect_task(self.pc)  # closed while connecting: no stray error
        sdp = self.pc.localDescription.sdp
        self.codec = negotiated_codec(sdp)
        return sdp

    # --- both ------------------------------------------------------------------

    def _track(self, track: Any) -> None:
        if track.kind == "audio":
            if self._on_audio is not None:
                self._on_audio(track)
            return
        receiver = next(
            (t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track),
            None,
        )
        if is_camera_track(track.id):
            if self._on_camera_frame is None or self.camera_sink is not None:
                return
            if self.release_on_marker and receiver is not None:
                self.camera_recovery = tune_receiver(receiver)
            self.camera_sink = RemoteVideoSink(track, self._on_camera_frame, receiver=receiver)
            self.camera_sink.start()
            return
        if self._on_frame is None or self.sink is not None:
            return
        if self.release_on_marker and receiver is not None:
            self.recovery = tune_receiver(receiver)
            if self.recovery is not None:
                self.fec_repair = FecReceiver(receiver, self.recovery.buffer)
                self._report_arrivals(receiver, self.recovery.buffer)
        self.sink = RemoteVideoSink(track, self._on_frame, receiver=receiver)
        self.sink.start()

    def _report_arrivals(self, receiver: Any, buffer: Any) -> None:
        """Viewer: note each ultrasound packet's arrival and report them to the station."""
        log = ArrivalLog()

        def observe(packet: Any, at: float) -> None:
            if packet.ssrc == buffer.last_ssrc:  # the stream itself, not retransmissions
                log.on_packet(packet.ssrc, packet.sequence_number, at)

        if not observe_rtp(receiver, observe, time.monotonic):
            return
        self.arrivals = log

        async def report() -> None:
            while True:
                await asyncio.sleep(REPORT_INTERVAL_S)
                if self.backlog(CC_CHANNEL) > 0:
                    # The association is backed up: wait, so that annotations never queue
                    # behind reports (the next report covers these packets too).
                    continue
                batch = log.report()
                if batch is not None:
                    self.send(CC_CHANNEL, batch.pack())

        self._report_task = asyncio.get_running_loop().create_task(report(), name="cc-report")

    def _attach_channel(self, channel: RTCDataChannel) -> None:
        label = channel.label
        if label not in (OPS_CHANNEL, POINTER_CHANNEL, FEC_CHANNEL, SNAPSHOT_CHANNEL, CC_CHANNEL):
            logger.warning("ignoring unexpected data channel %r", label[:40])
            return
        self.channels[label] = channel
        if label == FEC_CHANNEL:
            channel.on("message", self._on_parity)
            return
        if label == CC_CHANNEL:
            channel.on("message", self._on_report)
            return

        @channel.on("message")
        def _message(data: Any) -> None:
            if isinstance(data, bytes) and label != SNAPSHOT_CHANNEL:
                data = data.decode("utf-8", "replace")
            self._on_channel_message(self, label, data)

        @channel.on("open")
        def _open() -> None:
            self._on_channel_open(self, label)

        if channel.readyState == "open":
            # Channels announced by the remote side arrive already open.
            asyncio.get_running_loop().call_soon(self._on_channel_open, self, label)

    def _on_report(self, data: Any) -> None:
        if self.rate_control is not None and isinstance(data, bytes):
            self.rate_control.on_report(data)

    def _on_parity(self, data: Any) -> None:
        if self.fec_repair is not None and isinstance(data, bytes):
            self.fec_repair.on_parity(data)

    async def _state_changed(self) -> None:
        if self.pc.connectionState == "connected":
            self.connected.set()
        self._on_state(self, self.pc.connectionState)

    async def close(self) -> None:
        if self._report_task is not None:
            self._report_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._report_task
        for recovery in (self.recovery, self.camera_recovery):
            if recovery is not None:
                await recovery.stop()
        for sink in (self.sink, self.camera_sink):
            if sink is not None:
                await sink.stop()
        if self.outgoing is not None:
            for track in (self.outgoing.video, self.outgoing.camera, self.outgoing.audio):
                if track is not None:
                    track.stop()
        # Shielded: cancelling a task that waits in RTCPeerConnection.close() cancels
        # aiortc's shared "closed" future, and aiortc's own close then dies with
        # InvalidStateError in a task nobody awaits.
        with contextlib.suppress(Exception):
            await asyncio.shield(self.pc.close())
