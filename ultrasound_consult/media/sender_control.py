"""The station's rate control for one viewer: pacer, arrival feedback, controller, ladder.

One :class:`SendSideControl` per viewer link. It paces that link's video
(``media/pacer.py``), matches the viewer's arrival reports (``media/feedback.py``)
with the send times, runs the delay-based controller (``media/congestion.py``) and
hands its target to the stream's :class:`~ultrasound_consult.media.quality.BitratePolicy`,
which turns it into the encoder's rate and the ladder's rung (frame rate, lines).

Until the first report arrives (an older viewer never sends any) the policy keeps
following aiortc's REMB estimate, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ultrasound_consult.media.congestion import ControllerState, DelayController
from ultrasound_consult.media.feedback import ArrivalReport, unwrap
from ultrasound_consult.media.pacer import Pacer
from ultrasound_consult.media.quality import BitratePolicy
from ultrasound_consult.media.seams import check_sender, sender_ssrcs

logger = logging.getLogger(__name__)


class SendSideControl:
    def __init__(
        self,
        sender: Any,
        policy: Callable[[], BitratePolicy | None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sender = sender
        self._policy = policy
        self._clock = clock
        self.controller: DelayController | None = None
        self.pacer = Pacer(target_bps=self._pacing_target, on_sent=self._sent, clock=clock)
        self._highest: int | None = None
        #: Packets sent before the first report (the controller starts with it).
        self._early: list[tuple[int, int, float, bool]] = []
        self.ssrc: int | None = None
        self.reports = 0
        self.rejected = 0
        self.installed = False

    def install(self, extra_senders: tuple[Any, ...] = ()) -> bool:
        """Pace the sender's transport (call once the transport is final, after the
        answer). False, with aiortc's stock sending, when a seam is missing."""
        if not check_sender(self.sender):
            return False
        ssrc, rtx = sender_ssrcs(self.sender)
        if ssrc is None or not self.pacer.install(self.sender.transport):
            return False
        self.ssrc = ssrc
        self.pacer.paced_ssrcs.add(ssrc)
        if rtx is not None:
            self.pacer.charged_ssrcs.add(rtx)
        for other in extra_senders:  # the second camera shares the link and its pacing
            other_ssrc, other_rtx = sender_ssrcs(other)
            if other_ssrc is not None:
                self.pacer.paced_ssrcs.add(other_ssrc)
            if other_rtx is not None:
                self.pacer.charged_ssrcs.add(other_rtx)
        self.installed = True
        return True

    def _pacing_target(self) -> float:
        policy = self._policy()
        return float(policy.current) if policy is not None else 1_000_000.0

    def _sent(self, ssrc: int, seq16: int, size: int, at: float, marker: bool) -> None:
        if ssrc != self.ssrc:
            return
        seq = seq16 if self._highest is None else unwrap(seq16, self._highest)
        if self._highest is None or seq > self._highest:
            self._highest = seq
        if self.controller is not None:
            self.controller.on_sent(seq, size, at, frame_end=marker)
        else:
            self._early.append((seq, size, at, marker))
            del self._early[:-2000]

    def on_report(self, data: bytes) -> None:
        """A viewer's arrival report (the ``cc`` channel)."""
        try:
            report = ArrivalReport.unpack(data)
        except ValueError as exc:
            self.rejected += 1
            logger.debug("ignoring an arrival report: %s", exc)
            return
        policy = self._policy()
        if report.ssrc != self.ssrc or self._highest is None or policy is None:
            return
        controller = self._controller(policy)
        first = unwrap(report.first_seq, self._highest)
        arrivals = [(first + i, a) for i, a in enumerate(report.arrivals)]
        target = controller.on_feedback(arrivals, self._clock())
        self.reports += 1
        policy.follow(target)

    def on_rtt(self, rtt_s: float) -> None:
        if self.controller is not None:
            self.controller.on_rtt(rtt_s)

    def _controller(self, policy: BitratePolicy) -> DelayController:
        if self.controller is None or self.controller.max_bps != policy.target:
            previous = self.controller
            self.controller = DelayController(
                start_bps=policy.current, min_bps=policy.ladder_floor, max_bps=policy.target
            )
            if previous is not None:
                self.controller.rtt = previous.rtt
            for seq, size, at, marker in self._early:
                self.controller.on_sent(seq, size, at, frame_end=marker)
            self._early = []
            logger.info(
                "delay-based rate control for this viewer: %.2f-%.2f Mbps",
                policy.ladder_floor / 1e6,
                policy.target / 1e6,
            )
        return self.controller

    def state(self) -> ControllerState | None:
        return None if self.controller is None else self.controller.state()
