"""Snapshots: an expert's frozen frame with its annotations, sent to the station.

A snapshot is one blob: a 4-byte big-endian header length, a JSON header (id, author,
frame size, media time, the annotations drawn on it) and the encoded image (JPEG). It
travels on the binary ``snap`` channel (reliable, ordered) cut into chunks that each
fit the 16 KiB every SCTP stack delivers whole::

    b"SNP1" | transfer id (8 bytes) | index (u16) | count (u16) | payload

:class:`Reassembler` puts chunks back together with hard limits, so a hostile peer
cannot make the station hold more than a few megabytes.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

from ultrasound_consult.protocol.annotation import (
    MAX_AUTHOR_CHARS,
    MAX_STROKE_POINTS,
    Annotation,
)
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.fields import (
    bad,
    decode_object,
    encode_object,
    opt_float,
    opt_str,
    req_id,
    req_int,
    req_list,
    req_str,
)

MAGIC = b"SNP1"
_CHUNK_HEAD = struct.Struct(">4s8sHH")
CHUNK_PAYLOAD = 16 * 1024 - _CHUNK_HEAD.size - 64
MAX_SNAPSHOT_BYTES = 6 * 1024 * 1024
MAX_CHUNKS = -(-MAX_SNAPSHOT_BYTES // CHUNK_PAYLOAD)
MAX_HEADER_BYTES = 2 * 1024 * 1024
MAX_SNAPSHOT_ANNOTATIONS = 200
#: Transfers one peer may have half-done at once, and how long one may take.
MAX_OPEN_TRANSFERS = 3
TRANSFER_TIMEOUT_S = 30.0
#: The app sends JPEG only (8-bit, grey or colour); nothing else is decoded.
FORMATS = ("jpeg",)
#: The largest snapshot a station decodes when it does not know its stream's size.
MAX_SNAPSHOT_SIDE = 4096


@dataclass(frozen=True)
class SnapshotHeader:
    id: str
    author: str
    width: int
    height: int
    created_ms: int
    media_ts: float | None = None
    annotations: tuple[Annotation, ...] = ()
    note: str = ""
    format: str = "jpeg"

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "author": self.author,
            "width": self.width,
            "height": self.height,
            "created_ms": self.created_ms,
            "format": self.format,
            "annotations": [a.to_wire() for a in self.annotations],
        }
        if self.media_ts is not None:
            out["media_ts"] = round(self.media_ts, 6)
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> SnapshotHeader:
        fmt = req_str(obj, "format", max_len=8)
        if fmt not in FORMATS:
            raise bad(f"'format' must be one of {', '.join(FORMATS)}")
        raw = req_list(obj, "annotations", max_len=MAX_SNAPSHOT_ANNOTATIONS)
        return cls(
            id=req_id(obj, "id"),
            author=req_str(obj, "author", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            width=req_int(obj, "width", lo=1, hi=8192),
            height=req_int(obj, "height", lo=1, hi=8192),
            created_ms=req_int(obj, "created_ms", lo=0),
            media_ts=opt_float(obj, "media_ts", lo=0.0),
            annotations=tuple(Annotation.from_wire(a, max_points=MAX_STROKE_POINTS) for a in raw),
            note=opt_str(obj, "note", max_len=200, default="") or "",
            format=fmt,
        )


def pack_snapshot(header: SnapshotHeader, image: bytes) -> bytes:
    head = encode_object(header.to_wire()).encode("utf-8")
    blob = struct.pack(">I", len(head)) + head + image
    if len(head) > MAX_HEADER_BYTES or len(blob) > MAX_SNAPSHOT_BYTES:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE, f"snapshot is over {MAX_SNAPSHOT_BYTES} bytes"
        )
    return blob


def unpack_snapshot(blob: bytes) -> tuple[SnapshotHeader, bytes]:
    if len(blob) < 4:
        raise bad("snapshot is truncated")
    (n,) = struct.unpack(">I", blob[:4])
    if n > MAX_HEADER_BYTES or 4 + n > len(blob):
        raise bad("snapshot header length is wrong")
    try:
        text = blob[4 : 4 + n].decode("utf-8")
    except UnicodeDecodeError:
        raise bad("snapshot header is not UTF-8") from None
    header = SnapshotHeader.from_wire(decode_object(text, max_bytes=MAX_HEADER_BYTES))
    image = blob[4 + n :]
    if not image:
        raise bad("snapshot has no image")
    return header, image


def peek_snapshot_id(blob: bytes) -> str | None:
    """The id in a snapshot's header even if the rest is refused, to answer its sender."""
    try:
        (n,) = struct.unpack(">I", blob[:4])
        obj = json.loads(blob[4 : 4 + min(n, MAX_HEADER_BYTES)].decode("utf-8"))
        return req_id(obj, "id") if isinstance(obj, dict) else None
    except (struct.error, ValueError, RecursionError, ProtocolError):
        return None


def chunk_snapshot(blob: bytes, transfer_id: bytes | None = None) -> list[bytes]:
    tid = transfer_id or os.urandom(8)
    parts = [blob[i : i + CHUNK_PAYLOAD] for i in range(0, len(blob), CHUNK_PAYLOAD)] or [b""]
    if len(parts) > MAX_CHUNKS:
        raise ProtocolError(ErrorCode.MESSAGE_TOO_LARGE, "snapshot has too many chunks")
    return [_CHUNK_HEAD.pack(MAGIC, tid, i, len(parts)) + p for i, p in enumerate(parts)]


@dataclass
class _Transfer:
    count: int
    started: float
    parts: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


class Reassembler:
    """Chunks in, whole blobs out; anything malformed raises ``ProtocolError``."""

    def __init__(self) -> None:
        self._open: dict[bytes, _Transfer] = {}

    def push(self, data: bytes, now: float) -> bytes | None:
        self._expire(now)
        if not isinstance(data, bytes | bytearray) or len(data) < _CHUNK_HEAD.size:
            raise bad("snapshot chunk is too short")
        magic, tid, index, count = _CHUNK_HEAD.unpack_from(data)
        if magic != MAGIC:
            raise bad("not a snapshot chunk")
        if not 0 < count <= MAX_CHUNKS or index >= count:
            raise bad(f"snapshot chunk {index} of {count} is out of range")
        payload = bytes(data[_CHUNK_HEAD.size :])
        if len(payload) > CHUNK_PAYLOAD:
            raise bad("snapshot chunk is too large")
        transfer = self._open.get(tid)
        if transfer is None:
            if len(self._open) >= MAX_OPEN_TRANSFERS:
                raise ProtocolError(
                    ErrorCode.RATE_LIMITED, "too many snapshots in flight; wait for one to finish"
                )
            transfer = self._open[tid] = _Transfer(count, now)
        if transfer.count != count:
            del self._open[tid]
            raise bad("snapshot chunks disagree on their count")
        if index in transfer.parts:
            return None
        transfer.parts[index] = payload
        transfer.size += len(payload)
        if transfer.size > MAX_SNAPSHOT_BYTES:
            del self._open[tid]
            raise ProtocolError(
                ErrorCode.MESSAGE_TOO_LARGE, f"snapshot is over {MAX_SNAPSHOT_BYTES} bytes"
            )
        if len(transfer.parts) < count:
            return None
        del self._open[tid]
        return b"".join(transfer.parts[i] for i in range(count))

    def _expire(self, now: float) -> None:
        for tid in [t for t, tr in self._open.items() if now - tr.started > TRANSFER_TIMEOUT_S]:
            del self._open[tid]

    @property
    def in_flight(self) -> int:
        return len(self._open)


_SOF_MARKERS = frozenset(
    {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), 0xCD, 0xCE, 0xCF}
)
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


@dataclass(frozen=True)
class JpegInfo:
    width: int
    height: int
    components: int
    precision: int


def jpeg_info(data: bytes) -> JpegInfo:
    """The size of a JPEG read from its frame header, without decoding a pixel.

    A decoder allocates what the header says; reading it first lets a receiver refuse a
    decompression bomb (a small file claiming a huge picture) before any allocation.
    """
    if data[:3] != b"\xff\xd8\xff":
        raise bad("the snapshot image is not a JPEG")
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            raise bad("the snapshot JPEG is damaged")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            raise bad("the snapshot JPEG is damaged")
        if marker in _SOF_MARKERS:
            if pos + 10 > end:
                break
            precision = data[pos + 4]
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return JpegInfo(width, height, data[pos + 9], precision)
        pos += 2 + length
    raise bad("the snapshot JPEG has no frame header")


def check_snapshot_image(
    header: SnapshotHeader, image: bytes, *, max_size: tuple[int, int] | None
) -> None:
    """Refuse, before decoding, an image that is not what the app sends or is too large.

    ``max_size`` is the (width, height) of the stream the snapshot was taken from, when the
    receiver knows it; otherwise :data:`MAX_SNAPSHOT_SIDE` bounds each side.
    """
    limit_w, limit_h = max_size or (MAX_SNAPSHOT_SIDE, MAX_SNAPSHOT_SIDE)
    if header.width > limit_w or header.height > limit_h:
        raise bad(
            f"the snapshot is {header.width}x{header.height}, larger than the "
            f"{limit_w}x{limit_h} picture it was taken from"
        )
    info = jpeg_info(image)
    if (info.width, info.height) != (header.width, header.height):
        raise bad(
            f"the snapshot image is {info.width}x{info.height}, "
            f"not the {header.width}x{header.height} its header says"
        )
    if info.precision != 8 or info.components not in (1, 3):
        raise bad("the snapshot JPEG must be 8-bit grey or colour")
