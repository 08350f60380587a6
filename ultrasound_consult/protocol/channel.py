"""Data-channel messages between the two apps of a call.

Two channels per peer connection:

* ``ops`` (reliable, ordered): annotation add/update/extend/remove/clear, calibration,
  guidance cues, acknowledgements, scene resync and the station's ``stream.info``.
  Each operation has an ``op`` id, is applied idempotently and is acknowledged by the
  receiver, so the author sees it arrived and the round trip is measured. Operations
  also carry ``seq``, counted per sender from 1: when the channel is down they travel
  through the signalling server instead, and the receiver puts both paths back in
  order (:class:`ultrasound_consult.annotate.sequencer.OpSequencer`).
* ``pointer`` (unreliable, unordered): the live pointer; ``seq`` lets the receiver
  drop stale updates that arrive late.

Messages stay well under 16 KiB, the size every SCTP stack delivers unfragmented.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from ultrasound_consult.protocol.annotation import (
    MAX_AUTHOR_CHARS,
    MAX_LABEL_CHARS,
    MAX_POINTS_PER_MESSAGE,
    Annotation,
    AnnotationKind,
    Point,
    check_points,
    wire_points,
)
from ultrasound_consult.protocol.chat import ChatSend
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.fields import (
    bad,
    decode_object,
    encode_object,
    is_id,
    message_type,
    opt_float,
    opt_int,
    opt_seq,
    opt_str,
    req_bool,
    req_color,
    req_enum,
    req_float,
    req_id,
    req_int,
    req_list,
    req_object,
    req_str,
)
from ultrasound_consult.protocol.guidance import CueCancel, CueSend, CueState
from ultrasound_consult.protocol.lecture import (
    LECTURE_MESSAGES,
    LectureControl,
    LectureMessage,
    Question,
)
from ultrasound_consult.protocol.opinion import OpinionSend

OPS_CHANNEL = "ops"
POINTER_CHANNEL = "pointer"
#: Binary parity blocks for the ultrasound stream (media.fec), unreliable and unordered.
FEC_CHANNEL = "fec"
#: Binary arrival reports (media.feedback) from a viewer, for the station's congestion
#: control; unreliable and unordered.
CC_CHANNEL = "cc"
#: Binary snapshot transfers (an expert's frozen, annotated frame), reliable and ordered.
SNAPSHOT_CHANNEL = "snap"
MAX_CHANNEL_BYTES = 16 * 1024
CHANNEL_VERSION = 1


@dataclass(frozen=True)
class AnnotationAdd:
    """Add an annotation (or replace one with the same id, keeping its drawing place).

    A stroke longer than :data:`MAX_POINTS_PER_MESSAGE` is sent as an add carrying its
    first points followed by :class:`AnnotationExtend` messages (:func:`annotation_ops`).
    """

    TYPE: ClassVar[str] = "ann.add"
    op: str
    ann: Annotation
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "op": self.op,
            "seq": self.seq,
            "ann": self.ann.to_wire(max_points=MAX_POINTS_PER_MESSAGE),
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationAdd:
        return cls(
            op=req_id(obj, "op"), ann=Annotation.from_wire(req_object(obj, "ann")), seq=opt_seq(obj)
        )


@dataclass(frozen=True)
class AnnotationUpdate:
    """Change an existing annotation: new points, label or colour (whichever is given)."""

    TYPE: ClassVar[str] = "ann.update"
    op: str
    id: str
    points: tuple[Point, ...] | None = None
    label: str | None = None
    color: str | None = None
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "op": self.op, "seq": self.seq, "id": self.id}
        if self.points is not None:
            out["points"] = wire_points(self.points)
        if self.label is not None:
            out["label"] = self.label
        if self.color is not None:
            out["color"] = self.color
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationUpdate:
        points = None
        if obj.get("points") is not None:
            points = check_points(req_list(obj, "points", max_len=MAX_POINTS_PER_MESSAGE))
        update = cls(
            op=req_id(obj, "op"),
            id=req_id(obj, "id"),
            points=points,
            label=opt_str(obj, "label", max_len=MAX_LABEL_CHARS),
            color=None if obj.get("color") is None else req_color(obj, "color"),
            seq=opt_seq(obj),
        )
        if update.points is None and update.label is None and update.color is None:
            raise bad("'ann.update' changes nothing: give points, label or color")
        return update


@dataclass(frozen=True)
class AnnotationExtend:
    """Append points to a freehand stroke (a stroke being drawn, or a long one sent in parts)."""

    TYPE: ClassVar[str] = "ann.extend"
    op: str
    id: str
    points: tuple[Point, ...]
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "op": self.op,
            "seq": self.seq,
            "id": self.id,
            "points": wire_points(self.points),
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationExtend:
        points = check_points(req_list(obj, "points", max_len=MAX_POINTS_PER_MESSAGE))
        if not points:
            raise bad("'ann.extend' needs at least one point")
        return cls(op=req_id(obj, "op"), id=req_id(obj, "id"), points=points, seq=opt_seq(obj))


@dataclass(frozen=True)
class AnnotationRemove:
    TYPE: ClassVar[str] = "ann.remove"
    op: str
    id: str
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "seq": self.seq, "id": self.id}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationRemove:
        return cls(op=req_id(obj, "op"), id=req_id(obj, "id"), seq=opt_seq(obj))


@dataclass(frozen=True)
class AnnotationClear:
    """Remove every annotation, or only those of ``author``."""

    TYPE: ClassVar[str] = "ann.clear"
    op: str
    author: str | None = None
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "seq": self.seq, "author": self.author}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationClear:
        return cls(
            op=req_id(obj, "op"),
            author=opt_str(obj, "author", max_len=MAX_AUTHOR_CHARS),
            seq=opt_seq(obj),
        )


class CalibrationOrigin(StrEnum):
    DICOM = "dicom"  # the source's ultrasound regions
    USER = "user"  # two points on the depth scale and a distance
    SYNTHETIC = "synthetic"  # the phantom knows its own scale
    NONE = "none"  # cleared: measurements show pixels


@dataclass(frozen=True)
class CalibrationSet:
    """The frame's scale, for every measurement on both sides.

    Sent by the station (from the source, or when its user calibrates) and by an
    expert who calibrates on the depth scale; the station applies it and tells every
    viewer, so all sides compute the same millimetres from the same numbers.
    ``width``/``height`` name the frame it belongs to; ``a``/``b``/``mm`` record the
    user's two points and distance.
    """

    TYPE: ClassVar[str] = "calib"
    op: str
    origin: CalibrationOrigin
    width: int
    height: int
    mm_per_px_x: float | None = None
    mm_per_px_y: float | None = None
    a: Point | None = None
    b: Point | None = None
    mm: float | None = None
    by: str = ""
    seq: int = 0

    def __post_init__(self) -> None:
        has_scale = self.mm_per_px_x is not None and self.mm_per_px_y is not None
        if (self.origin is CalibrationOrigin.NONE) == has_scale:
            raise bad("'calib' needs mm_per_px_x and mm_per_px_y unless its origin is 'none'")

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.TYPE,
            "op": self.op,
            "seq": self.seq,
            "origin": self.origin.value,
            "width": self.width,
            "height": self.height,
            "by": self.by,
        }
        if self.mm_per_px_x is not None:
            out["mm_per_px_x"] = self.mm_per_px_x
            out["mm_per_px_y"] = self.mm_per_px_y
        if self.a is not None and self.b is not None:
            out["a"], out["b"] = wire_points((self.a, self.b))
        if self.mm is not None:
            out["mm"] = self.mm
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> CalibrationSet:
        pts = [obj.get("a"), obj.get("b")]
        a = b = None
        if pts[0] is not None or pts[1] is not None:
            a, b = check_points([pts[0], pts[1]], "a/b")
        return cls(
            op=req_id(obj, "op"),
            origin=req_enum(obj, "origin", CalibrationOrigin),
            width=req_int(obj, "width", lo=1, hi=16384),
            height=req_int(obj, "height", lo=1, hi=16384),
            mm_per_px_x=opt_float(obj, "mm_per_px_x", lo=1e-4, hi=100.0),
            mm_per_px_y=opt_float(obj, "mm_per_px_y", lo=1e-4, hi=100.0),
            a=a,
            b=b,
            mm=opt_float(obj, "mm", lo=0.01, hi=10_000.0),
            by=opt_str(obj, "by", max_len=MAX_AUTHOR_CHARS, default="") or "",
            seq=opt_seq(obj),
        )


@dataclass(frozen=True)
class SceneSync:
    """Station to viewer: the whole scene follows (``begin``) or has been sent (``end``).

    Sent whenever the ops channel (re)opens, so a viewer that joins late or comes back
    after a network drop converges on the station's scene: on ``begin`` it forgets
    what it had, then applies the adds and extends that follow; on ``end`` it lays its
    own unconfirmed operations back on top (they are being re-sent).
    """

    TYPE: ClassVar[str] = "scene.sync"
    phase: str
    epoch: str
    count: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "phase": self.phase, "epoch": self.epoch, "count": self.count}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> SceneSync:
        phase = req_str(obj, "phase", max_len=8)
        if phase not in ("begin", "end"):
            raise bad("'phase' must be 'begin' or 'end'")
        return cls(phase=phase, epoch=req_id(obj, "epoch"), count=req_int(obj, "count", lo=0))


@dataclass(frozen=True)
class Ack:
    """The station's answer to one operation: applied (``ok``), or refused with an
    :class:`ErrorCode` value in ``code`` and a reason for people."""

    TYPE: ClassVar[str] = "ack"
    op: str
    ok: bool = True
    reason: str = ""
    code: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "op": self.op,
            "ok": self.ok,
            "code": self.code,
            "reason": self.reason,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Ack:
        return cls(
            op=req_id(obj, "op"),
            ok=req_bool(obj, "ok"),
            reason=opt_str(obj, "reason", max_len=512, default="") or "",
            code=opt_str(obj, "code", max_len=32, default="") or "",
        )

    @classmethod
    def refusal(cls, op: str, code: ErrorCode, reason: str) -> Ack:
        return cls(op, ok=False, reason=reason[:512], code=code.value)


@dataclass(frozen=True)
class StreamInfo:
    """What the station tells each viewer about the video it sends.

    ``rtp_origin`` maps received RTP timestamps to the station's media time:
    ``media_ts = ((rtp_ts - rtp_origin) mod 2**32) / 90000``.
    """

    TYPE: ClassVar[str] = "stream.info"
    width: int
    height: int
    fps: float
    source: str
    rtp_origin: int | None = None
    version: int = CHANNEL_VERSION
    #: The quality preset the station sends with ("" from an older station).
    preset: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "v": self.version,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "source": self.source,
            "rtp_origin": self.rtp_origin,
            "preset": self.preset,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> StreamInfo:
        return cls(
            width=req_int(obj, "width", lo=1, hi=16384),
            height=req_int(obj, "height", lo=1, hi=16384),
            fps=req_float(obj, "fps", lo=0.0, hi=1000.0),
            source=req_str(obj, "source", max_len=256, allow_empty=True),
            rtp_origin=opt_int(obj, "rtp_origin", lo=0, hi=2**32 - 1),
            version=req_int(obj, "v", lo=0),
            preset=opt_str(obj, "preset", max_len=32, default="") or "",
        )


@dataclass(frozen=True)
class Pointer:
    """The live pointer; ``visible`` False hides it (cursor left the image)."""

    TYPE: ClassVar[str] = "pointer"
    seq: int
    x: float
    y: float
    author: str
    visible: bool = True
    media_ts: float | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.TYPE,
            "seq": self.seq,
            "x": round(self.x, 5),
            "y": round(self.y, 5),
            "author": self.author,
            "visible": self.visible,
        }
        if self.media_ts is not None:
            out["media_ts"] = round(self.media_ts, 6)
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Pointer:
        return cls(
            seq=req_int(obj, "seq", lo=0),
            x=req_float(obj, "x", lo=0.0, hi=1.0),
            y=req_float(obj, "y", lo=0.0, hi=1.0),
            author=req_str(obj, "author", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            visible=req_bool(obj, "visible"),
            media_ts=opt_float(obj, "media_ts", lo=0.0),
        )


@dataclass(frozen=True)
class Probe:
    """A round-trip probe on the pointer channel; the other side echoes it with ``reply``."""

    TYPE: ClassVar[str] = "probe"
    seq: int
    reply: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "seq": self.seq, "reply": self.reply}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Probe:
        return cls(seq=req_int(obj, "seq", lo=0), reply=req_bool(obj, "reply"))


@dataclass(frozen=True)
class RecordingNotice:
    """Someone in the call started or stopped recording: everyone shows an indicator.

    A viewer sends it to the station, which tells every other viewer; a viewer that
    (re)connects hears who is recording from the station.
    """

    TYPE: ClassVar[str] = "rec"
    by: str
    on: bool

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "by": self.by, "on": self.on}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> RecordingNotice:
        return cls(
            by=req_str(obj, "by", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            on=req_bool(obj, "on"),
        )


@dataclass(frozen=True)
class MediaRequest:
    """A viewer asks the station for a fresh keyframe (the picture is smeared) and/or
    another quality preset (``preset``; empty: no change). The station decides."""

    TYPE: ClassVar[str] = "media.req"
    keyframe: bool = False
    preset: str = ""
    by: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "keyframe": self.keyframe, "preset": self.preset, "by": self.by}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> MediaRequest:
        return cls(
            keyframe=req_bool(obj, "keyframe"),
            preset=req_str(obj, "preset", max_len=32, allow_empty=True),
            by=req_str(obj, "by", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
        )


AnnotationOp = (
    AnnotationAdd | AnnotationUpdate | AnnotationExtend | AnnotationRemove | AnnotationClear
)
#: What a viewer sends the station, each acknowledged and counted in ``seq`` order.
ViewerOp = AnnotationOp | CalibrationSet | CueSend | CueCancel | ChatSend | OpinionSend
ChannelMessage = (
    ViewerOp
    | Ack
    | StreamInfo
    | Pointer
    | Probe
    | SceneSync
    | CueState
    | RecordingNotice
    | MediaRequest
    | LectureMessage
)
#: The operations that change the annotation scene (the first five of VIEWER_OPS).
ANNOTATION_OPS = (
    AnnotationAdd,
    AnnotationUpdate,
    AnnotationExtend,
    AnnotationRemove,
    AnnotationClear,
)
VIEWER_OPS = (
    AnnotationAdd,
    AnnotationUpdate,
    AnnotationExtend,
    AnnotationRemove,
    AnnotationClear,
    CalibrationSet,
    CueSend,
    CueCancel,
    ChatSend,
    OpinionSend,
)

_PARSERS = {
    cls.TYPE: cls.from_wire
    for cls in (
        *VIEWER_OPS,
        Ack,
        StreamInfo,
        Pointer,
        Probe,
        SceneSync,
        CueState,
        RecordingNotice,
        MediaRequest,
        *LECTURE_MESSAGES,
    )
}


#: Messages with an ``op`` that are answered (an ``ack``), a broken one too.
_OP_TYPES = frozenset(cls.TYPE for cls in (*VIEWER_OPS, LectureControl, Question))


def annotation_ops(
    ann: Annotation, new_op: Callable[[], tuple[str, int]]
) -> list[AnnotationAdd | AnnotationExtend]:
    """The messages that carry ``ann``: one add, plus extensions for a long stroke.

    ``new_op`` returns the next (op id, seq) pair of the sender.
    """
    head = ann.with_points(ann.points[:MAX_POINTS_PER_MESSAGE])
    op, seq = new_op()
    ops: list[AnnotationAdd | AnnotationExtend] = [AnnotationAdd(op, head, seq)]
    for start in range(MAX_POINTS_PER_MESSAGE, len(ann.points), MAX_POINTS_PER_MESSAGE):
        op, seq = new_op()
        ops.append(
            AnnotationExtend(op, ann.id, ann.points[start : start + MAX_POINTS_PER_MESSAGE], seq)
        )
    assert ann.kind is AnnotationKind.STROKE or len(ops) == 1
    return ops


def parse_channel_message(data: str | bytes) -> ChannelMessage:
    """Decode one data-channel message; raises :class:`ProtocolError` with a reason."""
    obj = decode_object(data, max_bytes=MAX_CHANNEL_BYTES)
    kind = message_type(obj)
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
    return parser(obj)


def rejected_op(data: str | bytes) -> tuple[str, int] | None:
    """The ``op`` id and ``seq`` of an operation that failed :func:`parse_channel_message`.

    Every operation is answered, a broken one too, so its sender stops resending it and
    the receiver can count its ``seq`` as used (the next operation is not held for the
    gap). None when there is nobody to answer: not a JSON object, no usable ``op`` id,
    or a message that is not an operation (answering an ``ack`` could loop).
    ``seq`` is 0 when missing or not a positive integer.
    """
    if not isinstance(data, str) or len(data) > MAX_CHANNEL_BYTES:
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind in _PARSERS and kind not in _OP_TYPES:
        return None
    op = obj.get("op")
    if not is_id(op):
        return None
    seq = obj.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        seq = 0
    return op, seq


def claimed_type(data: str | bytes) -> str | None:
    """The ``type`` a message that failed its check says it is (None if it says none)."""
    if not isinstance(data, str) or len(data) > MAX_CHANNEL_BYTES:
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return None
    kind = obj.get("type") if isinstance(obj, dict) else None
    return kind if isinstance(kind, str) else None


def encode_channel(msg: ChannelMessage) -> str:
    text = encode_object(msg.to_wire())
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise bad(f"{msg.TYPE} holds a lone UTF-16 surrogate, which is not text") from None
    if size > MAX_CHANNEL_BYTES:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE, f"{msg.TYPE} is larger than {MAX_CHANNEL_BYTES} bytes"
        )
    return text
