"""A call as a lecture: the station's picture goes once to a Janus SFU, and the
trainees watch from there.

* **The station** publishes its masked ultrasound and voice once (``SfuPublisher``),
  whatever the number of trainees; it stops offering peer links to trainees (those it
  had are closed: they watch through the SFU now) and keeps its links with experts and
  trainers, peer to peer, for the lowest latency (README: the SFU hop's cost). Every
  scene change it sends to viewers goes to the trainees once, through the signalling
  server's fan-out (:meth:`fanout`), the expert's pointer too (at most
  :data:`POINTER_FANOUT_HZ` a second). It keeps the roster (``lecture_host.py``).
* **A trainee** watches through the SFU, reports how well, may raise a hand or ask a
  question, and speaks only when the trainer unmutes it (``lecture_seat.py``).
* **A trainer** starts and stops the lecture, sees the roster, answers questions and
  unmutes one trainee; its voice reaches the trainees through the SFU.

Without an SFU on the server the call stays a consult (peer to peer, up to
``MESH_VIEWERS`` viewers), and whoever asked hears why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from typing import Any

from ultrasound_consult.protocol.channel import Ack, ChannelMessage, Pointer
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
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
from ultrasound_consult.session.lecture_seat import LectureSeat
from ultrasound_consult.session.lecture_voices import LectureVoices
from ultrasound_consult.session.local_media import LocalMedia
from ultrasound_consult.session.messenger import Reply
from ultrasound_consult.session.observer import LectureStatus
from ultrasound_consult.session.peer_link import OutgoingMedia
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber
from ultrasound_consult.session.signaling_client import SignalingError

logger = logging.getLogger(__name__)

#: The expert's pointer reaches trainees at most this often (it is sent to the
#: station at mouse rate; the server's fan-out is not the place for that).
POINTER_FANOUT_HZ = 15.0
#: How long the station waits for the SFU before it says the lecture cannot start.
PUBLISH_TIMEOUT_S = 15.0


class Lecture:
    def __init__(self, ports: LecturePorts) -> None:
        self.ports = ports
        self.role = ports.config.role
        self.state = LectureState(False)
        self.host = LectureHost(self._send_roster)
        self.voices = LectureVoices(
            ports.media,
            self._grant,
            me=lambda: me.id if (me := ports.me()) else None,
            hears_directly=ports.has_link,
            spawn=ports.spawn,
            on_change=self._notify,
            display=lambda: ports.config.name or self.role.value,
        )
        self._grant_cache: SfuGrant | None = None
        #: Station: the one upload to the SFU, and its media (released on close).
        self.publisher: SfuPublisher | None = None
        self._uploads = _Uploads(ports.media)
        #: Trainee: the picture from the SFU, the hand, the questions.
        self.seat = LectureSeat(
            ports,
            on=lambda: self.on,
            grant=self._grant,
            new_op=self._new_op,
            follow_part=self._follow_part,
            notify=self._notify,
        )
        self._serial = 0
        #: Trainer: my commands not answered yet (op -> action).
        self._commands: dict[str, LectureAction] = {}
        self._pointer_sent: dict[str, float] = {}
        self._pointer_later: dict[str, asyncio.TimerHandle] = {}
        self._starting: asyncio.Future[str | None] | None = None
        self._followers: list[asyncio.Task[None]] = []
        self._final: dict[str, Any] | None = None

    @property
    def on(self) -> bool:
        return self.state.on

    # --- the station ---------------------------------------------------------------------

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
        publisher = SfuPublisher(grant, self._uploads.next, display=self.ports.config.name)
        try:
            await publisher.start(timeout=PUBLISH_TIMEOUT_S)
        except (JanusError, TimeoutError, OSError) as exc:
            self._uploads.release()
            return f"the lecture relay (SFU) did not take the picture: {exc}"
        self.publisher = publisher
        self._follow_part(publisher)
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
        for link in self.ports.messenger.viewer_links():
            self.ports.messenger.on_link(link, state) or self.ports.messenger.to_peer(
                link.remote.id, state
            )
        for peer in self.ports.peers.values():
            if peer.role in ANNOTATING_ROLES and not self.ports.has_link(peer.id):
                self.ports.messenger.to_peer(peer.id, state)
        if was_on or state.on:
            self.ports.fanout(state.to_wire())
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

    # --- messages, every role --------------------------------------------------------------

    def on_message(self, peer: PeerInfo, msg: ChannelMessage, reply: Reply) -> None:
        if self.role is Role.STATION:
            self._station_receive(peer, msg, reply)
        elif peer.role is Role.STATION:
            if isinstance(msg, LectureState):
                self._follow(msg)
            elif isinstance(msg, Roster):
                self.ports.events.on_roster(msg)
            elif isinstance(msg, Hand):  # the trainer lowered my hand
                self.seat.hand = msg.up
                self._notify()

    def on_ack(self, ack: Ack) -> bool:
        """An answer to one of my lecture messages; False if it is not one."""
        if self.seat.on_ack(ack):
            return True
        action = self._commands.pop(ack.op, None)
        if action is None:
            return False
        if not ack.ok:
            self.ports.events.on_error("lecture_refused", ack.reason)
        return True

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

    # --- trainers -------------------------------------------------------------------------

    def control(
        self, action: LectureAction, peer: str | None = None, question: str | None = None
    ) -> str:
        """A trainer's command to the station; returns its op id (the answer comes as
        an error if refused). Raises :class:`CallError` if the station cannot be reached."""
        if self.role not in ANNOTATING_ROLES:
            raise CallError("only a trainer leads a lecture")
        op = self._new_op("l")
        try:
            msg = LectureControl(op, action, peer, question)
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        station = self.ports.station()
        if self.ports.messenger.to_station(msg, station.id if station else None).value == "none":
            raise CallError("the station is not in the call")
        self._commands[op] = action
        return op

    # --- trainees -------------------------------------------------------------------------

    def _follow(self, state: LectureState) -> None:
        was_on = self.on
        self.state = state
        if self.role is Role.OBSERVER:
            if state.on and not was_on:
                self.ports.spawn(self.seat.watch())
            elif was_on and not state.on:
                self.ports.spawn(self.seat.unwatch())
                self.seat.hand = False
        self.voices.follow(state)
        self._notify()

    def _follow_part(self, part: SfuPublisher | SfuSubscriber) -> None:
        """Tell the window when the SFU link is lost and back (Janus restarted)."""

        async def follow() -> None:
            relayed = False
            while True:
                await part.changed.wait()
                part.changed.clear()
                if part.joined.is_set() != relayed:
                    relayed = part.joined.is_set()
                    self._notify()

        task = asyncio.ensure_future(follow())
        self._followers.append(task)
        task.add_done_callback(
            lambda t: self._followers.remove(t) if t in self._followers else None
        )

    def raise_hand(self, up: bool = True) -> None:
        """Raise (or lower) my hand (trainee)."""
        self.seat.raise_hand(up)

    def ask(self, text: str) -> str:
        """A question in text to the trainer's queue (trainee); returns its op id."""
        return self.seat.ask(text)

    # --- shared -----------------------------------------------------------------------------

    async def _grant(self) -> SfuGrant:
        if self._grant_cache is None:
            self._grant_cache = await self.ports.request_sfu(())
        return self._grant_cache

    def _new_op(self, prefix: str) -> str:
        self._serial += 1
        me = self.ports.me()
        return f"{prefix}-{me.id if me else 'x'}-{self._serial}"

    def status(self) -> LectureStatus:
        me = self.ports.me()
        speaker = self.state.speaker
        relayed = (
            self.publisher is not None and self.publisher.joined.is_set()
            if self.role is Role.STATION
            else self.seat.relayed
        )
        return LectureStatus(
            on=self.on,
            relayed=relayed,
            speaker=self._name(speaker) if speaker else "",
            speaking=bool(me and speaker == me.id),
            hand=self.seat.hand,
            asked=tuple(self.seat.asked.values()),
            listening=self.voices.listening,
            report=self.seat.report,
        )

    def summary(self) -> dict[str, Any] | None:
        """The lecture's part of the call's summary (None: never a lecture); after
        :meth:`close`, what it was when the call ended."""
        if self._final is not None:
            return self._final
        if self.publisher is None and self.seat.view is None and not self.on:
            return None
        out: dict[str, Any] = {"on": self.on, "relayed": self.status().relayed}
        if self.role is Role.STATION:
            out["watching"] = self.host.watchers()
            out["questions_waiting"] = len(self.host.roster().questions)
            if self.publisher is not None:
                out["rejoins"] = self.publisher.rejoins
        else:
            out.update(self.seat.summary())
        out["voices_heard"] = self.voices.listening
        return out

    def _notify(self) -> None:
        self.ports.events.on_lecture(self.status())

    async def close(self) -> None:
        self._final = self.summary()
        for task in list(self._followers):
            task.cancel()
        for handle in self._pointer_later.values():
            handle.cancel()
        self._pointer_later.clear()
        await self.voices.close()
        await self.seat.unwatch()
        publisher, self.publisher = self.publisher, None
        if publisher is not None:
            await publisher.close()
        self._uploads.release()
        with contextlib.suppress(Exception):
            self.host.clear()


class _Uploads:
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
