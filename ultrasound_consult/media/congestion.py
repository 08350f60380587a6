"""Congestion control for the ultrasound stream: find the link's capacity from delay, hold it
without a standing queue.

A pure unit (no I/O, no aiortc): the pacer tells it each packet it sends
(:meth:`DelayController.on_sent`), the viewer's feedback says when each arrived
(:meth:`DelayController.on_feedback`, see ``media/feedback.py``), and it answers with
the rate the encoder should send at.

The model is GCC's (the delay-based half of Google Congestion Control), simplified for
one video stream whose send times we know exactly:

* **Queuing delay is the main signal.** Each packet's one-way delay is its arrival
  (viewer's clock) minus its send time (station's clock); the clocks' offset cancels
  against the *base*, the smallest one-way delay seen in the last
  :data:`BASE_WINDOW_S`. Jitter raises single packets, a queue raises them all, so
  the queue is read as the *smallest* delay over a window, above the base. On a
  jittery path (4G scheduling, +/-20 ms, packets kept in order) even the smallest of
  a few dozen packets sits 10-25 ms above the base (measured), so two windows are
  read: the last :data:`SLOW_WINDOW_S` (only packets sent since the last decrease)
  for a standing queue, and the newest :data:`FAST_PACKETS` for a queue building fast
  (a capacity drop).
* **Noise.** On a real path the smallest delay of a second still wanders (the
  viewer's own event loop, scheduling): over a 2 Mbit link with +/-20 ms jitter the
  per-second minima sat 0-30 ms above the ten-second minimum with no queue at all
  (measured). The median of the per-second minima above the base is taken as the
  path's noise, capped at :data:`NOISE_CAP_S`, and the thresholds below move up by
  it: at most a :data:`NOISE_CAP_S` standing queue can hide in the noise.
* **Over-use** (a standing queue above :data:`OVERUSE_S`, or a fast one above
  :data:`OVERUSE_FAST_S`): the rate drops to what the link delivered (the viewer's
  receive rate) less enough to drain the queue within :data:`DRAIN_S`; the capacity
  seen is remembered.
* **Under-use** (queuing delay below :data:`NORMAL_S`): the rate climbs, quickly
  (:data:`FAST_GROWTH` per second) while far below the capacity last seen, slowly
  (:data:`NEAR_GROWTH`) near it, only probing (:data:`PROBE_GROWTH`, doubling every
  :data:`PROBE_DOUBLING_S`) past it, and never beyond :data:`MAX_OVER_DELIVERED` times
  what the link is actually delivering, so probing cannot run ahead into a queue.
* In between, the rate holds.
* **Our own bursts are not congestion.** A keyframe (three frames' worth of bits,
  or a new encoder's first frame) queues behind itself at the bottleneck for a
  moment; while its packets are in flight only the standing-queue test applies
  (measured: every change of the ladder's rung, which starts with a keyframe, was
  taken for a queue building and cut the rate by a third).
* **Loss is the second signal**: random loss (township links lose 1-3% with no queue)
  leaves the rate alone; above :data:`HEAVY_LOSS` the rate falls by half the loss.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

#: One-way delays older than this no longer define the base (clocks drift slowly).
BASE_WINDOW_S = 10.0
#: The standing queue: the smallest delay of packets sent in this window (and since
#: the last decrease), less the base; no decision on fewer than SLOW_MIN_PACKETS.
SLOW_WINDOW_S = 1.0
SLOW_MIN_PACKETS = 12
#: A queue building fast: the smallest delay of the newest FAST_PACKETS packets (a
#: time window would still hold packets sent before the queue began: measured, a
#: drop from 8 to 1.5 Mbit went unseen for 0.8 s).
FAST_PACKETS = 6
#: At a decrease, the delivery rate is read over this much of the newest arrivals.
DECREASE_DELIVERY_WINDOW_S = 0.12
OVERUSE_S = 0.030
OVERUSE_FAST_S = 0.080
#: A queue both standing (slow above NORMAL_S) and growing (fast above this) is over-use
#: too: probing past the capacity is caught before a second's window fills.
GROWING_S = 0.045
NORMAL_S = 0.012
#: The most the thresholds move up for a noisy path.
NOISE_CAP_S = 0.025
#: After a decrease, wait this long (or a round trip, if longer) before another.
DECREASE_HOLD_S = 0.25
#: Drain a standing queue within about this long.
DRAIN_S = 0.5
BACKOFF = 0.85
MIN_BACKOFF = 0.35
#: Growth per second while far below the capacity last seen, and near it.
FAST_GROWTH = 0.25
NEAR_GROWTH = 0.08
#: Far below the capacity last seen (under half of it), climb back this fast.
RECOVERY_GROWTH = 0.6
#: At or past the capacity last seen, only probe: each probe past it is a queue
#: (measured on the township link: a 300-400 ms latency peak every 5 s at 5%/s). The
#: probe doubles every PROBE_DOUBLING_S without a queue, so that a link that grew is
#: found (1.5 -> 4 Mbit: 3 Mbps in about 8 s).
PROBE_GROWTH = 0.015
PROBE_DOUBLING_S = 1.5
#: Past this multiple of the capacity last seen, with no queue, that capacity is stale.
FORGET_CAPACITY = 1.1
#: Never ask for more than this times the rate the link is delivering (+ a margin).
MAX_OVER_DELIVERED = 1.5
OVER_DELIVERED_MARGIN_BPS = 150_000
#: The delivery rate is measured over this much arrival time.
DELIVERY_WINDOW_S = 0.5
HEAVY_LOSS = 0.10
LOSS_SMOOTHING = 0.3
#: Packets sent are remembered this long for feedback to match.
SENT_MEMORY_S = 5.0
#: A frame this many times the average is a burst of our own (a keyframe).
BURST_RATIO = 2.0


@dataclass
class SentPacket:
    sent_at: float
    size: int


@dataclass(frozen=True)
class ControllerState:
    """What the controller knows now (for statistics and the benchmark's series)."""

    target_bps: int
    queuing_delay_ms: float | None
    delivery_bps: int | None
    capacity_bps: int | None
    loss: float
    overuses: int


class DelayController:
    """The target bitrate from send times and the viewer's arrival times."""

    def __init__(self, *, start_bps: int, min_bps: int, max_bps: int) -> None:
        self.min_bps = min_bps
        self.max_bps = max(max_bps, min_bps)
        self._rate = float(min(max(start_bps, min_bps), self.max_bps))
        self._sent: dict[int, SentPacket] = {}
        self._sent_order: deque[int] = deque()
        #: (sent at, one-way delay) per packet, and per-second minima for the base.
        self._recent: deque[tuple[float, float]] = deque()
        self._base: deque[tuple[float, float]] = deque()  # (second bucket, min delay)
        self._delivered: deque[tuple[float, int]] = deque()  # (arrival, size)
        self._last_update: float | None = None
        self._last_decrease = -math.inf
        #: Packets sent before this still wait behind the queue a decrease is draining.
        self._settled_after = -math.inf
        self._capacity: float | None = None
        self.loss = 0.0
        self.queuing_delay: float | None = None
        self.noise = 0.0
        self.overuses = 0
        self.rtt = 0.1
        self._frame_bytes = 0
        self._average_frame: float | None = None
        #: Packets sent until then belong to (or queue behind) a burst of our own.
        self._burst_until = -math.inf
        self.bursts = 0
        #: Since when the rate has been probing past the capacity last seen.
        self._probe_since: float | None = None

    # --- inputs -------------------------------------------------------------------

    def on_sent(self, seq: int, size: int, at: float, *, frame_end: bool = False) -> None:
        """A packet of the stream left the pacer (``seq`` unwrapped, ``at`` station clock;
        ``frame_end``: the RTP marker, the last packet of a frame)."""
        self._sent[seq] = SentPacket(at, size)
        self._frame_bytes += size
        if frame_end:
            frame, self._frame_bytes = self._frame_bytes, 0
            average = self._average_frame
            if average is not None and frame > BURST_RATIO * average:
                # Until the bottleneck has carried it (at the rate we asked for).
                self._burst_until = at + frame * 8 / max(self._rate, 1.0) + 0.02
                self.bursts += 1
            else:
                self._average_frame = (
                    frame if average is None else average + 0.1 * (frame - average)
                )
        self._sent_order.append(seq)
        while self._sent_order and at - self._sent[self._sent_order[0]].sent_at > SENT_MEMORY_S:
            del self._sent[self._sent_order.popleft()]

    def on_rtt(self, rtt_s: float) -> None:
        if rtt_s > 0:
            self.rtt = rtt_s

    def on_feedback(self, arrivals: list[tuple[int, float | None]], now: float) -> int:
        """Arrival times (viewer's clock, None if not received) of sent packets.

        ``now`` is the station's clock. Returns the new target bitrate.
        """
        received = lost = 0
        for seq, arrival in arrivals:
            sent = self._sent.get(seq)
            if sent is None:
                continue  # not ours, or forgotten
            if arrival is None:
                lost += 1
                continue
            received += 1
            self._observe(sent.sent_at, arrival, arrival - sent.sent_at, sent.size)
        if received + lost:
            self.loss += LOSS_SMOOTHING * (lost / (received + lost) - self.loss)
        if received:
            self._update(now)
        return self.target_bps

    # --- state ----------------------------------------------------------------------

    @property
    def target_bps(self) -> int:
        return int(self._rate)

    @property
    def delivery_bps(self) -> float | None:
        return self._delivery(DELIVERY_WINDOW_S)

    def _delivery(self, window: float) -> float | None:
        """Bits per second that arrived over the newest ``window`` of arrival time
        (reports may come out of order: by arrival time, not by report)."""
        if len(self._delivered) < 4:
            return None
        newest = max(t for t, _ in self._delivered)
        recent = sorted((t, size) for t, size in self._delivered if newest - t <= window)
        if len(recent) < 4:
            return None
        span = newest - recent[0][0]
        if span < window * 0.4:
            return None
        # The first packet's bytes arrived before the span began.
        return sum(size for _, size in recent[1:]) * 8 / span

    def state(self) -> ControllerState:
        delivery = self.delivery_bps
        return ControllerState(
            target_bps=self.target_bps,
            queuing_delay_ms=None if self.queuing_delay is None else self.queuing_delay * 1000,
            delivery_bps=None if delivery is None else int(delivery),
            capacity_bps=None if self._capacity is None else int(self._capacity),
            loss=self.loss,
            overuses=self.overuses,
        )

    # --- the control law ----------------------------------------------------------

    def _observe(self, sent_at: float, arrival: float, delay: float, size: int) -> None:
        self._recent.append((sent_at, delay))
        while self._recent and sent_at - self._recent[0][0] > SLOW_WINDOW_S:
            self._recent.popleft()
        bucket = math.floor(arrival)
        if self._base and self._base[-1][0] == bucket:
            if delay < self._base[-1][1]:
                self._base[-1] = (bucket, delay)
        else:
            self._base.append((bucket, delay))
        while self._base and bucket - self._base[0][0] >= BASE_WINDOW_S:
            self._base.popleft()
        self._delivered.append((arrival, size))
        while self._delivered and arrival - self._delivered[0][0] > 2 * DELIVERY_WINDOW_S:
            self._delivered.popleft()

    def _queue(self, since: float, min_packets: int, base: float) -> float | None:
        delays = [d for sent_at, d in self._recent if sent_at >= since]
        if len(delays) < min_packets:
            return None
        return max(0.0, min(delays) - base)

    def _update(self, now: float) -> None:
        dt = 0.0 if self._last_update is None else min(now - self._last_update, 0.5)
        self._last_update = now
        base = min(d for _, d in self._base)
        minima = sorted(d for _, d in self._base)
        noise = min(NOISE_CAP_S, minima[len(minima) // 2] - base) if len(minima) >= 3 else 0.0
        self.noise = noise
        newest = self._recent[-1][0]
        slow = self._queue(max(newest - SLOW_WINDOW_S, self._settled_after), SLOW_MIN_PACKETS, base)
        fast = None
        if len(self._recent) >= FAST_PACKETS:
            newest_delays = [d for _, d in list(self._recent)[-FAST_PACKETS:]]
            fast = max(0.0, min(newest_delays) - base)
        self.queuing_delay = slow if slow is not None else fast
        delivery = self.delivery_bps
        settling = newest < self._settled_after
        own_burst = newest <= self._burst_until
        # While a decrease drains the queue, packets sent before it still show that queue
        # (and its losses): they say nothing of the new rate. A second cut on them took
        # the rate to its floor after a drop from 8 to 1.5 Mbit (measured).
        building = (
            not own_burst and not settling and fast is not None and fast > OVERUSE_FAST_S + noise
        )
        growing = (
            not own_burst
            and not settling
            and fast is not None
            and slow is not None
            and fast > GROWING_S + noise
            and slow > NORMAL_S + noise
        )
        standing = not settling and slow is not None and slow > OVERUSE_S + noise
        if building or growing or standing:
            if now - self._last_decrease >= max(DECREASE_HOLD_S, self.rtt):
                queuing = min(q for q in (slow, fast) if q is not None)
                # Only a real queue says what the link carries: a probe caught early
                # may be below it (the stream itself was the limit).
                real = building or standing
                self._decrease(queuing, self._delivery(DECREASE_DELIVERY_WINDOW_S), now, real)
        elif slow is not None and slow < NORMAL_S + noise and self.loss < HEAVY_LOSS:
            self._increase(dt, delivery)
        if (
            self.loss >= HEAVY_LOSS
            and not settling
            and now - self._last_decrease >= max(DECREASE_HOLD_S, self.rtt)
        ):
            self._rate *= 1 - 0.5 * self.loss
            self._last_decrease = now
        self._rate = min(max(self._rate, self.min_bps), self.max_bps)

    def _decrease(
        self, queuing: float, delivery: float | None, now: float, capacity_seen: bool
    ) -> None:
        self.overuses += 1
        self._last_decrease = now
        self._probe_since = None
        reference = delivery if delivery is not None else self._rate
        # Below the delivery rate by enough to empty the queue within DRAIN_S.
        factor = max(MIN_BACKOFF, BACKOFF - queuing / DRAIN_S)
        self._rate = min(self._rate, reference * factor)
        # The queue drains at (1 - factor) of the capacity: until then, packets sent
        # still show it and say nothing of the new rate.
        self._settled_after = now + self.rtt + queuing / max(0.15, 1 - factor)
        if delivery is not None and capacity_seen:
            self._capacity = delivery

    def _increase(self, dt: float, delivery: float | None) -> None:
        if self._capacity is not None and self._rate > FORGET_CAPACITY * self._capacity:
            self._capacity = None  # carried well past it without a queue: the link grew
        capacity = self._capacity
        probing = capacity is not None and self._rate > 0.95 * capacity
        near = capacity is not None and self._rate > 0.8 * capacity
        far = capacity is not None and self._rate < 0.5 * capacity
        if not probing:
            self._probe_since = None
        if probing:
            now = self._last_update or 0.0
            if self._probe_since is None:
                self._probe_since = now
            quiet = now - self._probe_since
            growth = min(FAST_GROWTH, PROBE_GROWTH * 2 ** (quiet / PROBE_DOUBLING_S))
        elif near:
            growth = NEAR_GROWTH
        else:
            growth = RECOVERY_GROWTH if far else FAST_GROWTH
        rate = self._rate * (1 + growth * dt)
        if delivery is not None:
            ceiling = MAX_OVER_DELIVERED * delivery + OVER_DELIVERED_MARGIN_BPS
            rate = min(rate, max(self._rate, ceiling))
        self._rate = rate
