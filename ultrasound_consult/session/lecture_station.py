"""The station's side of a lecture: it publishes once to the SFU, takes its trainees off
peer links, tells everyone the lecture's state, sends the trainees every scene change
once (the server's fan-out) and the expert's pointer, keeps the roster, and carries out
the trainers' commands (start, stop, unmute, answered). :class:`Lecture` is this plus
the trainee's and trainer's sides (``lecture.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ultrasound_consult.protocol.channel import Ack, ChannelMessage, Pointer
from ultrasound_consult.protocol.errors import ErrorCode
from ultrasound_consult.protocol.janus import STATION_FEED, JanusError, SfuGrant
from ultrasound_consult.protocol.lecture import (
    Hand,
    LectureAction,
    LectureControl,
    LectureState,
    Question,
    Roster,
    WatchReport,
)
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role
from ultrasound_consult.record.bundle import LECTURE
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.lecture_host import SPEAKER_FEED, LectureHost
from ultrasound_consult.session.lecture_ports import LecturePorts
from ultrasound_consult.session.lecture_voices import LectureVoices
from ultrasound_consult.session.local_media import LocalMedia
from ultrasound_consult.session.messenger import Reply
from ultrasound_consult.session.peer_link import OutgoingMedia
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber
from ultrasound_consult.session.signaling_client import SignalingError

logger = logging.getLogger(__name__)

#: The expert's pointer reaches trainees at most this often (it is sent to the
#: station at mouse rate; the server's fan-out is not the place for that).
POINTER_FANOUT_HZ = 15.0
#: How long the station waits for the SFU before it says the lecture cannot start.
PUBLISH_TIMEOUT_S = 15.0


class StationSide:
    """Mixed into :class:`Lecture`; what it uses of it is declared here."""

    ports: LecturePorts
    role: Role
    state: LectureState
    host: LectureHost
    voices: LectureVoices
    publisher: SfuPublisher | None
    _uploads: Uploads
    _grant_cache: SfuGrant | None
    _starting: asyncio.Future[str | None] | None
    _pointer_sent: dict[str, float]
    _pointer_later: dict[str, asyncio.TimerHandle]
    _follow_part: Callable[[SfuPublisher | SfuSubscriber], None]
    _notify: Callable[[], None]

    @property
    def on(self) -> bool:
        return self.state.on

    async def start(self, by: str = "") -> None:
        """Turn the call into a lecture (station). Raises :class:`CallError` with what
        the people asking should hear (no SFU, the SFU does not answer)."""
        refusal = await self._start(by)
        if refusal:
            raise CallError(refusal)

    async def _start(self, by: str) -> str | None:
        if self.role is not Role.STATION:
            return "only the station publishes the lecture"
        if self.on:
            return None
        if self._starting is not None:  # two trainers at once: one start
            return await asyncio.shield(self._starting)
        self._starting = asyncio.get_running_loop().create_future()
        try:
            refusal = await self._publish(by)
            self._starting.set_result(refusal)
            return refusal
        finally:
            self._starting = None

    async def _publish(self, by: str) -> str | None:
        trainers = [p for p in self.ports.peers.values() if p.role is Role.TRAINER]
        feeds = (STATION_FEED, SPEAKER_FEED, *(v.feed for v in self.host.voices(trainers)))
        try:
            # Whoever sits on the station's feed or a voice's (a stale session, a
            # trainee holding the pin) is put out first.
            grant = self._grant_cache = await self.ports.request_sfu(feeds)
        except SignalingError as exc:
            return exc.message
        refusal = await self._publish_to(grant, ())
        if refusal:
            return refusal
        trainees = [p for p in self.ports.peers.values() if p.role is Role.OBSERVER]
        for peer in trainees:
            self.ports.drop_link(peer.id)  # they watch through the SFU from now on
            self.host.seat(peer)
        self._set_state(LectureState(True, None, self._voices()))
        for peer in trainees:
            self._welcome_trainee(peer)
        self.ports.journal.event(LECTURE, on=True, by=by)
        logger.info("the call is a lecture now (SFU room %s)", grant.room)
        return None

    async def _publish_to(self, grant: SfuGrant, reclaim: tuple[int, ...]) -> str | None:
        """The one upload, to ``grant``'s room (after freeing ``reclaim`` there)."""
        if reclaim:
            try:
                grant = self._grant_cache = await self.ports.request_sfu(reclaim)
            except SignalingError as exc:
                return exc.message
        publisher = SfuPublisher(grant, self._uploads.next, display=self.ports.config.name)
        try:
            await publisher.start(timeout=PUBLISH_TIMEOUT_S)
        except (JanusError, TimeoutError, OSError) as exc:
            self._uploads.release()
            return f"the lecture relay (SFU) did not take the picture: {exc}"
        self.publisher = publisher
        self._follow_part(publisher)
        return None

    async def stop(self, by: str = "") -> None:
        """Back to a consult: trainees get peer links again (station)."""
        if self.role is not Role.STATION or not self.on:
            return
        self._set_state(LectureState(False))
        publisher, self.publisher = self.publisher, None
        if publisher is not None:
            await publisher.close()
        self._uploads.release()
        self.host.clear()
        self.ports.journal.event(LECTURE, on=False, by=by)
        for peer in list(self.ports.peers.values()):
            if peer.role is Role.OBSERVER:
                self.ports.spawn(self.ports.offer_to(peer))

    def takes(self, peer: PeerInfo) -> bool:
        """A peer joined (station): True if the lecture takes it (no peer link)."""
        if self.role is not Role.STATION:
            return False
        if not self.on:
            if peer.role is Role.OBSERVER:
                # A trainee of an earlier lecture (this station restarted) stops
                # waiting for the SFU and takes the peer link offered now.
                self.ports.messenger.to_peer(peer.id, self.state)
            return False
        if peer.role is Role.OBSERVER:
            self.host.seat(peer)
            self._welcome_trainee(peer)
            return True
        if peer.role is Role.TRAINER:
            self.ports.spawn(self._revoice())
        return False

    def left(self, peer: PeerInfo) -> None:
        if self.role is not Role.STATION or not self.on:
            return
        self.host.unseat(peer.id)
        self.ports.spawn(self._revoice())

    def _welcome_trainee(self, peer: PeerInfo) -> None:
        send = lambda msg: self.ports.messenger.to_peer(peer.id, msg)  # noqa: E731
        send(self.state)
        self.ports.sync_viewer(send)

    async def _revoice(self) -> None:
        """Voices changed (a speaker, a trainer came or went): free the feeds that
        change hands, then tell everyone."""
        voices = self._voices()
        new = tuple(v.feed for v in voices if v not in self.state.voices)
        if new:
            try:
                await self.ports.request_sfu(new)
            except SignalingError as exc:
                logger.warning("could not free the voices' feeds: %s", exc.message)
        if self.on:
            self._set_state(replace(self.state, speaker=self.host.speaker, voices=voices))

    def _voices(self) -> tuple[Any, ...]:
        trainers = [p for p in self.ports.peers.values() if p.role is Role.TRAINER]
        return self.host.voices(trainers)

    def _set_state(self, state: LectureState) -> None:
        """The station's word: to every viewer (links) and every trainee (fan-out)."""
        was_on = self.on
        self.state = state
        self.ports.messenger.to_viewers(state)  # links; trainees by fan-out while on
        if was_on and not state.on:
            self.ports.fanout(state.to_wire())  # ... and that it is over
        for peer in self.ports.peers.values():  # a trainer whose link is not up yet
            if peer.role in ANNOTATING_ROLES and not self.ports.has_link(peer.id):
                self.ports.messenger.to_peer(peer.id, state)
        self.voices.follow(state)
        self._notify()

    def fanout(self, data: dict[str, Any]) -> bool:
        """The messenger's hook: a message for every viewer goes to the trainees too,
        once, through the server (only while this station lectures)."""
        return self.role is Role.STATION and self.on and self.ports.fanout(data)

    def pointer(self, msg: Pointer) -> None:
        """An expert's pointer, for the trainees: at most POINTER_FANOUT_HZ per author,
        the latest position last (a trailing send)."""
        if not self.on or self.role is not Role.STATION:
            return
        author = msg.author
        now = time.monotonic()
        wait = 1.0 / POINTER_FANOUT_HZ - (now - self._pointer_sent.get(author, 0.0))
        pending = self._pointer_later.pop(author, None)
        if pending is not None:
            pending.cancel()
        if wait <= 0 or not msg.visible:
            self._pointer_sent[author] = now
            self.fanout(msg.to_wire())
            return
        self._pointer_later[author] = asyncio.get_running_loop().call_later(
            wait, self._pointer_late, msg
        )

    def _pointer_late(self, msg: Pointer) -> None:
        self._pointer_later.pop(msg.author, None)
        self._pointer_sent[msg.author] = time.monotonic()
        self.fanout(msg.to_wire())

    def _send_roster(self, roster: Roster) -> None:
        for peer in self.ports.peers.values():
            if peer.role in ANNOTATING_ROLES:
                self.ports.messenger.to_peer(peer.id, roster)
        self.ports.events.on_roster(roster)

    def _station_receive(self, peer: PeerInfo, msg: ChannelMessage, reply: Reply) -> None:
        if isinstance(msg, LectureControl):
            if peer.role not in ANNOTATING_ROLES:
                reply(Ack.refusal(msg.op, ErrorCode.FORBIDDEN, "only a trainer leads a lecture"))
                return
            self.ports.spawn(self._control(peer, msg, reply))
        elif isinstance(msg, Question):
            if peer.role is not Role.OBSERVER or not self.on:
                reply(
                    Ack.refusal(
                        msg.op, ErrorCode.FORBIDDEN, "questions are for a lecture's trainees"
                    )
                )
                return
            question = self.host.ask(peer, msg.text)
            if question is None:
                reply(
                    Ack.refusal(
                        msg.op, ErrorCode.RATE_LIMITED, "too many questions wait; ask again later"
                    )
                )
                return
            self.ports.journal.event(LECTURE, question=question.text, by=peer.name)
            reply(Ack(msg.op))
        elif isinstance(msg, Hand) and peer.role is Role.OBSERVER:
            self.host.hand(peer.id, msg.up)
        elif isinstance(msg, WatchReport) and peer.role is Role.OBSERVER:
            self.host.report(peer.id, msg)

    async def _control(self, peer: PeerInfo, msg: LectureControl, reply: Reply) -> None:
        refusal = await self.command(msg.action, msg.peer, msg.question, by=peer.name)
        reply(Ack(msg.op) if refusal is None else Ack.refusal(msg.op, ErrorCode.CONFLICT, refusal))

    async def command(
        self,
        action: LectureAction,
        peer: str | None = None,
        question: str | None = None,
        *,
        by: str = "",
    ) -> str | None:
        """Carry out a trainer's command at the station; the refusal's words, or None."""
        if action is LectureAction.START:
            return await self._start(by)
        if action is LectureAction.STOP:
            await self.stop(by)
            return None
        if not self.on:
            return "the call is not a lecture"
        if action is LectureAction.UNMUTE:
            if peer is None or not self.host.unmute(peer):
                return "that trainee is not watching the lecture"
            self.ports.messenger.to_peer(peer, Hand(False))  # the hand has been seen
            self.ports.journal.event(LECTURE, unmuted=self._name(peer), by=by)
        elif action is LectureAction.MUTE:
            self.host.mute()
        elif action is LectureAction.ANSWERED:
            if question is None or not self.host.answered(question):
                return "no such question in the queue"
            return None
        elif action is LectureAction.LOWER_HAND:
            if peer is not None:
                self.host.hand(peer, False)
                self.ports.messenger.to_peer(peer, Hand(False))
            return None
        await self._revoice()
        return None

    def _name(self, peer_id: str) -> str:
        peer = self.ports.peers.get(peer_id)
        return peer.name if peer is not None else peer_id


class Uploads:
    """The station's media for its one upload; a new set for each (re)publish, the
    last one's frames unhooked from the pipeline."""

    def __init__(self, media: LocalMedia) -> None:
        self._media = media
        self._out: OutgoingMedia | None = None

    def next(self) -> OutgoingMedia:
        self.release()
        # Janus sends no arrival reports: the rate follows its REMB (the room's cap).
        self._out = self._media.outgoing(arrival_reports=False)
        return self._out

    def release(self) -> None:
        out, self._out = self._out, None
        if out is not None:
            self._media.release(out)
