"""The pacer: a frame's packets leave spread over time, not in one burst, and each one's
send time is recorded for congestion control.

aiortc sends each frame's packets back to back. A 1024x768 keyframe is some 60
packets: in one burst it overflows a shallow router queue on a 2 Mbit link, and the
losses set off retransmissions and keyframe requests. The pacer sits in the DTLS
transport's RTP send (the one seam below aiortc's sender, ``media/seams.py``) and
lets the video streams' packets out at :data:`PACING_FACTOR` times the target
bitrate (GCC's factor), with at most :data:`BURST_S` of credit saved up.

Only media packets of the paced streams wait. RTCP, sound and retransmissions (RTX)
go at once: retransmissions are sent from aiortc's RTCP handler, which must not
block, and they are what a viewer is waiting for. They still use up pacing credit,
and while the pacer is already :data:`MAX_RTX_BACKLOG_S` behind, a retransmission is
dropped instead (the viewer asks again, or gives up on the frame): after a queue
overflowed, NACKs for hundreds of packets were answered all at once, pushed the
media seconds behind and overflowed the queue again (measured: 5 s without a frame;
with a 100 ms allowance, retransmissions kept every media packet of a keyframe waiting
100 ms: 3 s without a frame).

The wait happens in the sender's own send loop (``await``), so a pacer that falls
behind holds the sender back, and the newest-frame-wins track drops frames instead of
queueing them: pacing can lower the frame rate, never build a backlog.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from ultrasound_consult.media.seams import SendRtp, wrap_transport_send

PACING_FACTOR = 2.5
#: Credit a quiet pacer may save up (a short burst after a pause is harmless).
BURST_S = 0.004
#: Never pace slower than this, whatever the target.
MIN_PACING_BPS = 600_000
#: Retransmissions beyond this much pacing backlog are dropped.
MAX_RTX_BACKLOG_S = 0.02


def is_rtcp(data: bytes) -> bool:
    """RTCP packet types 192-223 share the RTP port (RFC 5761)."""
    return len(data) >= 2 and 192 <= data[1] <= 223


def rtp_ssrc_seq(data: bytes) -> tuple[int, int] | None:
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    return int.from_bytes(data[8:12], "big"), int.from_bytes(data[2:4], "big")


class Pacer:
    """Paces the video streams on one transport; reports each paced packet sent."""

    def __init__(
        self,
        *,
        target_bps: Callable[[], float],
        on_sent: Callable[[int, int, int, float, bool], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._target_bps = target_bps
        self._on_sent = on_sent  # (ssrc, seq16, size, at, marker)
        self._clock = clock
        self.paced_ssrcs: set[int] = set()
        #: Retransmission streams: not held back, but they use up credit.
        self.charged_ssrcs: set[int] = set()
        self._next_free = 0.0
        self._original: SendRtp | None = None
        self.packets = 0
        self.rtx_dropped = 0

    def install(self, transport: Any) -> bool:
        """Wrap the transport's RTP send; False if that seam is missing (no pacing)."""
        if self._original is not None:
            return True
        self._original = wrap_transport_send(transport, lambda original: self._send)
        return self._original is not None

    @property
    def rate_bps(self) -> float:
        return max(MIN_PACING_BPS, PACING_FACTOR * self._target_bps())

    async def _send(self, data: bytes) -> None:
        assert self._original is not None
        header = None if is_rtcp(data) else rtp_ssrc_seq(data)
        if header is None:
            await self._original(data)
            return
        ssrc, seq = header
        if ssrc in self.paced_ssrcs:
            wait = self._next_free - self._clock()
            if wait > 0.0005:
                await asyncio.sleep(wait)
        elif ssrc not in self.charged_ssrcs:
            await self._original(data)
            return
        elif self._next_free - self._clock() > MAX_RTX_BACKLOG_S:
            self.rtx_dropped += 1
            return
        now = self._clock()
        await self._original(data)
        self.packets += 1
        self._next_free = max(self._next_free, now - BURST_S) + len(data) * 8 / self.rate_bps
        if ssrc in self.paced_ssrcs:
            self._on_sent(ssrc, seq, len(data), now, bool(data[1] & 0x80))
