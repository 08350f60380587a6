"""A consult call from one participant's side: station, expert or observer.

The station owns the source (through the privacy-masking pipeline), offers a peer
connection to every viewer in the room, and keeps the authoritative annotation
scene. A viewer answers, shows the remote video, and sends annotations, cues and the
live pointer. This module is the call's lifecycle and public API; its parts each get
only what they use: the links (negotiation.py), what arrives (inbox.py), the stream
(stream_control.py), the recording (journal.py) and the expert's hands (collab.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ultrasound_consult.media.audio import AudioCapture, AudioOutput
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.receiver import ReceivedFrame
from ultrasound_consult.media.source import SourceError, VideoSource
from ultrasound_consult.protocol.channel import OPS_CHANNEL, StreamInfo
from ultrasound_consult.protocol.signaling import (
    LEFT,
    PeerInfo,
    PeerLeft,
    Role,
    Welcome,
)
from ultrasound_consult.record.bundle import (
    CALL_STATE,
    ERROR,
    LECTURE,
    PEER_JOINED,
    PEER_LEFT,
    SOURCE_SWITCH,
)
from ultrasound_consult.session.collab import Collaboration
from ultrasound_consult.session.config import CallConfig, CallError
from ultrasound_consult.session.inbox import Inbox
from ultrasound_consult.session.journal import Journal
from ultrasound_consult.session.lecture import Lecture
from ultrasound_consult.session.lecture_ports import LecturePorts
from ultrasound_consult.session.link_monitor import LinkMonitor, LinkStats
from ultrasound_consult.session.local_media import LocalMedia, MediaEvents
from ultrasound_consult.session.messenger import Messenger
from ultrasound_consult.session.negotiation import MESH_VIEWERS, LinkHooks, PeerLinks, mesh_notice
from ultrasound_consult.session.observer import CallObserver, CallState
from ultrasound_consult.session.opinions import clinic_keeper, device_signer
from ultrasound_consult.session.peer_link import PeerLink
from ultrasound_consult.session.ports import CollabPorts
from ultrasound_consult.session.recording import RecordingFailed, RecordingStart
from ultrasound_consult.session.room import Room, RoomHooks
from ultrasound_consult.session.signaling_client import SignalingError
from ultrasound_consult.session.source_label import source_label
from ultrasound_consult.session.stats import CallStats
from ultrasound_consult.session.stream_control import StreamControl

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from ultrasound_consult.media.pipeline import StationPipeline
    from ultrasound_consult.media.source import SourceFrame

logger = logging.getLogger(__name__)


class ConsultCall:
    """One participant's call: lifecycle, the signalling, media and the public API.

    The peer links are :class:`PeerLinks`' (negotiation.py), the recording the
    :class:`Journal`'s, the expert's hands :class:`Collaboration`'s, each given only
    what it uses. Everything here runs on the engine loop; a window reads none of
    it, it hears of changes through ``observer``.
    """

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
            MediaEvents(self._local_frame, self.observer.on_camera_frame, self._problem),
            source=source,
            mask=mask,
            camera=camera,
            audio=audio,
            speaker=speaker,
        )
        self.state = CallState.IDLE
        self.stats = CallStats(role=config.role.value)
        self.room = Room(
            config,
            self.observer,
            self.stats,
            RoomHooks(
                peer_joined=self._peer_joined,
                peer_left=self._peer_left,
                offer=lambda offer: self._spawn(self.peer_links.answer(offer)),
                answer=lambda answer: self.peer_links.accept_answer(answer),
                app=lambda msg: self.inbox.on_app(msg),
                rejoined=lambda welcome: self._welcomed(welcome, rejoined=True),
                error=self._problem,
            ),
        )
        #: Who is in the room (the room's, shared with the links).
        self.peers = self.room.peers
        self.journal = Journal(
            on_change=lambda on: self.collab.recorders.announce(on),
            on_failed=self._problem,
            spawn=self._spawn,
        )
        self.peer_links = PeerLinks(
            config,
            self.media,
            self.stats,
            self.peers,
            LinkHooks(
                send_signal=self.room.send,
                set_state=self._set_state,
                problem=lambda code, message: self._problem(code, message, summary=code),
                on_channel_message=lambda *args: self.inbox.on_channel(*args),
                on_channel_open=self._on_channel_open,
                on_remote_frame=self._remote_frame,
                on_camera_frame=self._camera_frame,
                on_rtp_origin=lambda link: self.stream.send_info(link),
                on_connected=self.refresh_stats,
                spawn=self._spawn,
                no_link=lambda peer: self.lecture.on and peer.role is Role.OBSERVER,
            ),
        )
        self.links = self.peer_links.links
        self.messenger = Messenger(
            lambda: self.links.values(),
            self.room.relay,
            fanout=lambda data: self.lecture.fanout(data),
        )
        self.collab = Collaboration(
            CollabPorts(
                role=config.role,
                messenger=self.messenger,
                events=self.observer,
                stats=self.stats,
                journal=self.journal,
                author=lambda: self.author,
                my_id=lambda: self.me.id if self.me else None,
                peer=self.peers.get,
                station=self.station_peer,
                frame_size=self.frame_size,
                media_ts=lambda: self.last_remote_media_ts,
                spawn=self._spawn,
                sign=None if config.role is Role.STATION else device_signer(),
                keep_opinion=clinic_keeper(config.room, self.journal)
                if config.role is Role.STATION
                else None,
                pointer_out=lambda msg: self.lecture.pointer(msg),
            )
        )
        self.lecture = Lecture(
            LecturePorts(
                config=config,
                media=self.media,
                messenger=self.messenger,
                events=self.observer,
                journal=self.journal,
                peers=self.peers,
                me=lambda: self.me,
                station=self.station_peer,
                request_sfu=self.room.request_sfu,
                fanout=self.room.fanout,
                has_link=self.peer_links.healthy,
                drop_link=self.peer_links.drop,
                offer_to=self.peer_links.offer_to,
                on_remote_frame=self._remote_frame,
                sync_viewer=self.collab.station.sync_viewer,
                set_connected=lambda detail: self._set_state(CallState.CONNECTED, detail),
                spawn=self._spawn,
            )
        )
        self.stream = StreamControl(
            config.role,
            self.media,
            lambda: self.links.values(),
            self.messenger,
            stats=self.stats,
            journal=self.journal,
            events=self.observer,
            author=lambda: self.author,
            station=self.station_peer,
        )
        self.monitor = LinkMonitor(
            lambda: list(self.links.values()),
            self._each_second,
            nominal_fps=self._nominal_fps,
        )
        self.inbox = Inbox(
            peer=self.peers.get,
            messenger=self.messenger,
            stats=self.stats,
            collab=self.collab,
            stream=self.stream,
            monitor=self.monitor,
            on_stream_info=self._on_stream_info,
            lecture=self.lecture,
        )
        #: What the station last said of its stream (a viewer's).
        self.stream_info: StreamInfo | None = None
        self.last_remote_media_ts: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._started_at = 0.0
        self._told_mesh = False

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
            self.collab.station.set_source_calibration(info.calibration, (info.width, info.height))
        try:
            welcome = await self.room.join()
        except SignalingError as exc:
            self._fail(exc.code, exc.message)
            await self.media.stop()
            raise CallError(exc.message) from None
        # Before the first offer goes out, so every peer gets sound and camera.
        await self.media.start_extras()
        self._set_state(CallState.WAITING, self.peer_links.waiting_detail())
        self._welcomed(welcome)
        self.monitor.start()
        if self.config.lecture and self.role is Role.STATION:
            self._spawn(self._lecture_from_start())

    async def _lecture_from_start(self) -> None:
        try:
            await self.lecture.start(self.author)
        except CallError as exc:
            self._problem("lecture_unavailable", f"The call stays a consult: {exc}")

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
            self._problem("source_unavailable", str(exc))
            return
        info = source.info
        self._log(SOURCE_SWITCH, source=info.description, width=info.width, height=info.height)
        self.journal.source_changed(source_label(source))
        self.collab.station.source_switched(info.calibration, (info.width, info.height))
        self.stream.send_info_to_all()

    async def stop(self) -> None:
        if self.journal.active:
            await self.stop_recording("the call ended")
        await self.monitor.stop()
        for task in list(self._tasks):
            task.cancel()
        await self.lecture.close()
        await self.peer_links.close_all()
        self.refresh_stats()
        await self.room.close()
        await self.media.stop()
        await self.collab.close()
        if self.state not in (CallState.FAILED,):
            self._set_state(CallState.ENDED, "call ended")

    # --- recording ----------------------------------------------------------------

    def start_recording(self, folder: Path) -> Path:
        """Record this call into a new bundle at ``folder``; everyone sees an indicator.

        Raises :class:`CallError` if it cannot start (folder not writable, not empty).
        """
        overlay = self.collab.overlay
        start = RecordingStart(
            room=self.config.room,
            author=self.author,
            role=self.role.value,
            source=self._source_description(),
            fps=self._nominal_fps(),
            camera_fps=self.media.camera_fps() if self.media.camera is not None else None,
            annotations=overlay.scene.annotations(),
            cues=overlay.guidance.entries(),
            calibration=overlay.calibration,
            state=self.state.value,
            people=self._people(),
        )
        try:
            path = self.journal.start(
                folder, start, pipeline=self.pipeline, camera=self.media.camera
            )
        except RecordingFailed as exc:
            raise CallError(str(exc)) from None
        if self.lecture.on:  # the recording starts inside a lecture: it says so
            self._log(LECTURE, on=True, watching=self.lecture.host.watchers())
        return path

    async def stop_recording(self, reason: str = "stopped by the user") -> Path | None:
        return await self.journal.stop(reason)

    def mark_moment(self, label: str = "") -> None:
        """A moment worth finding again in the recording (a key image, a finding)."""
        self.journal.marker(label, self.author)

    def _log(self, kind: str, **data: Any) -> None:
        self.journal.event(kind, **data)

    def _source_description(self) -> str:
        if self.pipeline is not None:  # a neutral label: no file name, no path
            return source_label(self.media.source)
        return self.stream_info.source if self.stream_info is not None else ""

    def _people(self) -> tuple[tuple[str, str, str], ...]:
        """Who is in the call, this side included: (peer id, name, role)."""
        people = [(p.id, p.name, p.role.value) for p in self.peers.values()]
        if self.me is not None:
            people.append((self.me.id, self.author, self.role.value))
        return tuple(people)

    def frame_size(self) -> tuple[int, int] | None:
        """The size of the ultrasound frame of this call (sent or received)."""
        if self.pipeline is not None:
            return (self.pipeline.info.width, self.pipeline.info.height)
        if self.stream_info is not None:
            return (self.stream_info.width, self.stream_info.height)
        return None

    # --- the room -------------------------------------------------------------

    @property
    def me(self) -> PeerInfo | None:
        return self.room.me

    def station_peer(self) -> PeerInfo | None:
        return self.room.station()

    def _welcomed(self, welcome: Welcome, *, rejoined: bool = False) -> None:
        """In the room (or back): the lecture takes its trainees, the links the rest."""
        for peer in welcome.peers:
            self.lecture.takes(peer)
        if rejoined:
            self.lecture.rejoined()
        self.peer_links.welcomed(welcome, rejoined=rejoined)

    def _peer_joined(self, peer: PeerInfo) -> None:
        self._log(PEER_JOINED, by=peer.name, role=peer.role.value)
        self.journal.people(self._people())
        viewers = sum(1 for _, _, role in self._people() if role != Role.STATION.value)
        if self.lecture.takes(peer):
            return  # a trainee of the lecture: it watches through the SFU
        if viewers > MESH_VIEWERS and not self._told_mesh and not self.lecture.on:
            self._told_mesh = True  # once a call: the point is made
            self._problem("mesh_limit", mesh_notice(viewers))
        if self.role is Role.STATION:
            self.collab.peer_joined(peer)
            self._spawn(self.peer_links.offer_to(peer))

    def _peer_left(self, msg: PeerLeft) -> None:
        # Only "left" is final. A peer whose server connection dropped may be back in a
        # moment, and its media (peer to peer) may never have stopped: keep the link
        # while it is up, and let its own state decide.
        if msg.reason != LEFT and self.peer_links.healthy(msg.peer_id):
            logger.info(
                "peer %s lost the server (%s); its media link stays", msg.peer_id, msg.reason
            )
            return
        peer = self.room.leave(msg.peer_id)
        if peer is not None:
            self._log(PEER_LEFT, by=peer.name, role=peer.role.value, reason=msg.reason)
            self.journal.people(self._people())
        self.peer_links.drop(msg.peer_id)
        if peer is not None:
            self.collab.forget(peer)
            self.lecture.left(peer)

    def _nominal_fps(self) -> float:
        if self.media.pipeline is not None:
            return self.media.send_fps()
        return self.stream_info.fps if self.stream_info is not None else 30.0

    # --- data channels ---------------------------------------------------------

    def _on_channel_open(self, link: PeerLink, label: str) -> None:
        if label == OPS_CHANNEL and self.role is Role.STATION:
            self.stream.send_info(link)
        self.collab.on_channel_open(link, label)

    def _on_stream_info(self, link: PeerLink, msg: StreamInfo) -> None:
        self.stream_info = msg
        if link.sink is not None and msg.rtp_origin is not None:
            link.sink.rtp_origin = msg.rtp_origin
        self.observer.on_stream_info(msg)

    # --- media -----------------------------------------------------------------

    def _local_frame(self, frame: SourceFrame) -> None:
        self.observer.on_local_frame(frame)

    def _remote_frame(self, frame: ReceivedFrame) -> None:
        if frame.media_ts is not None:
            self.last_remote_media_ts = frame.media_ts
        self.journal.remote_frame(frame)
        self.observer.on_remote_frame(frame)

    def _camera_frame(self, frame: ReceivedFrame) -> None:
        self.journal.camera_frame(frame)
        self.observer.on_camera_frame(frame)

    def _problem(self, code: str, message: str, *, summary: str | None = None) -> None:
        """Something the user must hear about (a source, camera, microphone, speaker or
        link problem, the server's error): counted, logged, shown; the call goes on."""
        self.stats.errors.append(summary or f"{code}: {message}")
        self._log(ERROR, code=code, message=message)
        self.observer.on_error(code, message)

    # --- helpers ---------------------------------------------------------------

    def _each_second(self, link_stats: tuple[LinkStats, ...]) -> None:
        """The monitor's tick: the summary's counters stay current, and a microphone
        that stopped delivering is reported (the window reads no engine state)."""
        self.refresh_stats()
        if self.media.microphone_went_silent(self.state is CallState.CONNECTED):
            self._problem(
                "microphone_silent",
                "The microphone sends no sound. Check it, or choose another one in Settings.",
            )
        self.observer.on_stats(link_stats)

    def refresh_stats(self) -> None:
        """Bring :attr:`stats` up to date (the monitor does it every second)."""
        self.stats.refresh(list(self.links.values()), self.media, self.monitor.latest)
        self.stats.lecture = self.lecture.summary()

    def _set_state(self, state: CallState, detail: str) -> None:
        if state is CallState.CONNECTED and self.stats.connected_after_s is None:
            self.stats.connected_after_s = time.perf_counter() - self._started_at
        if state is not self.state:
            self._log(CALL_STATE, state=state.value, detail=detail)
        self.state = state
        self.observer.on_state(state, detail)

    def _fail(self, code: str, message: str) -> None:
        self._problem(code, message)
        self._set_state(CallState.FAILED, message)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            logger.error("call task failed: %r", exc, exc_info=exc)
            self.stats.errors.append(f"internal: {exc!r}")
