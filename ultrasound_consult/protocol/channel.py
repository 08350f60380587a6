"""Data-channel messages between the two apps of a call.

Two channels per peer connection:

* ``ops`` (reliable, ordered): annotation add/remove/clear, acknowledgements, and the
  station's ``stream.info``. Each operation has an ``op`` id, is applied idempotently
  and is acknowledged by the receiver, so the author sees it arrived and the round
  trip is measured.
* ``pointer`` (unreliable, unordered): the live pointer; ``seq`` lets the receiver
  drop stale updates that arrive late.

Messages stay well under 16 KiB, the size every SCTP stack delivers unfragmented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ultrasound_consult.protocol.annotation import MAX_AUTHOR_CHARS, Annotation
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.fields import (
    decode_object,
    encode_object,
    message_type,
    opt_float,
    opt_int,
    opt_str,
    req_bool,
    req_float,
    req_id,
    req_int,
    req_object,
    req_str,
)

OPS_CHANNEL = "ops"
POINTER_CHANNEL = "pointer"
#: Binary parity blocks for the ultrasound stream (media.fec), unreliable and unordered.
FEC_CHANNEL = "fec"
MAX_CHANNEL_BYTES = 16 * 1024
CHANNEL_VERSION = 1


@dataclass(frozen=True)
class AnnotationAdd:
    TYPE: ClassVar[str] = "ann.add"
    op: str
    ann: Annotation

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "ann": self.ann.to_wire()}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationAdd:
        return cls(op=req_id(obj, "op"), ann=Annotation.from_wire(req_object(obj, "ann")))


@dataclass(frozen=True)
class AnnotationRemove:
    TYPE: ClassVar[str] = "ann.remove"
    op: str
    id: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "id": self.id}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationRemove:
        return cls(op=req_id(obj, "op"), id=req_id(obj, "id"))


@dataclass(frozen=True)
class AnnotationClear:
    """Remove every annotation, or only those of ``author``."""

    TYPE: ClassVar[str] = "ann.clear"
    op: str
    author: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "author": self.author}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> AnnotationClear:
        return cls(op=req_id(obj, "op"), author=opt_str(obj, "author", max_len=MAX_AUTHOR_CHARS))


@dataclass(frozen=True)
class Ack:
    TYPE: ClassVar[str] = "ack"
    op: str
    ok: bool = True
    reason: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "ok": self.ok, "reason": self.reason}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Ack:
        return cls(
            op=req_id(obj, "op"),
            ok=req_bool(obj, "ok"),
            reason=opt_str(obj, "reason", max_len=512, default="") or "",
        )


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

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "v": self.version,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "source": self.source,
            "rtp_origin": self.rtp_origin,
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


AnnotationOp = AnnotationAdd | AnnotationRemove | AnnotationClear
ChannelMessage = (
    AnnotationAdd | AnnotationRemove | AnnotationClear | Ack | StreamInfo | Pointer | Probe
)

_PARSERS = {
    cls.TYPE: cls.from_wire
    for cls in (AnnotationAdd, AnnotationRemove, AnnotationClear, Ack, StreamInfo, Pointer, Probe)
}


def parse_channel_message(data: str | bytes) -> ChannelMessage:
    """Decode one data-channel message; raises :class:`ProtocolError` with a reason."""
    obj = decode_object(data, max_bytes=MAX_CHANNEL_BYTES)
    kind = message_type(obj)
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
    return parser(obj)


def encode_channel(msg: ChannelMessage) -> str:
    text = encode_object(msg.to_wire())
    if len(text.encode("utf-8")) > MAX_CHANNEL_BYTES:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE, f"{msg.TYPE} is larger than {MAX_CHANNEL_BYTES} bytes"
        )
    return text
