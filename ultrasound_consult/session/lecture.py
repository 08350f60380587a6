"""A call as a lecture: the station's picture goes once to a Janus SFU, and the
trainees watch from there.

* **The station** publishes its masked ultrasound and voice once (``SfuPublisher``),
  whatever the number of trainees; it stops offering peer links to trainees (those it
  had are closed: they watch through the SFU now) and keeps its links with experts and
  trainers, peer to peer (docs/lectures.md: why). Every scene change it sends to
  viewers goes to the trainees once, through the signalling server's fan-out, the
  expert's pointer too; it keeps the roster (``lecture_station.py``,
  ``lecture_host.py``).
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
from typing import Any

from ultrasound_consult.protocol.channel import Ack, ChannelMessage
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.janus import STATION_FEED, SfuGrant
from ultrasound_consult.protocol.lecture import (
    Hand,
    LectureAction,
    LectureControl,
    LectureState,
    Roster,
)
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.lecture_host import SPEAKER_FEED, LectureHost
from ultrasound_consult.session.lecture_ports import LecturePorts
from ultrasound_consult.session.lecture_seat import LectureSeat
from ultrasound_consult.session.lecture_station import StationSide, Uploads
from ultrasound_consult.session.lecture_voices import LectureVoices
from ultrasound_consult.session.messenger import Reply
from ultrasound_consult.session.observer import LectureStatus
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber
from ultrasound_consult.session.signaling_client import SignalingError

logger = logging.getLogger(__name__)


class Lecture(StationSide):
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
        self._uploads = Uploads(ports.media)
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

    # --- after a server restart -----------------------------------------------------

    def rejoined(self) -> None:
        """Back on the signalling server. If it restarted, it made a new SFU room for
        the lecture: the grant changes, and the upload, the view and the voices move."""
        if self.on or self.seat.view is not None:
            self.ports.spawn(self._regrant())

    async def _regrant(self) -> None:
        old = self._grant_cache
        try:
            grant = await self.ports.request_sfu(())
        except SignalingError as exc:
            logger.warning("no lecture grant after the server came back: %s", exc.message)
            return
        if old is not None and (grant.url, grant.room, grant.pin) == (old.url, old.room, old.pin):
            return  # the same room: everything rejoins by itself if it has to
        logger.info("the server has a new lecture room (%s): moving to it", grant.room)
        self._grant_cache = grant
        await self.voices.close()
        if self.role is Role.STATION and self.publisher is not None:
            old_publisher, self.publisher = self.publisher, None
            await old_publisher.close()
            self._uploads.release()
            refusal = await self._publish_to(grant, (STATION_FEED, SPEAKER_FEED))
            if refusal:
                self.ports.events.on_error("lecture_unavailable", refusal)
        elif self.seat.view is not None:
            await self.seat.unwatch()
            self.ports.spawn(self.seat.watch())
        self.voices.follow(self.state)

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
