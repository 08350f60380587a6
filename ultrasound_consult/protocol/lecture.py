"""A lecture's messages: the station's video goes to trainees through the SFU, and
these go beside it (on the data channel, or through the signalling server).

* ``lecture`` (station -> everyone): whether the call is a lecture, and whose voices
  are published on the SFU (the trainer's, an unmuted trainee's) for the others to hear.
* ``lecture.ctl`` (a trainer -> station): start or stop the lecture, unmute or mute a
  trainee, mark a question answered. Answered with an ``ack`` (or a refusal).
* ``lecture.hand`` / ``lecture.ask`` / ``lecture.report`` (a trainee -> station): a
  raised hand, a question in text (answered with an ``ack``), how well it watches.
* ``lecture.roster`` (station -> trainers and experts): who watches and how well, the
  raised hands and the questions in the order they came.

A trainee (an ``observer``) may send the signalling server only these three kinds
(:data:`TRAINEE_TYPES`); everything else from it is refused there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from ultrasound_consult.protocol.annotation import MAX_AUTHOR_CHARS
from ultrasound_consult.protocol.fields import (
    bad,
    opt_id,
    req_bool,
    req_enum,
    req_float,
    req_id,
    req_int,
    req_list,
    req_object,
    req_str,
)

#: Characters of one question (refused if longer: a cut question misleads).
MAX_QUESTION_CHARS = 300
#: Watchers and questions one roster lists (a county's trainees fit).
MAX_ROSTER = 200
MAX_QUESTIONS = 50
#: Voices published at once: the trainers' and one unmuted trainee's.
MAX_VOICES = 6


class LectureAction(StrEnum):
    START = "start"
    STOP = "stop"
    UNMUTE = "unmute"  # one trainee speaks to everyone (another one unmuted is muted)
    MUTE = "mute"
    ANSWERED = "answered"  # a question leaves the queue
    LOWER_HAND = "lower_hand"


@dataclass(frozen=True)
class Voice:
    """A voice published on the SFU: ``feed`` is its publisher id there."""

    peer: str
    feed: int

    def to_wire(self) -> dict[str, Any]:
        return {"peer": self.peer, "feed": self.feed}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Voice:
        return cls(peer=req_id(obj, "peer"), feed=req_int(obj, "feed", lo=2, hi=2**53))


@dataclass(frozen=True)
class LectureState:
    """The station's word on the lecture: on or off, who speaks through the SFU.

    ``speaker`` is the one trainee unmuted (or None); ``voices`` lists every voice
    feed to listen to, each participant skipping its own.
    """

    TYPE: ClassVar[str] = "lecture"
    on: bool
    speaker: str | None = None
    voices: tuple[Voice, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "on": self.on,
            "speaker": self.speaker,
            "voices": [v.to_wire() for v in self.voices],
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> LectureState:
        voices = req_list(obj, "voices", max_len=MAX_VOICES)
        return cls(
            on=req_bool(obj, "on"),
            speaker=opt_id(obj, "speaker"),
            voices=tuple(Voice.from_wire(_obj(v, "voices")) for v in voices),
        )

    def voice_of(self, peer: str) -> int | None:
        return next((v.feed for v in self.voices if v.peer == peer), None)


@dataclass(frozen=True)
class LectureControl:
    """A trainer's command to the station; ``peer`` names the trainee, ``question``
    the question, where the action needs one."""

    TYPE: ClassVar[str] = "lecture.ctl"
    op: str
    action: LectureAction
    peer: str | None = None
    question: str | None = None

    def __post_init__(self) -> None:
        if self.action in (LectureAction.UNMUTE, LectureAction.LOWER_HAND) and not self.peer:
            raise bad(f"'{self.action.value}' needs 'peer'")
        if self.action is LectureAction.ANSWERED and not self.question:
            raise bad("'answered' needs 'question'")

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "op": self.op,
            "action": self.action.value,
            "peer": self.peer,
            "question": self.question,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> LectureControl:
        return cls(
            op=req_id(obj, "op"),
            action=req_enum(obj, "action", LectureAction),
            peer=opt_id(obj, "peer"),
            question=opt_id(obj, "question"),
        )


@dataclass(frozen=True)
class Hand:
    """A trainee raises (or lowers) a hand."""

    TYPE: ClassVar[str] = "lecture.hand"
    up: bool

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "up": self.up}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Hand:
        return cls(up=req_bool(obj, "up"))


@dataclass(frozen=True)
class Question:
    """A trainee's question in text; the station answers with an ``ack`` of ``op``."""

    TYPE: ClassVar[str] = "lecture.ask"
    op: str
    text: str

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise bad("'text' must not be blank")
        if len(self.text) > MAX_QUESTION_CHARS:
            raise bad(f"'text' is longer than {MAX_QUESTION_CHARS} characters")

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "text": self.text}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Question:
        return cls(op=req_id(obj, "op"), text=req_str(obj, "text", max_len=MAX_QUESTION_CHARS))


@dataclass(frozen=True)
class WatchReport:
    """How well a trainee receives the lecture, every few seconds."""

    TYPE: ClassVar[str] = "lecture.report"
    fps: float
    kbps: float
    loss: float  # fraction of packets lost, 0..1
    rtt_ms: float | None = None
    watching: bool = True  # False while the SFU link is being made again

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, **self.fields()}

    def fields(self) -> dict[str, Any]:
        """The figures alone (inside a roster's watcher)."""
        return {
            "fps": round(self.fps, 1),
            "kbps": round(self.kbps, 1),
            "loss": round(self.loss, 4),
            "rtt_ms": None if self.rtt_ms is None else round(self.rtt_ms, 1),
            "watching": self.watching,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> WatchReport:
        rtt = obj.get("rtt_ms")
        return cls(
            fps=req_float(obj, "fps", lo=0.0, hi=240.0),
            kbps=req_float(obj, "kbps", lo=0.0, hi=1e6),
            loss=req_float(obj, "loss", lo=0.0, hi=1.0),
            rtt_ms=None if rtt is None else req_float(obj, "rtt_ms", lo=0.0, hi=60_000.0),
            watching=req_bool(obj, "watching"),
        )


@dataclass(frozen=True)
class Watcher:
    """One trainee as the trainer sees it."""

    peer: str
    name: str
    report: WatchReport | None = None
    hand: bool = False
    speaking: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "report": None if self.report is None else self.report.fields(),
            "hand": self.hand,
            "speaking": self.speaking,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Watcher:
        report = obj.get("report")
        return cls(
            peer=req_id(obj, "peer"),
            name=req_str(obj, "name", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            report=None if report is None else WatchReport.from_wire(_obj(report, "report")),
            hand=req_bool(obj, "hand"),
            speaking=req_bool(obj, "speaking"),
        )


@dataclass(frozen=True)
class QueuedQuestion:
    id: str
    peer: str
    name: str
    text: str
    at_ms: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "peer": self.peer,
            "name": self.name,
            "text": self.text,
            "at_ms": self.at_ms,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> QueuedQuestion:
        return cls(
            id=req_id(obj, "id"),
            peer=req_id(obj, "peer"),
            name=req_str(obj, "name", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            text=req_str(obj, "text", max_len=MAX_QUESTION_CHARS),
            at_ms=req_int(obj, "at_ms", lo=0, hi=2**53),
        )


@dataclass(frozen=True)
class Roster:
    """Who watches the lecture and what they ask, for the trainer (oldest first)."""

    TYPE: ClassVar[str] = "lecture.roster"
    watchers: tuple[Watcher, ...] = ()
    questions: tuple[QueuedQuestion, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "watchers": [w.to_wire() for w in self.watchers[:MAX_ROSTER]],
            "questions": [q.to_wire() for q in self.questions[:MAX_QUESTIONS]],
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Roster:
        watchers = req_list(obj, "watchers", max_len=MAX_ROSTER)
        questions = req_list(obj, "questions", max_len=MAX_QUESTIONS)
        return cls(
            watchers=tuple(Watcher.from_wire(_obj(w, "watchers")) for w in watchers),
            questions=tuple(QueuedQuestion.from_wire(_obj(q, "questions")) for q in questions),
        )


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(f"'{where}' must hold objects")
    return req_object({"v": value}, "v")


LectureMessage = LectureState | LectureControl | Hand | Question | WatchReport | Roster
LECTURE_MESSAGES = (LectureState, LectureControl, Hand, Question, WatchReport, Roster)
#: What a trainee may send through the signalling server (to the station).
#: A text message (``chat``) too: anyone admitted may write.
TRAINEE_TYPES = frozenset({Hand.TYPE, Question.TYPE, WatchReport.TYPE, "chat"})
