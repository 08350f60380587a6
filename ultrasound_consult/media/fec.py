"""Forward error correction for the ultrasound stream: one lost packet per frame, no round trip.

At 5 Mbps a 1024x768 frame is about 17 RTP packets, so at 1% packet loss one frame in
six loses a packet. A retransmission (NACK, then RTX) costs a round trip: at 40 ms RTT
those frames arrived 40 ms late and set the latency p95 (87 ms against a 70 ms goal).
aiortc has no FEC (no ULPFEC, FlexFEC or RED for video), so this adds the simplest one
that removes the round trip for the common case:

* the sender XORs the payloads of consecutive packets (a group: at least
  :data:`MIN_GROUP`, so that parity costs at most about 1/MIN_GROUP of the stream, and
  at most :data:`MAX_GROUP`) into one parity block and sends it, with each packet's
  length, marker and timestamp, on an unreliable, unordered data channel (``fec``)
  right after the frame that closes the group. On a 2 Mbit township link a frame is
  3-5 packets: one parity block per frame cost a third of the stream (measured 0.32
  Mbps beside 0.9 of video), so small frames share a group with the next frame (whose
  packets come 33 ms later: still far sooner than a retransmission at 120 ms RTT);
* the receiver, when a frame is missing exactly one packet of a group, rebuilds it
  from the parity and the others and feeds it to aiortc's receiver as if it had
  arrived; two or more missing wait for the retransmissions (NACKs still go out, and
  once all but one are back the parity fills the last).

It runs only while the link loses packets: on at the first loss the receiver reports,
off after :data:`QUIET_OFF_S` without loss. It yields to the call's other traffic: a
parity block is dropped, not queued, while the channel still holds unsent data (on a
congested link its bytes would otherwise sit in the SCTP queue in front of the
annotations). Wire format: docs/protocol.md ("fec").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add, uint16_gt

from ultrasound_consult.media.jitter import RECOVERED
from ultrasound_consult.media.seams import inject_rtp, replace_sender_history, sender_history

logger = logging.getLogger(__name__)

#: Packets per parity block (a keyframe of ~100 packets gets several).
MAX_GROUP = 24
#: A group closes at a frame's end once it holds this many packets (parity <= ~12%).
MIN_GROUP = 8
#: ... or once it has waited this long for more (a slow, small stream).
MAX_GROUP_WAIT_S = 0.07
#: FEC stays on this long after the last reported loss.
QUIET_OFF_S = 60.0
#: A parity block not used by then is forgotten.
PARITY_TTL_S = 1.0
VERSION = 2
# version, flags (v1: bit 0, the group ends the frame), payload type, count, ssrc,
# timestamp (of the first packet), first seq
_HEADER = struct.Struct("!BBBBIIH")
# v2, per packet: length, marker (0/1), timestamp - the first packet's (mod 2**32)
_PACKET = struct.Struct("!HBI")


@dataclass(frozen=True)
class Parity:
    ssrc: int
    timestamp: int
    payload_type: int
    first_seq: int
    lengths: tuple[int, ...]
    #: Per packet: its RTP marker bit and timestamp (a group may span frames).
    markers: tuple[bool, ...]
    timestamps: tuple[int, ...]
    xor: bytes

    @property
    def seqs(self) -> list[int]:
        return [uint16_add(self.first_seq, i) for i in range(len(self.lengths))]

    @property
    def ends_frame(self) -> bool:
        return bool(self.markers) and self.markers[-1]

    def pack(self) -> bytes:
        head = _HEADER.pack(
            VERSION,
            0,
            self.payload_type,
            len(self.lengths),
            self.ssrc,
            self.timestamp,
            self.first_seq,
        )
        per_packet = b"".join(
            _PACKET.pack(n, int(m), (ts - self.timestamp) % 2**32)
            for n, m, ts in zip(self.lengths, self.markers, self.timestamps, strict=True)
        )
        return head + per_packet + self.xor

    @classmethod
    def unpack(cls, data: bytes) -> Parity:
        """Raises ValueError on anything malformed (it comes from the network).

        Reads version 2 and the single-frame version 1 of older stations."""
        if len(data) < _HEADER.size:
            raise ValueError("parity block too short")
        version, flags, pt, count, ssrc, timestamp, first = _HEADER.unpack_from(data)
        if version not in (1, 2) or not 1 <= count <= MAX_GROUP:
            raise ValueError("unknown parity version or group size")
        if version == 1:
            end = _HEADER.size + 2 * count
            if len(data) < end:
                raise ValueError("parity block truncated")
            lengths = struct.unpack_from(f"!{count}H", data, _HEADER.size)
            markers = tuple(bool(flags & 1) and i == count - 1 for i in range(count))
            timestamps = (timestamp,) * count
        else:
            end = _HEADER.size + _PACKET.size * count
            if len(data) < end:
                raise ValueError("parity block truncated")
            rows = [
                _PACKET.unpack_from(data, _HEADER.size + _PACKET.size * i) for i in range(count)
            ]
            lengths = tuple(n for n, _, _ in rows)
            markers = tuple(bool(m) for _, m, _ in rows)
            timestamps = tuple((timestamp + d) % 2**32 for _, _, d in rows)
        xor = data[end:]
        if len(xor) != max(lengths):
            raise ValueError("parity length does not match the packets")
        return cls(ssrc, timestamp, pt, first, lengths, markers, timestamps, xor)


def xor_payloads(payloads: list[bytes], size: int) -> bytes:
    acc = np.zeros(size, np.uint8)
    for p in payloads:
        acc[: len(p)] ^= np.frombuffer(p, np.uint8)
    return acc.tobytes()


def make_parity(packets: list[RtpPacket]) -> Parity:
    """The parity of consecutive packets (of one frame or several)."""
    lengths = tuple(len(p.payload) for p in packets)
    first = packets[0]
    return Parity(
        ssrc=first.ssrc,
        timestamp=first.timestamp,
        payload_type=first.payload_type,
        first_seq=first.sequence_number,
        lengths=lengths,
        markers=tuple(bool(p.marker) for p in packets),
        timestamps=tuple(p.timestamp for p in packets),
        xor=xor_payloads([p.payload for p in packets], max(lengths)),
    )


def recover(parity: Parity, present: dict[int, bytes]) -> RtpPacket | None:
    """The one packet of the group missing from ``present`` (seq -> payload), or None."""
    seqs = parity.seqs
    missing = [s for s in seqs if s not in present]
    if len(missing) != 1:
        return None
    seq = missing[0]
    index = seqs.index(seq)
    others = [present[s] for s in seqs if s != seq]
    data = xor_payloads([parity.xor, *others], len(parity.xor))[: parity.lengths[index]]
    packet = RtpPacket(
        payload_type=parity.payload_type,
        marker=1 if parity.markers[index] else 0,
        sequence_number=seq,
        timestamp=parity.timestamps[index],
        ssrc=parity.ssrc,
        payload=data,
    )
    return packet


# --- sender ---------------------------------------------------------------------------


class _History(dict):
    """aiortc's sender keeps each packet it sends in a dict: we see each one there."""

    def __init__(self, original: dict[int, RtpPacket], on_packet: Callable[[RtpPacket], None]):
        super().__init__(original)
        self._on_packet = on_packet

    def __setitem__(self, key: int, packet: RtpPacket) -> None:
        super().__setitem__(key, packet)
        self._on_packet(packet)


class FecSender:
    """Builds a parity block for each frame of one sender and hands it to ``send``."""

    def __init__(
        self,
        sender: Any,
        send: Callable[[bytes], bool],
        *,
        backlog: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._backlog = backlog
        self._clock = clock
        self._group: list[RtpPacket] = []
        self._group_since = 0.0
        self._on_until = 0.0
        self.parity_sent = 0
        self.parity_yielded = 0
        self.bytes_sent = 0
        self.installed = False
        history = sender_history(sender)
        if history is not None:
            replace_sender_history(sender, _History(history, self._packet))
            self.installed = True
        else:
            logger.warning("aiortc's sender is not as expected; no forward error correction")

    @property
    def active(self) -> bool:
        return self._clock() < self._on_until

    def on_loss(self, loss_percent: float | None) -> None:
        """The receiver's latest loss report: any loss turns FEC on for a while."""
        if loss_percent:
            if not self.active:
                logger.info("packet loss %.2f%%: forward error correction on", loss_percent)
            self._on_until = self._clock() + QUIET_OFF_S

    def _packet(self, packet: RtpPacket) -> None:
        if not self.active:
            self._group.clear()
            return
        if self._group and packet.sequence_number != uint16_add(self._group[-1].sequence_number, 1):
            self._group.clear()  # a gap in what we saw: start afresh
        if not self._group:
            self._group_since = self._clock()
        self._group.append(packet)
        full = len(self._group) == MAX_GROUP
        closes = packet.marker and (
            len(self._group) >= MIN_GROUP or self._clock() - self._group_since >= MAX_GROUP_WAIT_S
        )
        if full or closes:
            parity = make_parity(self._group)
            self._group = []
            if self._backlog() > 0:
                self.parity_yielded += 1  # the channel is backed up: the others go first
                return
            data = parity.pack()
            if self._send(data):
                self.parity_sent += 1
                self.bytes_sent += len(data)


# --- receiver -------------------------------------------------------------------------


class FecReceiver:
    """Keeps parity blocks until their group is complete, rebuilding one lost packet."""

    def __init__(self, receiver: Any, buffer: Any, *, clock: Callable[[], float] = time.monotonic):
        self.receiver = receiver
        self.buffer = buffer  # the MarkerJitterBuffer (packets held, and its origin)
        self._clock = clock
        self._pending: dict[int, tuple[Parity, float]] = {}  # first seq -> parity, arrival
        self._tasks: set[asyncio.Task[None]] = set()
        self.received = 0
        self.recovered = 0
        self.rejected = 0
        buffer.on_packet = self._on_packet

    def on_parity(self, data: bytes) -> None:
        try:
            parity = Parity.unpack(data)
        except ValueError as exc:
            self.rejected += 1
            logger.debug("ignoring a parity block: %s", exc)
            return
        self.received += 1
        self._pending[parity.first_seq] = (parity, self._clock())
        self._try(parity)

    def _on_packet(self, packet: RtpPacket) -> None:
        """A packet reached the jitter buffer: it may complete a group but one."""
        if not self._pending:
            return
        for first, (parity, _) in list(self._pending.items()):
            offset = uint16_add(packet.sequence_number, -first)
            if offset < len(parity.lengths):
                self._try(parity)

    def _try(self, parity: Parity) -> None:
        now = self._clock()
        for first, (_parity, at) in list(self._pending.items()):
            if now - at > PARITY_TTL_S:
                del self._pending[first]
        origin = getattr(self.buffer, "_origin", None)
        if origin is not None and uint16_gt(origin, parity.seqs[-1]):
            self._pending.pop(parity.first_seq, None)  # the frame is gone (shown or dropped)
            return
        present = self._present(parity)
        if len(present) == len(parity.lengths):
            self._pending.pop(parity.first_seq, None)  # nothing lost
            return
        packet = recover(parity, present)
        if packet is None:
            return  # two or more missing: the retransmissions may bring all but one
        self._pending.pop(parity.first_seq, None)
        self.recovered += 1
        task = asyncio.get_running_loop().create_task(self._deliver(packet))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _present(self, parity: Parity) -> dict[int, bytes]:
        packets = self.buffer._packets
        capacity = self.buffer._capacity
        present = {}
        for seq in parity.seqs:
            p = packets[seq % capacity]
            if p is not None and p.sequence_number == seq and p.ssrc == parity.ssrc:
                present[seq] = p.payload
        return present

    async def _deliver(self, packet: RtpPacket) -> None:
        setattr(packet, RECOVERED, True)  # not an answer to a NACK: no round trip sample
        with contextlib.suppress(ConnectionError):
            await inject_rtp(self.receiver, packet, int(time.time() * 1000))
