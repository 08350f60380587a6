"""The station's side of a lecture: who watches and how well, raised hands, the
questions in the order they came, and who may speak.

The station is the lecture's authority, as it is the scene's: trainees tell it (a hand,
a question, a report on how well they watch), trainers ask it (start, stop, unmute,
answered), and it tells the trainers and experts what it has (:class:`Roster`), at most
:data:`ROSTER_EVERY_S` apart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from ultrasound_consult.protocol.lecture import (
    MAX_QUESTIONS,
    QueuedQuestion,
    Roster,
    Voice,
    Watcher,
    WatchReport,
)
from ultrasound_consult.protocol.signaling import PeerInfo

#: The roster goes out on a change, but not more often than this.
ROSTER_EVERY_S = 0.5
#: The unmuted trainee's voice feed; trainers' voices take the feeds from TRAINER_FEEDS.
SPEAKER_FEED = 2
TRAINER_FEEDS = 10


@dataclass
class _Seat:
    peer: PeerInfo
    report: WatchReport | None = None
    hand: bool = False


class LectureHost:
    def __init__(self, send_roster: Callable[[Roster], None]) -> None:
        self._send_roster = send_roster
        self._seats: dict[str, _Seat] = {}
        self._questions: list[QueuedQuestion] = []
        self.speaker: str | None = None
        self._serial = 0
        self._timer: asyncio.TimerHandle | None = None
        self._last_sent = 0.0

    # --- who watches ------------------------------------------------------------------

    def seat(self, peer: PeerInfo) -> None:
        self._seats.setdefault(peer.id, _Seat(peer))
        self.changed()

    def unseat(self, peer_id: str) -> bool:
        """``peer_id`` left; True if it was the one speaking."""
        self._seats.pop(peer_id, None)
        self._questions = [q for q in self._questions if q.peer != peer_id]
        speaking = self.speaker == peer_id
        if speaking:
            self.speaker = None
        self.changed()
        return speaking

    def watchers(self) -> int:
        return len(self._seats)

    def report(self, peer_id: str, report: WatchReport) -> None:
        seat = self._seats.get(peer_id)
        if seat is not None:
            seat.report = report
            self.changed()

    def hand(self, peer_id: str, up: bool) -> None:
        seat = self._seats.get(peer_id)
        if seat is not None and seat.hand != up:
            seat.hand = up
            self.changed()

    def ask(self, peer: PeerInfo, text: str) -> QueuedQuestion | None:
        """Queue a question; None when the queue is full (the trainee is told why)."""
        if len(self._questions) >= MAX_QUESTIONS:
            return None
        self._serial += 1
        question = QueuedQuestion(
            f"q{self._serial}", peer.id, peer.name, text, int(time.time() * 1000)
        )
        self._questions.append(question)
        self.changed()
        return question

    def answered(self, question_id: str) -> bool:
        before = len(self._questions)
        self._questions = [q for q in self._questions if q.id != question_id]
        self.changed()
        return len(self._questions) < before

    def unmute(self, peer_id: str) -> bool:
        """Let ``peer_id`` speak (whoever spoke before is muted); False if not watching."""
        if peer_id not in self._seats:
            return False
        self.speaker = peer_id
        self._seats[peer_id].hand = False
        self.changed()
        return True

    def mute(self) -> None:
        self.speaker = None
        self.changed()

    def voices(self, trainers: list[PeerInfo]) -> tuple[Voice, ...]:
        out = [Voice(t.id, TRAINER_FEEDS + i) for i, t in enumerate(sorted(trainers, key=_id))]
        if self.speaker is not None:
            out.append(Voice(self.speaker, SPEAKER_FEED))
        return tuple(out)

    # --- the roster --------------------------------------------------------------------

    def roster(self) -> Roster:
        watchers = tuple(
            Watcher(s.peer.id, s.peer.name, s.report, s.hand, s.peer.id == self.speaker)
            for s in sorted(self._seats.values(), key=lambda s: (s.peer.name, s.peer.id))
        )
        return Roster(watchers, tuple(self._questions))

    def changed(self) -> None:
        """Send the roster now, or once :data:`ROSTER_EVERY_S` has passed."""
        if self._timer is not None:
            return
        wait = ROSTER_EVERY_S - (time.monotonic() - self._last_sent)
        if wait <= 0:
            self._flush()
        else:
            self._timer = asyncio.get_running_loop().call_later(wait, self._flush)

    def _flush(self) -> None:
        self._timer = None
        self._last_sent = time.monotonic()
        self._send_roster(self.roster())

    def clear(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for seat in self._seats.values():
            seat.hand = False
        self._questions.clear()
        self.speaker = None


def _id(peer: PeerInfo) -> str:
    return peer.id
