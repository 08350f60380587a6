"""Connection statistics, every second, for each peer: what the call status shows.

Round trip from a probe echoed over the unreliable pointer channel (both sides, same
method: aiortc gives the receiving side no RTCP round trip); loss and jitter from
RTP statistics; bitrate, frame rate and resolution from our own counters; the
encoder's target from the bitrate policy. :func:`verdict` turns them into the good /
fair / poor a clinician reads at a glance: the one judgement of the link, which both
the status button and the "Network weak" notice show (they never disagree).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ultrasound_consult.protocol.channel import POINTER_CHANNEL, Probe, encode_channel

if TYPE_CHECKING:
    from ultrasound_consult.session.peer_link import PeerLink

logger = logging.getLogger(__name__)

INTERVAL_S = 1.0
#: RTP video clock, for jitter (reported in RTP units).
_RTP_HZ = 90_000


@dataclass(frozen=True)
class LinkStats:
    peer_id: str
    peer_name: str
    direction: str  # "send" (station) or "receive" (viewer)
    rtt_ms: float | None
    loss_percent: float | None
    jitter_ms: float | None
    bitrate_mbps: float | None
    fps: float | None
    width: int
    height: int
    codec: str | None
    target_mbps: float | None
    quality: str  # good | fair | poor
    #: This side sends, and its encoder's target is well below the best it had, or the
    #: degradation ladder has stepped down: the rate control judged the link congested
    #: (part of ``quality``, never "good").
    lowered: bool = False
    #: Station: what the degradation ladder sends now (lines, frame rate cap; None: the
    #: source's), for the sentence that says what the link allows.
    ladder_lines: int | None = None
    ladder_fps: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The sender's encoder target this far below the best it had means "lowering quality".
LOWERED_RATIO = 0.75


def verdict(
    rtt_ms: float | None,
    loss_percent: float | None,
    fps: float | None,
    nominal_fps: float,
    *,
    lowered: bool = False,
) -> str:
    """Good, fair or poor, by the worst of round trip, loss and frame rate; a sender
    whose rate control has lowered its target is at best fair (it found the link
    carries less than it did)."""
    rtt, loss = rtt_ms or 0.0, loss_percent or 0.0
    share = (fps / nominal_fps) if fps is not None and nominal_fps else 1.0
    if loss > 5 or rtt > 400 or share < 0.5:
        return "poor"
    if loss > 1 or rtt > 150 or share < 0.8 or lowered:
        return "fair"
    return "good"


def is_lowered(target_mbps: float | None, best_mbps: float) -> bool:
    """Whether the encoder's target is well below the best it had on this link."""
    return target_mbps is not None and target_mbps < LOWERED_RATIO * best_mbps


@dataclass
class _Previous:
    at: float
    bytes: int
    frames: int
    packets: int
    lost: int


class LinkMonitor:
    """Samples every link of a call each second and reports through ``report``."""

    def __init__(
        self,
        links: Callable[[], list[PeerLink]],
        report: Callable[[tuple[LinkStats, ...]], None],
        *,
        nominal_fps: Callable[[], float],
    ) -> None:
        self._links = links
        self._report = report
        self._nominal_fps = nominal_fps
        self._previous: dict[int, _Previous] = {}
        self._probes: dict[int, float] = {}
        self._rtt: dict[int, float] = {}  # id(link) -> latest probe round trip, ms
        self._best_target: dict[int, float] = {}  # id(link) -> highest encoder target, Mbit/s
        self._seq = itertools.count()
        self._task: asyncio.Task[None] | None = None
        self.latest: tuple[LinkStats, ...] = ()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="link-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def on_probe(self, link: PeerLink, probe: Probe) -> None:
        """A probe arrived on ``link``: echo it, or (a reply) record the round trip."""
        if not probe.reply:
            link.send(POINTER_CHANNEL, encode_channel(Probe(probe.seq, reply=True)))
            return
        sent = self._probes.pop(probe.seq, None)
        if sent is not None:
            self._rtt[id(link)] = (time.perf_counter() - sent) * 1000

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL_S)
            try:
                stats = [await self._sample(link) for link in self._links()]
            except Exception:  # statistics must never take the call down
                logger.exception("reading connection statistics failed")
                continue
            self.latest = tuple(s for s in stats if s is not None)
            self._report(self.latest)

    async def _sample(self, link: PeerLink) -> LinkStats | None:
        if link.connection_state != "connected":
            return None
        seq = next(self._seq)
        if link.send(POINTER_CHANNEL, encode_channel(Probe(seq))):
            self._probes[seq] = time.perf_counter()
            # Forget probes that never came back (the channel is unreliable).
            for old in [s for s in self._probes if s < seq - 10]:
                del self._probes[old]
        sending = link.video_out is not None
        # The ultrasound stream's own statistics (sound and a camera have theirs), plus
        # the transport's byte counts, which cover everything the link carries.
        if sending and link.sender is not None:
            report = await link.sender.getStats()
        elif not sending and link.sink is not None and link.sink.receiver is not None:
            report = await link.sink.receiver.getStats()
        else:
            report = await link.pc.getStats()
        now = time.perf_counter()
        nbytes = frames = packets = lost = 0
        jitter = None
        for s in report.values():
            if s.type == "transport":
                nbytes = s.bytesSent if sending else s.bytesReceived
            elif getattr(s, "kind", "video") == "video" and (
                (s.type == "remote-inbound-rtp" and sending)
                or (s.type == "inbound-rtp" and not sending)
            ):
                packets, lost, jitter = s.packetsReceived, s.packetsLost, s.jitter
        if sending and link.video_out is not None:
            frames = link.video_out.frames_sent
            size = link.video_out.last_sent_size
        else:
            frames = link.sink.frames if link.sink else 0
            size = (link.sink.width, link.sink.height) if link.sink else (0, 0)
        prev = self._previous.get(id(link))
        self._previous[id(link)] = _Previous(now, nbytes, frames, packets, lost)
        bitrate = fps = loss = None
        if prev is not None and now > prev.at:
            span = now - prev.at
            bitrate = (nbytes - prev.bytes) * 8 / span / 1e6
            fps = (frames - prev.frames) / span
            expected = (packets - prev.packets) + (lost - prev.lost)
            loss = 100.0 * max(0, lost - prev.lost) / expected if expected > 0 else 0.0
        if sending and link.fec is not None:
            link.fec.on_loss(loss)  # parity blocks only while the link loses packets
        rtt = self._rtt.get(id(link))
        encoder = link.encoder
        policy = getattr(encoder, "policy", None)
        target = getattr(policy, "current", None)
        target_mbps = None if target is None else round(target / 1e6, 2)
        best = max(self._best_target.get(id(link), 0.0), target_mbps or 0.0)
        self._best_target[id(link)] = best
        lowered = is_lowered(target_mbps, best)
        ladder_fps = ladder_lines = None
        if sending and policy is not None and hasattr(policy, "max_fps"):
            ladder_fps = policy.max_fps()
            ladder_lines = policy.rung.max_height
            lowered = lowered or policy.rung_index > 0
        if rtt is not None and link.rate_control is not None:
            link.rate_control.on_rtt(rtt / 1000)
        if rtt is not None and link.recovery is not None:
            link.recovery.buffer.rtt_hint = rtt / 1000
        return LinkStats(
            peer_id=link.remote.id,
            peer_name=link.remote.name,
            direction="send" if sending else "receive",
            rtt_ms=None if rtt is None else round(rtt, 1),
            loss_percent=None if loss is None else round(loss, 2),
            jitter_ms=None if jitter is None else round(jitter * 1000 / _RTP_HZ, 1),
            bitrate_mbps=None if bitrate is None else round(bitrate, 3),
            fps=None if fps is None else round(fps, 1),
            width=size[0],
            height=size[1],
            codec=link.codec,
            target_mbps=target_mbps,
            quality=verdict(rtt, loss, fps, self._nominal_fps(), lowered=lowered),
            lowered=lowered,
            ladder_lines=ladder_lines,
            ladder_fps=ladder_fps,
        )
