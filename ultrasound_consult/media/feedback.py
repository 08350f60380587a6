"""Arrival feedback for congestion control: the viewer says when each packet arrived.

The viewer notes the arrival time of every RTP packet of the ultrasound stream and,
every :data:`REPORT_INTERVAL_S`, sends one report on the ``cc`` data channel
(unreliable, unordered: a lost report is simply not used). The station matches each
report with the send times its pacer recorded (``media/pacer.py``) and feeds both to
the controller (``media/congestion.py``).

Why not aiortc's REMB: its estimator runs on the viewer from the abs-send-time stamp,
which aiortc writes before the packet is paced, and its answer came back once a second
as a single number. On a 2 Mbit link with 120 ms round trip it settled at 1.63 Mbps
while the link's queue stood full at 0.5 s (measured; docs/media.md "Weak networks").
Per-packet arrival times let the station see the queue itself, 20 times a second.

Wire format (big-endian), docs/protocol.md "cc":
``version u8 (1), flags u8 (0), count u16, first_seq u16, ssrc u32,
reference i64 (µs, the viewer's monotonic clock)`` then ``count`` x ``u32``: arrival in µs
after the reference, or ``0xFFFFFFFF`` for a packet not (yet) received.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

VERSION = 1
REPORT_INTERVAL_S = 0.05
MAX_COUNT = 1024
NOT_RECEIVED = 0xFFFFFFFF
_HEADER = struct.Struct("!BBHHIq")


@dataclass(frozen=True)
class ArrivalReport:
    ssrc: int
    first_seq: int  # 16-bit
    #: Arrival time in seconds (viewer's clock) per packet from first_seq on; None if lost.
    arrivals: tuple[float | None, ...]

    def pack(self) -> bytes:
        if not 0 < len(self.arrivals) <= MAX_COUNT:
            raise ValueError("a report holds 1 to 1024 packets")
        times = [a for a in self.arrivals if a is not None]
        reference = min(times) if times else 0.0
        ref_us = int(reference * 1e6)
        offsets = [
            NOT_RECEIVED if a is None else min(NOT_RECEIVED - 1, max(0, int(a * 1e6) - ref_us))
            for a in self.arrivals
        ]
        return _HEADER.pack(
            VERSION, 0, len(offsets), self.first_seq, self.ssrc, ref_us
        ) + struct.pack(f"!{len(offsets)}I", *offsets)

    @classmethod
    def unpack(cls, data: bytes) -> ArrivalReport:
        if len(data) < _HEADER.size:
            raise ValueError("report too short")
        version, _flags, count, first_seq, ssrc, ref_us = _HEADER.unpack_from(data)
        if version != VERSION:
            raise ValueError(f"unknown report version {version}")
        if not 0 < count <= MAX_COUNT or len(data) != _HEADER.size + 4 * count:
            raise ValueError("report length does not match its count")
        offsets = struct.unpack_from(f"!{count}I", data, _HEADER.size)
        arrivals = tuple(None if o == NOT_RECEIVED else (ref_us + o) / 1e6 for o in offsets)
        return cls(ssrc, first_seq, arrivals)


def unwrap(seq16: int, near: int) -> int:
    """The 64-bit sequence number closest to ``near`` whose low 16 bits are ``seq16``."""
    candidate = (near & ~0xFFFF) | (seq16 & 0xFFFF)
    if candidate - near > 0x8000:
        candidate -= 0x10000
    elif near - candidate > 0x8000:
        candidate += 0x10000
    return candidate


class ArrivalLog:
    """The viewer's side: arrival times of one stream's packets, reported in batches."""

    def __init__(self) -> None:
        self.ssrc: int | None = None
        self._arrivals: dict[int, float] = {}
        self._next: int | None = None  # first unwrapped seq not yet reported
        self._highest: int | None = None
        self.reports = 0

    def on_packet(self, ssrc: int, seq16: int, at: float) -> None:
        if self.ssrc != ssrc:
            # A new stream (or the first packet): start afresh.
            self.ssrc, self._arrivals = ssrc, {}
            self._next = self._highest = None
        seq = seq16 if self._highest is None else unwrap(seq16, self._highest)
        if self._next is None:
            self._next = seq
        if seq < self._next:
            return  # reported already (as missing): a late or duplicate packet
        self._arrivals[seq] = at
        if self._highest is None or seq > self._highest:
            self._highest = seq

    def report(self) -> ArrivalReport | None:
        """Everything from the last report up to the newest packet, or None."""
        if self.ssrc is None or self._next is None or self._highest is None:
            return None
        if self._highest < self._next:
            return None
        first = max(self._next, self._highest - MAX_COUNT + 1)
        arrivals = tuple(self._arrivals.pop(s, None) for s in range(first, self._highest + 1))
        for s in [s for s in self._arrivals if s < first]:
            del self._arrivals[s]
        self._next = self._highest + 1
        self.reports += 1
        return ArrivalReport(self.ssrc, first & 0xFFFF, arrivals)
