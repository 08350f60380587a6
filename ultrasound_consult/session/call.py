"""A consult call from one participant's side: station, expert or observer.

The station owns the source (through the privacy-masking pipeline), offers a peer
connection to every viewer in the room, and keeps the authoritative annotation
scene. A viewer answers, shows the remote video, and sends annotations, cues and the
live pointer. Everything the expert's hands send lives in
:class:`~ultrasound_consult.session.collab.Collaboration`; this module is the call:
signalling, peer links, media.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiortc.mediastreams import MediaStreamTrack

from ultrasound_consult.media.audio import AudioCapture, AudioOutput
from ultrasound_consult.media.encoder import PresetVp8Encoder
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.quality import preset as preset_by_name
from ultrasound_consult.media.receiver import ReceivedFrame
from ultrasound_consult.media.source import SourceError, VideoSource
from ultrasound_consult.protocol.annotation import AnnotationKind, Point
from ultrasound_consult.protocol.channel import (
    OPS_CHANNEL,
    SNAPSHOT_CHANNEL,
    ChannelMessage,
    MediaRequest,
    Probe,
    StreamInfo,
    encode_channel,
    parse_channel_message,
)
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.fields import encode_object
from ultrasound_consult.protocol.signaling import (
    ANNOTATING_ROLES,
    LEFT,
    MAX_APP_BYTES,
    Answer,
    App,
    Candidate,
    Error,
    IceServer,
    Join,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    Role,
    ServerMessage,
    Welcome,
)
from ultrasound_consult.record.bundle import (
    CALL_STATE,
    ERROR,
    PEER_JOINED,
    PEER_LEFT,
    QUALITY,
    SOURCE_SWITCH,
)
from ultrasound_consult.session.collab import DEFAULT_COLOR, Collaboration
from ultrasound_consult.session.config import CallConfig, CallError
from ultrasound_consult.session.link_monitor import LinkMonitor
from ultrasound_consult.session.local_media import LocalMedia, MediaEvents
from ultrasound_consult.session.observer import CallObserver, CallState
from ultrasound_consult.session.peer_link import PeerLink, candidate_count
from ultrasound_consult.session.recording import CallRecording, RecordingFailed
from ultrasound_consult.session.signaling_client import SignalingClient, SignalingError, tls_context
from ultrasound_consult.session.source_label import source_label
from ultrasound_consult.session.stats import CallStats

if TYPE_CHECKING:
    from ultrasound_consult.media.pipeline import StationPipeline


#: A viewer's keyframe requests are carried out at most once a second each; preset
#: changes asked by viewers at most once every 10 s for the whole call (each one
#: changes the picture for everyone).
KEYFRAME_GAP_S = 1.0
PRESET_GAP_S = 10.0
logger = logging.getLogger(__name__)

#: A peer connection not connected this long after the offer counts as failed.
NEGOTIATION_TIMEOUT_S = 20.0
#: The station offers again after a failure, waiting longer each time.
REOFFER_BACKOFF_S = (2.0, 5.0, 10.0, 20.0, 30.0, 60.0)


class ConsultCall:
    def __init__(
        self,
        config: CallConfig,
        observer: CallObserver | None = None,
        *,
        source: VideoSource | None = None,
        mask: PrivacyMask | None = None,
        camera: VideoSource | None = None,
        audio: AudioCapture | None = None,
        speaker: AudioOutput | None = None,
    ) -> None:
        if config.role is Role.STATION and source is None:
            raise ValueError("a station needs a video source")
        if config.role is not Role.STATION:
            source = camera = None  # viewers send sound only
        self.config = config
        self.observer = observer or CallObserver()
        self.media = LocalMedia(
            config,
            MediaEvents(self._local_frame, self.observer.on_camera_frame, self._media_problem),
            source=source,
            mask=mask,
            camera=camera,
            audio=audio,
            speaker=speaker,
        )
        self.state = CallState.IDLE
        self.me: PeerInfo | None = None
        self.peers: dict[str, PeerInfo] = {}
        self.links: dict[str, PeerLink] = {}
        self.stats = CallStats(role=config.role.value)
        self.collab = Collaboration(self)
        self.stream_info: StreamInfo | None = None
        #: When each viewer last had a keyframe, and when a viewer last changed the preset:
        #: requests beyond KEYFRAME_GAP_S / PRESET_GAP_S are not carried out.
        self._keyframe_at: dict[str, float] = {}
        self._preset_at = -PRESET_GAP_S
        self.last_remote_media_ts: float | None = None
        self._signaling: SignalingClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ice_servers: tuple[IceServer, ...] = ()
        self._offer_attempts: dict[str, int] = {}
        self.monitor = LinkMonitor(
            lambda: list(self.links.values()),
            self.observer.on_stats,
            nominal_fps=self._nominal_fps,
        )
        self._started_at = 0.0
        #: This side's recording, while it records.
        self.recording: CallRecording | None = None

    @property
    def role(self) -> Role:
        return self.config.role

    @property
    def author(self) -> str:
        return self.config.name or (self.me.id if self.me else "")

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Open the source (station) and join the room. Raises :class:`CallError`."""
        self._started_at = time.perf_counter()
        self._set_state(CallState.CONNECTING, "reaching the signalling server")
        try:
            await self.media.start_video()
        except SourceError as exc:
            self._fail("source_unavailable", str(exc))
            raise CallError(str(exc)) from None
        if self.pipeline is not None:
            info = self.pipeline.info
            self.collab.set_source_calibration(info.calibration, (info.width, info.height))
        join = Join(
            room=self.config.room,
            role=self.role,
            name=self.config.name,
            token=self.config.token,
        )
        try:
            self._signaling = SignalingClient(
                self.config.server_url,
                join,
                on_message=self._on_signal,
                on_connection=self._on_server_connection,
                on_rejoined=self._rejoined,
                ssl_context=tls_context(self.config.ca_file),
            )
            welcome = await self._signaling.connect()
        except (SignalingError, OSError) as exc:
            if not isinstance(exc, SignalingError):
                exc = SignalingError(
                    "tls_untrusted", f"cannot use the CA file {self.config.ca_file}: {exc}"
                )
            self._fail(exc.code, exc.message)
            await self.media.stop()
            raise CallError(exc.message) from None
        # Before the first offer goes out, so every peer gets sound and camera.
        await self.media.start_extras()
        self._welcomed(welcome)
        self.monitor.start()

    @property
    def pipeline(self) -> StationPipeline | None:
        """The station's masked ultrasound pipeline (None for viewers)."""
        return self.media.pipeline

    def mute(self, muted: bool) -> None:
        """Silence (or not) this side's microphone for everyone."""
        self.media.mute(muted)

    async def switch_source(self, source: VideoSource, mask: PrivacyMask | None = None) -> None:
        """The station carries on from another ultrasound source, in the same call.

        Peers keep their connection; they get the new size and scale. If the new
        source cannot start, the user hears why (``source_unavailable``) and may try
        another; the call goes on.
        """
        if self.role is not Role.STATION:
            raise CallError("only the station sends an ultrasound source")
        try:
            await self.media.switch_source(source, mask)
        except SourceError as exc:
            self._media_problem("source_unavailable", str(exc))
            return
        info = source.info
        self._log(SOURCE_SWITCH, source=info.description, width=info.width, height=info.height)
        self.collab.source_switched(info.calibration, (info.width, info.height))
        for link in self.links.values():
            self._send_stream_info(link)

    def set_quality(self, name: str, by: str = "") -> None:
        """Switch every outgoing stream to another preset (raises ValueError); everyone
        hears of it through ``stream.info``."""
        self.media.set_quality(
            name, [link.outgoing for link in self.links.values() if link.outgoing is not None]
        )
        self._log(QUALITY, preset=name, by=by or self.author)
        self.observer.on_quality(name, by or self.author)
        for link in self.links.values():
            self._send_stream_info(link)

    def request_media(self, *, keyframe: bool = False, preset: str = "") -> None:
        """A viewer asks the station for a keyframe and/or another preset."""
        if self.role is Role.STATION:
            raise CallError("the station sets its own quality")
        if preset:
            preset_by_name(preset)  # raises ValueError on a typo, before it travels
        station = self.station_peer()
        link = self.links.get(station.id) if station is not None else None
        msg = MediaRequest(keyframe=keyframe, preset=preset, by=self.author)
        if link is None or not link.send(OPS_CHANNEL, encode_channel(msg)):
            raise CallError("not connected to the station")

    def _media_request(self, link: PeerLink, msg: MediaRequest) -> None:
        if self.role is not Role.STATION or link.remote.role not in ANNOTATING_ROLES:
            return
        now = time.monotonic()
        if msg.keyframe and link.outgoing is not None:
            encoder = link.outgoing.encoder
            last = self._keyframe_at.get(link.remote.id, -KEYFRAME_GAP_S)
            if isinstance(encoder, PresetVp8Encoder) and now - last >= KEYFRAME_GAP_S:
                self._keyframe_at[link.remote.id] = now
                encoder.request_keyframe()
        if msg.preset and msg.preset != self.media.config.quality:
            if now - self._preset_at < PRESET_GAP_S:
                # Flipping presets for everyone is not something a viewer may do at will.
                self.stats.rejected += 1
                logger.info("a quality request from %s came too soon", link.remote.id)
                return
            self._preset_at = now
            try:
                self.set_quality(msg.preset, by=link.remote.name or link.remote.id)
            except ValueError as exc:
                logger.warning("ignored a quality request from %s: %s", link.remote.id, exc)

    async def stop(self) -> None:
        if self.recording is not None:
            await self.stop_recording("the call ended")
        await self.monitor.stop()
        for task in list(self._tasks):
            task.cancel()
        links = list(self.links.values())
        self.links.clear()
        for link in links:
            self.stats.absorb_link(link)
            await link.close()
        self._refresh_stats()
        if self._signaling is not None:
            await self._signaling.close()
        await self.media.stop()
        await self.collab.close()
        if self.state not in (CallState.FAILED,):
            self._set_state(CallState.ENDED, "call ended")

    # --- recording ----------------------------------------------------------------

    def start_recording(self, folder: Path) -> Path:
        """Record this call into a new bundle at ``folder``; everyone sees an indicator.

        Raises :class:`CallError` if it cannot start (folder not writable, not empty).
        """
        if self.recording is not None:
            return self.recording.folder
        loop = asyncio.get_running_loop()

        def on_problem(code: str, message: str) -> None:  # the recorder's thread
            loop.call_soon_threadsafe(self._recording_stopped, code, message)

        recording = CallRecording(self, folder, on_problem=on_problem)
        try:
            recording.start()
        except RecordingFailed as exc:
            raise CallError(str(exc)) from None
        self.recording = recording
        self.collab.announce_recording(True)
        return recording.folder

    async def stop_recording(self, reason: str = "stopped by the user") -> Path | None:
        recording, self.recording = self.recording, None
        if recording is None:
            return None
        self.collab.announce_recording(False)
        await recording.stop(reason)
        return recording.folder

    def mark_moment(self, label: str = "") -> None:
        """A moment worth finding again in the recording (a key image, a finding)."""
        if self.recording is not None:
            self.recording.marker(label, self.author)

    def _recording_stopped(self, code: str, message: str) -> None:
        """The recorder stopped on its own (disk full...): the call goes on."""
        recording = self.recording
        if recording is None:
            return
        self.recording = None
        self.collab.announce_recording(False)
        self._spawn(recording.stop(message))
        self.stats.errors.append(f"{code}: {message}")
        self.observer.on_error(code, message)

    def _log(self, kind: str, **data: Any) -> None:
        if self.recording is not None:
            self.recording.event(kind, **data)

    # --- the expert's hands (see Collaboration) --------------------------------

    @property
    def scene(self):  # type: ignore[no-untyped-def]
        return self.collab.scene

    @property
    def pointers(self):  # type: ignore[no-untyped-def]
        return self.collab.pointers

    def add_annotation(
        self,
        kind: AnnotationKind,
        points: tuple[Point, ...],
        *,
        color: str = DEFAULT_COLOR,
        label: str = "",
        lifetime_s: float | None = None,
        media_ts: float | None = None,
    ) -> str:
        """Draw an annotation for everyone; returns its id. Raises :class:`CallError`."""
        return self.collab.add_annotation(
            kind, points, color=color, label=label, lifetime_s=lifetime_s, media_ts=media_ts
        )

    def remove_annotation(self, annotation_id: str) -> None:
        self.collab.remove_annotation(annotation_id)

    def clear_annotations(self, *, mine_only: bool = False) -> None:
        self.collab.clear_annotations(mine_only=mine_only)

    def move_pointer(self, x: float, y: float, *, visible: bool = True) -> None:
        self.collab.move_pointer(x, y, visible=visible)

    def pending_annotation_ids(self) -> frozenset[str]:
        return self.collab.pending_annotation_ids()

    def station_peer(self) -> PeerInfo | None:
        """This room's station, if it is in the room."""
        return next((p for p in self.peers.values() if p.role is Role.STATION), None)

    def frame_size(self) -> tuple[int, int] | None:
        """The size of the ultrasound frame of this call (sent or received)."""
        if self.pipeline is not None:
            return (self.pipeline.info.width, self.pipeline.info.height)
        if self.stream_info is not None:
            return (self.stream_info.width, self.stream_info.height)
        return None

    def send_app(self, peer_id: str, data: dict[str, Any]) -> bool:
        """A channel message through the signalling server (the data channel is down).

        Returns whether it could be handed to the server connection.
        """
        client = self._signaling
        if client is None or not client.connected or len(encode_object(data)) > MAX_APP_BYTES:
            return False
        self._spawn(self._send_app(client, App(peer=peer_id, data=data)))
        return True

    async def _send_app(self, client: SignalingClient, msg: App) -> None:
        try:
            await client.send(msg)
        except SignalingError as exc:
            logger.info("could not relay through the server: %s", exc.message)

    # --- signalling ------------------------------------------------------------

    def _welcomed(self, welcome: Welcome) -> None:
        self.me = PeerInfo(welcome.peer_id, welcome.role, self.config.name)
        self._ice_servers = welcome.ice_servers
        self.peers = {p.id: p for p in welcome.peers}
        self.observer.on_peers(tuple(self.peers.values()))
        self._set_state(CallState.WAITING, self._waiting_detail())
        if self.role is Role.STATION:
            for peer in welcome.peers:
                self._spawn(self._offer_to(peer))

    def _rejoined(self, welcome: Welcome) -> None:
        """Back on the server (same peer id); media links that kept running stay."""
        self._ice_servers = welcome.ice_servers
        for peer in welcome.peers:
            self.peers[peer.id] = peer
        self.observer.on_peers(tuple(self.peers.values()))
        if self.role is Role.STATION:
            for peer in welcome.peers:
                if not self._healthy(peer.id):
                    self._spawn(self._offer_to(peer))

    def _healthy(self, peer_id: str) -> bool:
        link = self.links.get(peer_id)
        return link is not None and link.connection_state in ("new", "connecting", "connected")

    def _on_server_connection(self, state: str, detail: str) -> None:
        if state == "lost":
            self.stats.server_reconnects += 1
            self.stats.errors.append(f"server_lost: {detail}")
            self.observer.on_server(
                False,
                "Lost the connection to the signalling server; reconnecting. The video "
                "continues; nobody new can join until it is back.",
            )
        elif state == "back":
            self.observer.on_server(True, detail)
        else:  # gone: retrying cannot help (invite expired, room taken...)
            self.stats.errors.append(f"server_gone: {detail}")
            self.observer.on_server(False, detail)
            self.observer.on_error("server_gone", f"Cannot rejoin the signalling server: {detail}")

    def _waiting_detail(self) -> str:
        if self.role is Role.STATION:
            return "waiting for an expert to join"
        return "waiting for the station to join"

    def _on_signal(self, msg: ServerMessage) -> None:
        if isinstance(msg, PeerJoined):
            self.peers[msg.peer.id] = msg.peer
            self.observer.on_peers(tuple(self.peers.values()))
            if self.recording is not None:
                self._log(PEER_JOINED, by=msg.peer.name, role=msg.peer.role.value)
                self.recording.participants_changed()
            if self.role is Role.STATION:
                self.collab.peer_joined(msg.peer)
                self._spawn(self._offer_to(msg.peer))
        elif isinstance(msg, PeerLeft):
            self._peer_left(msg)
        elif isinstance(msg, Offer):
            self._spawn(self._answer(msg))
        elif isinstance(msg, Answer):
            link = self.links.get(msg.peer)
            if link is not None:
                self._spawn(link.accept_answer(msg.sdp))
        elif isinstance(msg, App):
            self._on_app(msg)
        elif isinstance(msg, Candidate):
            # aiortc gathers every candidate before the offer/answer is sent, so
            # trickled candidates only come from other implementations; not needed yet.
            logger.debug("ignoring trickled candidate from %s", msg.peer)
        elif isinstance(msg, Error):
            self.stats.errors.append(f"{msg.code.value}: {msg.message}")
            self._log(ERROR, code=msg.code.value, message=msg.message)
            self.observer.on_error(msg.code.value, msg.message)

    def _peer_left(self, msg: PeerLeft) -> None:
        # Only "left" is final. A peer whose server connection dropped may be back in a
        # moment, and its media (peer to peer) may never have stopped: keep the link
        # while it is up, and let its own state decide.
        if msg.reason != LEFT and self._healthy(msg.peer_id):
            logger.info(
                "peer %s lost the server (%s); its media link stays", msg.peer_id, msg.reason
            )
            return
        peer = self.peers.pop(msg.peer_id, None)
        self.observer.on_peers(tuple(self.peers.values()))
        if self.recording is not None and peer is not None:
            self._log(PEER_LEFT, by=peer.name, role=peer.role.value, reason=msg.reason)
            self.recording.participants_changed()
        link = self.links.pop(msg.peer_id, None)
        if link is not None:
            self._close_link(link)
        if peer is not None:
            self.collab.forget(peer)
        if not self.links:
            self._set_state(CallState.WAITING, self._waiting_detail())

    async def _offer_to(self, peer: PeerInfo) -> None:
        if peer.role is Role.STATION or self.pipeline is None or peer.id in self.links:
            return
        assert self._signaling is not None
        link = self._new_link(peer)
        out = self.media.outgoing()
        out.video.on_rtp_origin = lambda _origin, link=link: self._send_stream_info(link)
        self._set_state(CallState.NEGOTIATING, f"connecting to {peer.name or peer.role.value}")
        sdp = await link.create_offer(out, codec=self.config.video_codec)
        if self._no_network_path(link, sdp):
            return
        await self._signaling.send(Offer(peer=peer.id, sdp=sdp))

    async def _answer(self, offer: Offer) -> None:
        peer = self.peers.get(offer.peer)
        if peer is None or peer.role is not Role.STATION:
            logger.warning(
                "ignoring an offer from %s, which is not this room's station", offer.peer
            )
            return
        # One station per room: links to an earlier station (an app restart gives a
        # new peer id) and any earlier link to this one are replaced.
        for other in [link for link in self.links.values() if link.remote.role is Role.STATION]:
            self.links.pop(other.remote.id, None)
            self._close_link(other)
        assert self._signaling is not None
        link = self._new_link(peer)
        self._set_state(CallState.NEGOTIATING, f"connecting to {peer.name or 'the station'}")
        sdp = await link.create_answer(
            offer.sdp,
            self._remote_frame,
            audio=self.media.answer_audio(),
            on_camera_frame=self._camera_frame,
        )
        if self._no_network_path(link, sdp):
            return
        await self._signaling.send(Answer(peer=peer.id, sdp=sdp))

    def _nominal_fps(self) -> float:
        if self.media.pipeline is not None:
            return self.media.send_fps()
        return self.stream_info.fps if self.stream_info is not None else 30.0

    def _no_network_path(self, link: PeerLink, sdp: str) -> bool:
        """Without a single ICE candidate a connection cannot even start: say why now."""
        if candidate_count(sdp):
            return False
        relay = self.config.ice_transport_policy == "relay"
        self._link_failed(
            link,
            "no_network_path",
            "No network path could be prepared for the video. "
            + (
                "The TURN relay refused or did not answer: check the TURN server and its "
                "secret (ask your IT contact)."
                if relay
                else "Check that this computer is connected to a network."
            ),
        )
        return True

    async def _watch_negotiation(self, link: PeerLink) -> None:
        try:
            await asyncio.wait_for(link.connected.wait(), NEGOTIATION_TIMEOUT_S)
        except TimeoutError:
            if self.links.get(link.remote.id) is link:
                self._link_failed(
                    link,
                    "peer_connection_failed",
                    f"The video connection to {link.remote.name or link.remote.role.value} "
                    f"could not be set up within {NEGOTIATION_TIMEOUT_S:.0f} s. The network "
                    "between the two sites may block it; a TURN relay may be needed (ask your "
                    "IT contact). Retrying.",
                )

    def _link_failed(self, link: PeerLink, code: str, message: str) -> None:
        self.stats.errors.append(code)
        self._log(ERROR, code=code, message=message)
        self.observer.on_error(code, message)
        if self.links.get(link.remote.id) is link:
            del self.links[link.remote.id]
        self._close_link(link)
        if not self.links:
            self._set_state(CallState.WAITING, self._waiting_detail())
        if self.role is Role.STATION and link.remote.id in self.peers:
            attempt = self._offer_attempts.get(link.remote.id, 0)
            self._offer_attempts[link.remote.id] = attempt + 1
            delay = REOFFER_BACKOFF_S[min(attempt, len(REOFFER_BACKOFF_S) - 1)]
            self._spawn(self._reoffer_later(link.remote.id, delay))

    async def _reoffer_later(self, peer_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        peer = self.peers.get(peer_id)
        if peer is not None and peer_id not in self.links:
            await self._offer_to(peer)

    def _new_link(self, peer: PeerInfo) -> PeerLink:
        link = PeerLink(
            peer,
            self._ice_servers,
            relay_only=self.config.ice_transport_policy == "relay",
            release_on_marker=self.config.media_tuning,
            on_channel_message=self._on_channel_message,
            on_channel_open=self._on_channel_open,
            on_state=self._on_link_state,
            on_audio=self._remote_audio,
        )
        self.links[peer.id] = link
        self._spawn(self._watch_negotiation(link))
        return link

    def _close_link(self, link: PeerLink) -> None:
        self.stats.absorb_link(link)
        if link.outgoing is not None:
            self.media.release(link.outgoing)
        self._spawn(link.close())

    def _remote_audio(self, track: MediaStreamTrack) -> None:
        if self.media.player is not None:
            self.media.player.add(track)

    def _on_link_state(self, link: PeerLink, state: str) -> None:
        logger.info("connection to %s: %s", link.remote.id, state)
        if self.links.get(link.remote.id) is not link:
            return
        if state == "connected":
            self._offer_attempts.pop(link.remote.id, None)
            self._refresh_stats()
            self._set_state(
                CallState.CONNECTED, f"connected to {link.remote.name or link.remote.role.value}"
            )
        elif state in ("failed", "closed") and link.remote.id not in self.peers:
            # A peer that lost the server and whose media has now stopped too.
            self.links.pop(link.remote.id, None)
            self._close_link(link)
            if not self.links:
                self._set_state(CallState.WAITING, self._waiting_detail())
        elif state == "failed":
            self._link_failed(
                link,
                "peer_connection_failed",
                f"The video connection to {link.remote.name or link.remote.role.value} failed. "
                "The network between the two sites may block it; a TURN relay may be needed "
                "(ask your IT contact). Retrying.",
            )

    # --- data channels ---------------------------------------------------------

    def _on_channel_open(self, link: PeerLink, label: str) -> None:
        if label == OPS_CHANNEL and self.role is Role.STATION:
            self._send_stream_info(link)
        self.collab.on_channel_open(link, label)

    def _send_stream_info(self, link: PeerLink) -> None:
        if self.pipeline is None:
            return
        info = self.pipeline.info
        origin = link.video_out.rtp_origin if link.video_out is not None else None
        link.send(
            OPS_CHANNEL,
            encode_channel(
                StreamInfo(
                    width=info.width,
                    height=info.height,
                    fps=info.fps,
                    source=source_label(self.media.source),  # never the file's name
                    rtp_origin=origin,
                    preset=self.media.config.quality,
                )
            ),
        )

    def _on_channel_message(self, link: PeerLink, label: str, data: str | bytes) -> None:
        if label == SNAPSHOT_CHANNEL:
            if isinstance(data, bytes):
                self.collab.on_snapshot_chunk(link, data)
            return

        def reply(answer: ChannelMessage, link: PeerLink = link) -> None:
            if not link.send(OPS_CHANNEL, encode_channel(answer)):
                self.send_app(link.remote.id, answer.to_wire())

        try:
            msg = parse_channel_message(data)
        except ProtocolError as exc:
            self.stats.rejected += 1
            logger.warning("rejected a %s message from %s: %s", label, link.remote.id, exc.reason)
            self.collab.on_rejected(link.remote, data, exc, reply)
            return
        if isinstance(msg, Probe):
            self.monitor.on_probe(link, msg)
        elif isinstance(msg, StreamInfo):
            self.stream_info = msg
            if link.sink is not None and msg.rtp_origin is not None:
                link.sink.rtp_origin = msg.rtp_origin
            self.observer.on_stream_info(msg)
        elif isinstance(msg, MediaRequest):
            self._media_request(link, msg)
        else:
            self.collab.on_message(link.remote, msg, reply)

    def _on_app(self, msg: App) -> None:
        """A channel message that came through the server (the data channel was down)."""
        peer = self.peers.get(msg.peer)
        if peer is None:
            return

        def reply(answer: ChannelMessage) -> None:
            # By the road the operation came: its sender may not have the channel.
            self.send_app(msg.peer, answer.to_wire())

        text = encode_object(msg.data)
        try:
            inner = parse_channel_message(text)
        except ProtocolError as exc:
            self.stats.rejected += 1
            logger.warning("rejected a relayed message from %s: %s", msg.peer, exc.reason)
            self.collab.on_rejected(peer, text, exc, reply)
            return
        if isinstance(inner, Probe | StreamInfo | MediaRequest):
            return
        self.stats.ops_via_server_received += 1
        self.collab.on_message(peer, inner, reply)

    # --- media -----------------------------------------------------------------

    def _local_frame(self, frame) -> None:  # type: ignore[no-untyped-def]
        self.observer.on_local_frame(frame)

    def _remote_frame(self, frame: ReceivedFrame) -> None:
        if frame.media_ts is not None:
            self.last_remote_media_ts = frame.media_ts
        if self.recording is not None:
            self.recording.remote_frame(frame)
        self.observer.on_remote_frame(frame)

    def _camera_frame(self, frame: ReceivedFrame) -> None:
        if self.recording is not None:
            self.recording.camera_frame(frame)
        self.observer.on_camera_frame(frame)

    def _media_problem(self, code: str, message: str) -> None:
        """A source, camera, microphone or speaker problem: reported, the call goes on."""
        self.stats.errors.append(f"{code}: {message}")
        self._log(ERROR, code=code, message=message)
        self.observer.on_error(code, message)

    # --- helpers ---------------------------------------------------------------

    def _refresh_stats(self) -> None:
        self.stats.update_from(self)

    def _set_state(self, state: CallState, detail: str) -> None:
        if state is CallState.CONNECTED and self.stats.connected_after_s is None:
            self.stats.connected_after_s = time.perf_counter() - self._started_at
        if state is not self.state:
            self._log(CALL_STATE, state=state.value, detail=detail)
        self.state = state
        self.observer.on_state(state, detail)

    def _fail(self, code: str, message: str) -> None:
        self.stats.errors.append(f"{code}: {message}")
        self._log(ERROR, code=code, message=message)
        self.observer.on_error(code, message)
        self._set_state(CallState.FAILED, message)

    def _spawn(self, coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            logger.error("call task failed: %r", exc, exc_info=exc)
            self.stats.errors.append(f"internal: {exc!r}")
