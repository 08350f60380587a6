"""Publishing to and watching from a Janus VideoRoom (a lecture through the SFU).

The station publishes its ultrasound (and voice) once, over one PeerConnection to
Janus, whatever the number of trainees; each trainee subscribes to the station's feed
over its own PeerConnection from Janus. Both hold an :class:`SfuGrant` from the
signalling server (the room's pin and a signed token), and both keep going by
themselves when Janus restarts: the WebSocket closing is the signal, and they join
again (with backoff) until the room and the feed are back.

Video is VP8, as in a consult: the publisher takes the station's per-peer media
(``LocalMedia.outgoing``: masked pipeline track, :class:`PresetVp8Encoder`, voice), and
the room is created VP8/Opus-only, so nobody negotiates anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import SessionDescription
from websockets.exceptions import WebSocketException

from ultrasound_consult.media.encoder import install_encoder
from ultrasound_consult.media.pipeline import OutgoingVideoTrack
from ultrasound_consult.media.seams import count_rtp_only, quiet_connect_task
from ultrasound_consult.protocol import janus
from ultrasound_consult.protocol.janus import JanusError, SfuGrant
from ultrasound_consult.session.janus_link import REQUEST_TIMEOUT_S, JanusLink
from ultrasound_consult.session.peer_link import OutgoingMedia, rtc_configuration

logger = logging.getLogger(__name__)

#: Backoff between attempts to join again: short first, a Janus restart takes ~0.1 s.
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 0.5
#: Join errors that mean "not yet" after a restart: the room or the feed is not back.
NOT_YET = {janus.NO_SUCH_ROOM, janus.NO_SUCH_FEED, janus.ID_EXISTS}


def _jsep(pc: RTCPeerConnection) -> dict[str, Any]:
    # aiortc gathers every candidate before it returns the description: no trickle.
    return {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp, "trickle": False}


async def _connected(pc: RTCPeerConnection) -> None:
    done = asyncio.Event()

    def changed() -> None:
        if pc.connectionState in ("connected", "failed", "closed"):
            done.set()

    pc.on("connectionstatechange", changed)
    changed()
    await done.wait()
    if pc.connectionState != "connected":
        raise ConnectionError(f"the connection to Janus {pc.connectionState}")


def _prefer_vp8(transceiver: Any) -> None:
    caps = RTCRtpSender.getCapabilities("video").codecs
    vp8 = [c for c in caps if c.mimeType == "video/VP8"]
    rtx = [c for c in caps if c.mimeType == "video/rtx"]
    transceiver.setCodecPreferences(vp8 + rtx)


class _Rejoining:
    """The run-until-closed loop both sides share: join, wait for the loss, join again."""

    def __init__(self, grant: SfuGrant, name: str) -> None:
        self.grant = grant
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.link: JanusLink | None = None
        self.pc: RTCPeerConnection | None = None
        #: Set once joined (again); cleared while joining again.
        self.joined = asyncio.Event()
        #: Joins after the first one, and the last error that delayed a join.
        self.rejoins = 0
        self.last_error: Exception | None = None
        #: Set when the session ends for good (a refusal that retrying cannot fix).
        self.failed: JanusError | None = None
        #: Set on every change (joined, lost, a frame): waiters clear it and re-check.
        self.changed = asyncio.Event()
        #: Set when Janus hangs up our PeerConnection (or the feed we watch ends) while
        #: the WebSocket stays up.
        self._gone = asyncio.Event()
        #: Connections being closed (awaited by close()).
        self._releasing: set[asyncio.Future[None]] = set()

    async def start(self, *, timeout: float = REQUEST_TIMEOUT_S) -> None:
        """Join (waiting while the room or feed is not there yet), then stay joined.

        Raises the refusal (a wrong pin, a bad token) or TimeoutError; once joined, a
        task keeps the session up until :meth:`close`.
        """
        self._task = asyncio.get_running_loop().create_task(self._keep_up(), name=self._name)
        joined = asyncio.ensure_future(self.joined.wait())
        try:
            await asyncio.wait({joined, self._task}, timeout=timeout, return_when="FIRST_COMPLETED")
        finally:
            joined.cancel()
        if self.joined.is_set():
            return
        await self.close()
        if self.failed is not None:
            raise self.failed
        raise TimeoutError(f"{self._name}: not joined within {timeout} s ({self.last_error})")

    async def _keep_up(self) -> None:
        first = True
        while not self._closed:
            delay = RETRY_FIRST_S
            while not self._closed:
                try:
                    await self._join()
                    break
                except JanusError as exc:
                    self.last_error = exc
                    if exc.code not in NOT_YET:
                        self.failed = exc
                        logger.error("%s: Janus refused: %s", self._name, exc)
                        await self._teardown()
                        self.changed.set()
                        return
                except (OSError, ConnectionError, WebSocketException, TimeoutError) as exc:
                    self.last_error = exc
                await self._teardown()
                # (A Janus that is starting may accept and drop a handshake: InvalidMessage.)
                # Backoff, not a wait for an event: nothing tells us when Janus is back.
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            if self._closed:
                return
            if not first:
                self.rejoins += 1
            first = False
            self.joined.set()
            self.changed.set()
            await self._wait_lost()
            self.joined.clear()
            self.changed.set()
            logger.info("%s: lost Janus or the feed; joining again", self._name)
            await self._teardown()

    async def _wait_lost(self) -> None:
        assert self.link is not None
        lost = asyncio.ensure_future(self.link.lost.wait())
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait({lost, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            gone.cancel()

    def _event(self, msg: dict[str, Any]) -> None:
        """Janus's unrequested messages: a hangup ends this connection."""
        if msg.get("janus") == "hangup":
            self._gone.set()

    def _watch(self, pc: RTCPeerConnection) -> None:
        def changed() -> None:
            if pc.connectionState in ("failed", "closed") and pc is self.pc:
                self._gone.set()

        pc.on("connectionstatechange", changed)

    async def _open_link(self) -> JanusLink:
        self._gone.clear()
        link = self.link = JanusLink(self.grant.url, self.grant.token)
        link.on_event = self._event
        await link.open()
        return link

    async def _join(self) -> None:
        raise NotImplementedError

    async def _teardown(self) -> None:
        pc, self.pc = self.pc, None
        link, self.link = self.link, None
        if pc is None and link is None:
            return
        # Shielded and kept: a join loop cancelled in the middle of this (close())
        # must not leave a half-closed connection or an orphan close() behind.
        release = asyncio.ensure_future(self._release(pc, link))
        self._releasing.add(release)
        release.add_done_callback(self._releasing.discard)
        await asyncio.shield(release)

    @staticmethod
    async def _release(pc: RTCPeerConnection | None, link: JanusLink | None) -> None:
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()
        if link is not None:
            await link.close()

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._teardown()
        await asyncio.gather(*list(self._releasing), return_exceptions=True)


class SfuPublisher(_Rejoining):
    """The station's one upload to the lecture room: video (and voice) to Janus.

    ``media`` makes the tracks (and the encoder) of one upload, as
    :meth:`LocalMedia.outgoing` does for one peer; it is called again for each
    publish after a loss, because aiortc stops a sender's tracks with its connection.
    """

    def __init__(
        self,
        grant: SfuGrant,
        media: Callable[[], OutgoingMedia | MediaStreamTrack],
        *,
        display: str = "station",
        name: str = "sfu-publisher",
    ) -> None:
        super().__init__(grant, name)
        self._media = media
        self._display = display
        self._previous_bytes = 0
        self._previous_packets = 0
        #: The tracks of the current upload (a voice is one audio track).
        self.outgoing: OutgoingMedia | MediaStreamTrack | None = None

    async def _join(self) -> None:
        link = await self._open_link()
        handle = await link.attach()
        g = self.grant
        await link.send(
            handle, janus.join_publisher(g.room, pin=g.pin, feed=g.feed, display=self._display)
        )
        pc = self.pc = RTCPeerConnection(rtc_configuration(()))
        self._watch(pc)
        out = self.outgoing = self._media()
        if isinstance(out, MediaStreamTrack):  # a voice: one audio track
            pc.addTransceiver(out, direction="sendonly")
        else:
            self._add_video(pc, out)
        await pc.setLocalDescription(await pc.createOffer())
        quiet_connect_task(pc)
        reply = await link.send(handle, janus.publish(), _jsep(pc))
        answer = reply.get("jsep")
        if not answer:
            raise JanusError(0, f"Janus answered publish without SDP: {janus.plugin_data(reply)}")
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        quiet_connect_task(pc)
        # Janus lists the feed once media flows; viewers asking before get "no such feed".
        await asyncio.wait_for(_connected(pc), REQUEST_TIMEOUT_S)

    @staticmethod
    def _add_video(pc: RTCPeerConnection, out: OutgoingMedia) -> None:
        transceiver = pc.addTransceiver(out.video, direction="sendonly")
        _prefer_vp8(transceiver)
        if out.encoder is not None:
            install_encoder(transceiver.sender, out.encoder)
        if isinstance(out.video, OutgoingVideoTrack):
            out.video.sender = transceiver.sender  # frame identity (RTP origin), as in a call
        if out.audio is not None:
            pc.addTransceiver(out.audio, direction="sendonly")

    async def _teardown(self) -> None:
        # Keep the totals across connections: the uplink is what left the station.
        bytes_now, packets_now = await self._current_counts()
        self._previous_bytes += bytes_now
        self._previous_packets += packets_now
        out, self.outgoing = self.outgoing, None
        await super()._teardown()
        tracks = [out] if isinstance(out, MediaStreamTrack) else []
        if isinstance(out, OutgoingMedia):
            tracks = [t for t in (out.video, out.audio, out.camera) if t is not None]
        for track in tracks:
            track.stop()

    async def _current_counts(self) -> tuple[int, int]:
        if self.pc is None:
            return 0, 0
        sent_bytes = sent_packets = 0
        for sender in self.pc.getSenders():
            if sender.track is None or sender.track.kind != "video":
                continue
            for stat in (await sender.getStats()).values():
                if stat.type == "outbound-rtp":
                    sent_bytes += stat.bytesSent
                    sent_packets += stat.packetsSent
        return sent_bytes, sent_packets

    async def video_sent(self) -> tuple[int, int]:
        """RTP payload bytes and packets of video sent to Janus, over every connection."""
        bytes_now, packets_now = await self._current_counts()
        return self._previous_bytes + bytes_now, self._previous_packets + packets_now


class SfuSubscriber(_Rejoining):
    """One trainee's view of the station's feed, through Janus.

    ``decode=False`` makes a light viewer for load tests: it counts the frames that
    arrive (the RTP marker bit ends each one) and decodes nothing.
    """

    def __init__(
        self,
        grant: SfuGrant,
        *,
        decode: bool = True,
        on_frame: Callable[[Any], None] | None = None,
        on_track: Callable[[RTCPeerConnection, MediaStreamTrack], None] | None = None,
        name: str = "sfu-subscriber",
    ) -> None:
        super().__init__(grant, name)
        self.decode = decode
        self._on_frame = on_frame
        #: Takes every track (video and sound) instead of this class's own consumer:
        #: the app's receiver sink and speaker, as for a peer-to-peer link.
        self._on_track = on_track
        self._consumers: list[asyncio.Task[None]] = []
        #: Frames received (decoded, or counted when light), over every connection.
        self.frames = 0
        self.bytes = 0
        #: monotonic time of the latest frame; set on each frame.
        self.last_frame_at: float | None = None
        self.frame_arrived = asyncio.Event()

    async def _join(self) -> None:
        link = await self._open_link()
        handle = await link.attach()
        g = self.grant
        reply = await link.send(handle, janus.join_subscriber(g.room, pin=g.pin, feed=g.feed))
        offer = reply.get("jsep")
        if not offer:
            raise JanusError(0, f"Janus attached without an offer: {janus.plugin_data(reply)}")
        pc = self.pc = RTCPeerConnection(rtc_configuration(()))
        self._watch(pc)
        vp8 = _payload_type(offer["sdp"], "VP8")
        pc.on("track", lambda track: self._track(pc, track, vp8))
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
        quiet_connect_task(pc)
        await pc.setLocalDescription(await pc.createAnswer())
        quiet_connect_task(pc)
        await link.send(handle, janus.start(), _jsep(pc))

    def _event(self, msg: dict[str, Any]) -> None:
        data = janus.plugin_data(msg) or {}
        # The station left (its Janus session ended): Janus 1.x marks our streams
        # inactive ("updated"); older ones say "unpublished" or "leaving".
        streams = data.get("streams")
        ended = (
            data.get("videoroom") == "updated"
            and isinstance(streams, list)
            and not any(isinstance(s, dict) and s.get("active", True) for s in streams)
        )
        if ended or "unpublished" in data or "leaving" in data:
            self._gone.set()
        super()._event(msg)

    def _track(self, pc: RTCPeerConnection, track: MediaStreamTrack, vp8: int | None) -> None:
        if self._on_track is not None:
            self._on_track(pc, track)
            return
        if track.kind != "video":
            return
        if self.decode:
            task = asyncio.get_running_loop().create_task(self._consume(track))
            self._consumers.append(task)
            return
        receiver = next(t.receiver for t in pc.getTransceivers() if t.receiver.track is track)
        count_rtp_only(receiver, lambda packet: self._count(packet, vp8))

    def _count(self, packet: Any, vp8: int | None) -> None:
        if packet.payload_type != vp8:
            return  # retransmissions and padding
        self.bytes += len(packet.payload)
        if packet.marker:
            self._frame()

    def _frame(self) -> None:
        self.frames += 1
        self.last_frame_at = time.monotonic()
        self.frame_arrived.set()
        self.changed.set()

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self._frame()
                if self._on_frame is not None:
                    try:
                        self._on_frame(frame)
                    except Exception:
                        # One bad frame handler must not end the trainee's picture.
                        logger.exception("%s: the frame handler failed", self._name)

    async def _teardown(self) -> None:
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers.clear()
        await super()._teardown()


def _payload_type(sdp: str, codec: str) -> int | None:
    for media in SessionDescription.parse(sdp).media:
        for c in media.rtp.codecs:
            if c.mimeType.split("/")[-1].upper() == codec and c.payloadType is not None:
                return int(c.payloadType)
    return None
