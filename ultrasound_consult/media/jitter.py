"""The viewer's receive path: frames out as soon as they are complete, and loss repaired.

Three changes to aiortc's video receiver, all measured with ``ultrasound-consult bench``:

* **Release on the marker bit.** aiortc hands a frame to the decoder only when the
  *next* frame's first packet arrives (it waits to see a new timestamp), holding each
  frame back by up to a frame interval: 45 ms source-to-decoded p50, 17 ms with this.
  The sender marks the last packet of each frame (RFC 3551), so a frame is released
  as soon as it holds an unbroken run of packets ending with the marker.
* **NACK until repaired, within the latency budget.** aiortc asks for a lost packet
  when the gap is seen, and then again with *every* later gap (each NACK lists all
  that is missing); if the retransmission is lost too and no new gap comes, nothing
  asks again and every following frame waits behind the hole (up to a second at 1%
  loss). Here aiortc's generator only tracks the gaps (:class:`QuietNackGenerator`)
  and :class:`NackRetry` asks: a new gap at once, a packet still missing again once
  a round trip has passed without it (the round trip is measured from each NACK to
  its retransmission's arrival, never from a packet rebuilt by forward error
  correction; :data:`NACK_RETRY_S` until one is measured), and not at all once its
  answer could no longer arrive before the frame's deadline. Measured on the
  township profile before this: retransmissions were 36% of the video packets.
* **Give up cleanly.** A frame still incomplete after its deadline
  (:data:`FRAME_DEADLINE_S`, or 2.2 round trips on a longer path) is dropped with a
  keyframe request (PLI), and frames are skipped until that keyframe arrives: the
  expert sees the last good picture for a moment, never a corrupted one.

:func:`tune_receiver` installs this into an ``RTCRtpReceiver`` before media flows.
It reaches private attributes of aiortc's receiver, all named in ``media/seams.py``
and checked there at call start; with a mismatch the receiver stays stock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

from ultrasound_consult.media.seams import (
    check_receiver,
    packet_payload_data,
    receiver_jitter_buffer,
    receiver_missing,
    receiver_nack_generator,
    send_nack,
    set_receiver_jitter_buffer,
    set_receiver_nack_generator,
)

logger = logging.getLogger(__name__)

#: aiortc's own video jitter buffer size.
VIDEO_CAPACITY = 512
#: How often the retry loop looks, and the retry interval before a round trip is known.
NACK_RETRY_S = 0.03
NACK_MAX_TRIES = 8
#: Give up on a frame incomplete for this long (or DEADLINE_RTTS round trips, if
#: longer): ask for a keyframe instead.
FRAME_DEADLINE_S = 0.25
DEADLINE_RTTS = 2.2
#: ... but never longer than this: behind a bloated queue the round trip measured
#: 0.6 s, and frames waited 1.3 s for repairs instead of a keyframe (measured).
MAX_FRAME_DEADLINE_S = 0.4
#: While waiting for a keyframe, ask again this often: the station answers requests
#: that come soon after a keyframe with that keyframe, and if that one was lost too the
#: picture stayed frozen for good (measured once in a drop from 8 to 1.5 Mbit).
PLI_REPEAT_S = 0.5
#: Retry a NACK once this many round trips have passed without its packet.
RETRY_RTTS = 1.2
#: A gap is asked for after this long, unless the packet came meanwhile (reordering).
REORDER_S = 0.008


class MarkerJitterBuffer(JitterBuffer):
    def __init__(self, capacity: int = VIDEO_CAPACITY, *, clock: Any = time.monotonic) -> None:
        super().__init__(capacity=capacity, is_video=True)
        self._clock = clock
        self.released_on_marker = 0
        self.frames_abandoned = 0
        self.awaiting_keyframe = False
        self._asked_keyframe_at = -1e9
        self.keyframe_requests = 0
        self.last_ssrc: int | None = None
        self._head_since: float | None = None  # when the oldest frame's first packet came
        self._head_timestamp: int | None = None
        #: When the first packet of each recent frame (RTP timestamp) arrived.
        self._first_seen: dict[int, float] = {}
        #: Called with each packet once it is held (forward error correction listens).
        self.on_packet: Any = None
        #: Called with every packet added (the NACK retry loop measures round trips).
        self.on_arrival: Any = None
        #: The smoothed round trip (seconds) measured from NACKs to retransmissions.
        self.rtt: float | None = None
        #: The call's own round trip (its probe), until a NACK has been answered.
        self.rtt_hint: float | None = None

    @property
    def round_trip(self) -> float | None:
        return self.rtt if self.rtt is not None else self.rtt_hint

    @property
    def deadline(self) -> float:
        rtt = self.round_trip
        if rtt is None:
            return FRAME_DEADLINE_S
        return min(MAX_FRAME_DEADLINE_S, max(FRAME_DEADLINE_S, DEADLINE_RTTS * rtt))

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        self.last_ssrc = packet.ssrc
        if self.on_arrival is not None:
            self.on_arrival(packet)
        if packet.timestamp not in self._first_seen:
            self._first_seen[packet.timestamp] = self._clock()
            if len(self._first_seen) > 256:
                del self._first_seen[next(iter(self._first_seen))]
        pli, frame = super().add(packet)
        if self.on_packet is not None and frame is None:
            self.on_packet(packet)
        if frame is None and self._head_overdue():
            # Every frame already past its deadline goes: counted from its own first
            # packet, so frames queued behind a hole do not each wait a full deadline
            # in turn (five lost frames in a row stalled the picture 2 s: measured).
            while self._head_overdue():
                self._abandon_head()
            return self._ask_keyframe(), None
        # While waiting for a keyframe, skip every inter frame already complete (they
        # refer to what was lost); frames held behind the hole would else trickle out
        # one per arriving packet and delay the keyframe.
        while frame is not None and self.awaiting_keyframe and not is_vp8_keyframe(frame.data):
            frame = self._remove_frame(packet.sequence_number)
        if frame is not None:
            self.awaiting_keyframe = False
        elif self.awaiting_keyframe and self._clock() - self._asked_keyframe_at >= PLI_REPEAT_S:
            pli = self._ask_keyframe()
        return pli, frame

    def _ask_keyframe(self) -> bool:
        self._asked_keyframe_at = self._clock()
        self.keyframe_requests += 1
        return True

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        frame = self._frame_ending_in_marker()
        if frame is None:
            frame = super()._remove_frame(sequence_number)
        if frame is not None:
            self._head_since = self._head_timestamp = None
        return frame

    def _frame_ending_in_marker(self) -> JitterFrame | None:
        """The oldest frame, if all its packets up to the marker are here."""
        if self._origin is None:
            return None
        packets: list[RtpPacket] = []
        timestamp = None
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None  # a gap: wait for the packet (or its retransmission)
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                return None  # the frame ended without a marker: aiortc's rule applies
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                self.released_on_marker += 1
                data = b"".join(packet_payload_data(p) for p in packets)
                return JitterFrame(data=data, timestamp=timestamp)
        return None

    # --- giving up on a frame ----------------------------------------------------

    def _head(self) -> RtpPacket | None:
        """The first packet held after the origin (the oldest frame's earliest packet)."""
        if self._origin is None:
            return None
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is not None:
                return packet
        return None

    def _head_overdue(self) -> bool:
        head = self._head()
        if head is None:
            self._head_since = self._head_timestamp = None
            return False
        now = self._clock()
        if self._head_timestamp != head.timestamp:
            self._head_timestamp = head.timestamp
            self._head_since = self._first_seen.get(head.timestamp, now)
        return self._head_since is not None and now - self._head_since > self.deadline

    def _abandon_head(self) -> None:
        """Drop the oldest (incomplete) frame and wait for a keyframe."""
        assert self._origin is not None and self._head_timestamp is not None
        dropped = 0
        for _ in range(self._capacity):
            packet = self._packets[self._origin % self._capacity]
            if packet is not None and packet.timestamp != self._head_timestamp:
                break
            self._packets[self._origin % self._capacity] = None
            self._origin = uint16_add(self._origin, 1)
            dropped += 1
        self.frames_abandoned += 1
        self.awaiting_keyframe = True
        self._head_since = self._head_timestamp = None
        logger.info("gave up on a frame (%d packet slots); asked for a keyframe", dropped)


def is_vp8_keyframe(data: bytes) -> bool:
    """VP8 frame tag (RFC 6386 9.1): bit 0 clear means a keyframe."""
    return bool(data) and data[0] & 0x01 == 0


class QuietNackGenerator(NackGenerator):
    """aiortc's gap tracking without its NACKs (:class:`NackRetry` sends them)."""

    def __init__(self, previous: Any = None) -> None:
        super().__init__()
        if previous is not None:
            self.max_seq, self.missing = previous.max_seq, set(previous.missing)

    def add(self, packet: RtpPacket) -> bool:
        super().add(packet)
        return False


#: Set on a packet rebuilt from parity: it did not come back from a NACK.
RECOVERED = "_uc_recovered"


class NackRetry:
    """Asks again for packets still missing, once a round trip has passed without them."""

    def __init__(self, receiver: Any, buffer: MarkerJitterBuffer, *, clock: Any = time.monotonic):
        self.receiver = receiver
        self.buffer = buffer
        self._clock = clock
        self.tries: dict[int, int] = {}
        #: When each missing packet was last asked for.
        self.asked_at: dict[int, float] = {}
        self.sent = 0
        self.sent_first = 0
        self.rtt_samples = 0
        self.given_up = 0
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        #: Gaps seen, not yet asked for (waiting out the reordering window).
        self._noticed: set[int] = set()
        buffer.on_arrival = self._arrived

    async def _first_nack(self, ssrc: int, seqs: list[int]) -> None:
        """Ask for a new gap once the reordering window has passed without it."""
        await asyncio.sleep(REORDER_S)
        missing = receiver_missing(self.receiver)
        still = sorted(s for s in seqs if s in missing and s in self._noticed)
        self._noticed.difference_update(seqs)
        if not still:
            return
        now = self._clock()
        for seq in still:
            self.asked_at[seq], self.tries[seq] = now, 1
        self.sent_first += 1
        with contextlib.suppress(ConnectionError):
            await send_nack(self.receiver, ssrc, still)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="nack-retry")

    async def stop(self) -> None:
        for task in [self._task, *self._pending]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @property
    def retry_after(self) -> float:
        rtt = self.buffer.round_trip
        return NACK_RETRY_S if rtt is None else max(NACK_RETRY_S, RETRY_RTTS * rtt)

    def _arrived(self, packet: RtpPacket) -> None:
        # aiortc's receiver has just run the gap tracker on this packet: ask at once
        # for every packet newly missing.
        fresh = [
            s
            for s in receiver_missing(self.receiver)
            if s not in self.asked_at and s not in self._noticed
        ]
        if fresh and self.buffer.last_ssrc is not None:
            self._noticed.update(fresh)
            task = asyncio.get_running_loop().create_task(
                self._first_nack(self.buffer.last_ssrc, fresh)
            )
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        self._noticed.discard(packet.sequence_number)
        asked = self.asked_at.pop(packet.sequence_number, None)
        if asked is None or getattr(packet, RECOVERED, False):
            return
        sample = self._clock() - asked
        if self.tries.get(packet.sequence_number, 0) > 1:
            return  # which of several NACKs it answers is unknown (Karn's rule)
        rtt = self.buffer.rtt
        self.buffer.rtt = sample if rtt is None else rtt + 0.125 * (sample - rtt)
        self.rtt_samples += 1

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(NACK_RETRY_S)
            ssrc = self.buffer.last_ssrc
            missing = receiver_missing(self.receiver)
            if ssrc is None or not missing:
                self.tries.clear()
                self.asked_at.clear()
                continue
            now = self._clock()
            for seq in list(self.tries):
                if seq not in missing:
                    del self.tries[seq]
                    self.asked_at.pop(seq, None)
            again = []
            for seq in sorted(missing):
                if seq not in self.tries:
                    continue  # its first NACK is still waiting out the reordering window
                if now - self.asked_at.get(seq, now) < self.retry_after:
                    continue
                if self.tries[seq] >= NACK_MAX_TRIES or not self._answer_in_time(now):
                    continue
                self.tries[seq] += 1
                self.asked_at[seq] = now
                again.append(seq)
            if again:
                self.sent += 1
                try:
                    await send_nack(self.receiver, ssrc, again)
                except ConnectionError:
                    return

    def _answer_in_time(self, now: float) -> bool:
        """Could a retransmission asked for now still arrive before the oldest frame's
        deadline? (Past it, the frame is dropped for a keyframe anyway.)"""
        since = self.buffer._head_since
        rtt = self.buffer.round_trip
        if since is None or rtt is None:
            return True
        if now + rtt <= since + self.buffer.deadline:
            return True
        self.given_up += 1
        return False


def tune_receiver(receiver: Any) -> NackRetry | None:
    """Install the marker-release buffer and NACK retries; returns the retry loop to stop."""
    if not check_receiver(receiver):
        return None  # aiortc's stock receive path: frames released one frame late
    current = receiver_jitter_buffer(receiver)
    buffer = (
        current if isinstance(current, MarkerJitterBuffer) else MarkerJitterBuffer(current.capacity)
    )
    set_receiver_jitter_buffer(receiver, buffer)
    set_receiver_nack_generator(receiver, QuietNackGenerator(receiver_nack_generator(receiver)))
    retry = NackRetry(receiver, buffer)
    retry.start()
    return retry
