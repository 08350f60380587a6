"""Network impairment in user space, for the benchmark only.

The kernel here has no ``netem``, so delay, jitter, loss, a rate cap and link
outages are applied where the app hands datagrams to the network: aioice's
``StunProtocol.send_data``, wrapped in the benchmark's own processes. Each side
impairs what it sends, so ``delay`` is one way and the round trip is twice it.
Never installed in a normal call.

Profile text: ``delay=20ms,jitter=5ms,loss=1%,rate=4mbit,down=5s@10s`` (any subset),
or a name from :data:`PROFILES`. Conditions combine, as users meet them:

* ``rate=8mbit,rate=1.5mbit@20s,rate=4mbit@40s``: the capacity changes during the call
  (times from the start of the call's schedule);
* ``ge=0.5%:25%``: bursty loss, a Gilbert-Elliott chain: from the good state a packet
  moves to the bad state with the first probability, back with the second, and every
  packet sent in the bad state is lost (here 2% on average, in bursts of 4 on average).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass
from typing import Any

PROFILES = {
    "none": "",
    # The reference: 40 ms round trip and 1% loss each way.
    "rtt40-loss1": "delay=20ms,loss=1%",
    # A 4G link: 50 ms round trip with jitter, a little loss, 8 Mbit up.
    "4g": "delay=25ms,jitter=8ms,loss=0.5%,rate=8mbit",
    # A township clinic's uplink: 120 ms round trip, +/-20 ms jitter, 2% loss, 2 Mbit.
    "township": "delay=60ms,jitter=20ms,loss=2%,rate=2mbit",
    # The same with the loss in bursts (2% on average, 4 packets a burst on average).
    "township-bursty": "delay=60ms,jitter=20ms,ge=0.5%:25%,rate=2mbit",
    # 4G whose capacity falls from 8 to 1.5 Mbit, then comes back to 4 (times from the
    # start of the call: the benchmark measures from 10 s on).
    "4g-step": "delay=25ms,jitter=8ms,loss=0.5%,rate=8mbit,rate=1.5mbit@15s,rate=4mbit@27s",
    "step-down": "delay=25ms,jitter=8ms,rate=8mbit,rate=1.5mbit@15s",
    "step-up": "delay=25ms,jitter=8ms,rate=1.5mbit,rate=4mbit@15s",
    "outage": "down=5s@8s",
}

_UNITS = {"ms": 1e-3, "s": 1.0, "kbit": 1e3, "mbit": 1e6, "%": 0.01}
_ITEM = re.compile(
    r"^(?P<key>delay|jitter|loss|rate|down)=(?P<value>[\d.]+)(?P<unit>ms|s|kbit|mbit|%)(?:@(?P<at>[\d.]+)s)?$"
)
_GE = re.compile(r"^ge=(?P<p>[\d.]+)%:(?P<r>[\d.]+)%$")


@dataclass(frozen=True)
class NetworkProfile:
    delay_s: float = 0.0
    jitter_s: float = 0.0
    loss: float = 0.0
    rate_bps: float | None = None
    down_s: float = 0.0
    down_at_s: float = 0.0
    #: Later capacities: (from this second of the schedule, bits per second).
    rate_steps: tuple[tuple[float, float], ...] = ()
    #: Gilbert-Elliott bursty loss: P(good -> bad), P(bad -> good) per packet.
    ge_p: float = 0.0
    ge_r: float = 0.0

    @property
    def active(self) -> bool:
        return bool(
            self.delay_s or self.jitter_s or self.loss or self.rate_bps or self.down_s or self.ge_p
        )

    def rate_at(self, t: float) -> float | None:
        """The capacity at second ``t`` of the schedule."""
        rate = self.rate_bps
        for at, bps in self.rate_steps:
            if t >= at:
                rate = bps
        return rate

    def describe(self) -> str:
        parts = []
        if self.delay_s:
            parts.append(f"delay={self.delay_s * 1000:g}ms")
        if self.jitter_s:
            parts.append(f"jitter={self.jitter_s * 1000:g}ms")
        if self.loss:
            parts.append(f"loss={self.loss * 100:g}%")
        if self.ge_p:
            parts.append(f"ge={self.ge_p * 100:g}%:{self.ge_r * 100:g}%")
        if self.rate_bps:
            parts.append(f"rate={self.rate_bps / 1e6:g}mbit")
        for at, bps in self.rate_steps:
            parts.append(f"rate={bps / 1e6:g}mbit@{at:g}s")
        if self.down_s:
            parts.append(f"down={self.down_s:g}s@{self.down_at_s:g}s")
        return ",".join(parts) or "none"


def parse_profile(text: str) -> NetworkProfile:
    text = PROFILES.get(text, text)
    values: dict[str, Any] = {}
    steps: list[tuple[float, float]] = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        ge = _GE.match(item)
        if ge:
            values["ge_p"], values["ge_r"] = float(ge["p"]) / 100, float(ge["r"]) / 100
            continue
        m = _ITEM.match(item)
        if not m:
            raise ValueError(
                f"{item!r}: use delay=20ms, jitter=5ms, loss=1%, ge=0.5%:25%, rate=4mbit, "
                "rate=1.5mbit@20s or down=5s@10s"
            )
        value = float(m["value"]) * _UNITS[m["unit"]]
        if m["key"] == "rate" and m["at"] is not None:
            steps.append((float(m["at"]), value))
        elif m["key"] == "down":
            values["down_s"], values["down_at_s"] = value, float(m["at"] or 0)
        else:
            values[
                {"delay": "delay_s", "jitter": "jitter_s", "loss": "loss", "rate": "rate_bps"}[
                    m["key"]
                ]
            ] = value
    return NetworkProfile(**values, rate_steps=tuple(sorted(steps)))


#: The bottleneck's queue holds this much sending time; beyond it, tail drop.
QUEUE_LIMIT_S = 0.5


class Impairment:
    """Applies a profile to every datagram sent, from a start time on (monotonic clock)."""

    def __init__(self, profile: NetworkProfile, start: float, seed: int = 0) -> None:
        self.profile = profile
        self.start = start
        self._rng = random.Random(seed)
        self._queue_free_at = 0.0  # when the rate-capped link is free again
        self._last_release = 0.0
        self._bad = False  # Gilbert-Elliott state
        self.sent = self.dropped = 0
        self.restore: tuple[Any, Any] | None = None

    def schedule(self, size: int) -> float | None:
        """Seconds to hold this datagram, or None to drop it."""
        p, now = self.profile, time.monotonic()
        t = now - self.start
        if p.down_s and p.down_at_s <= t < p.down_at_s + p.down_s:
            self.dropped += 1
            return None
        if p.loss and self._rng.random() < p.loss:
            self.dropped += 1
            return None
        if p.ge_p:
            self._bad = self._rng.random() >= p.ge_r if self._bad else self._rng.random() < p.ge_p
            if self._bad:
                self.dropped += 1
                return None
        delay = p.delay_s + (self._rng.uniform(-p.jitter_s, p.jitter_s) if p.jitter_s else 0.0)
        rate = p.rate_at(t)
        if rate:
            begin = max(now, self._queue_free_at)
            self._queue_free_at = begin + size * 8 / rate
            if self._queue_free_at - now > QUEUE_LIMIT_S:  # a bounded router queue: tail drop
                self._queue_free_at -= size * 8 / rate
                self.dropped += 1
                return None
            delay += self._queue_free_at - now
        # Jitter reorders only as much as a real path does: keep send order. (Strictly
        # later: asyncio's timers with equal deadlines may fire in any order, and that
        # reordered a fifth of the packets here, each answered by a needless NACK.)
        release = max(now + max(0.0, delay), self._last_release + 1e-6)
        self._last_release = release
        self.sent += 1
        return release - now


def install(profile: NetworkProfile, start: float) -> Impairment | None:
    """Wrap aioice's datagram sending (media and STUN) in this process; returns the impairment."""
    if not profile.active:
        return None
    from aioice.ice import StunProtocol

    impairment = Impairment(profile, start)

    def emit(protocol: Any, data: bytes, addr: Any) -> None:
        hold = impairment.schedule(len(data))
        if hold is None:
            return
        transport = protocol.transport
        if hold <= 0:
            transport.sendto(data, addr)
        else:
            asyncio.get_running_loop().call_later(hold, _send_if_open, transport, data, addr)

    async def send_data(self: Any, data: bytes, addr: Any) -> None:
        emit(self, data, addr)

    def send_stun(self: Any, message: Any, addr: Any) -> None:
        emit(self, bytes(message), addr)

    impairment.restore = (StunProtocol.send_data, StunProtocol.send_stun)
    StunProtocol.send_data = send_data  # type: ignore[method-assign]
    StunProtocol.send_stun = send_stun  # type: ignore[method-assign]
    return impairment


def uninstall(impairment: Impairment) -> None:
    """Put aioice's own sending back (tests install and remove in one process)."""
    from aioice.ice import StunProtocol

    if impairment.restore is not None:
        StunProtocol.send_data, StunProtocol.send_stun = impairment.restore  # type: ignore[method-assign]
        impairment.restore = None


def _send_if_open(transport: Any, data: bytes, addr: Any) -> None:
    if not transport.is_closing():
        transport.sendto(data, addr)
