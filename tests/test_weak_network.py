"""Real calls on an impaired link (user-space, as in the benchmark), and the stock fallback.

Correctness, not figures: the rate control takes over from the viewer's arrival
reports, the picture keeps moving above a floor, every annotation is delivered and
acknowledged; and with aiortc's private seams missing the call still works, stock.
Speed, latency and quality under these profiles come from ``ultrasound-consult bench``.
"""

from __future__ import annotations

import logging
import time

from tests.support.calls import connected_with_frames, party
from ultrasound_consult.benchmark import netem
from ultrasound_consult.media import seams
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind


async def test_a_township_link_keeps_the_picture_moving_and_every_mark_arrives(
    signaling_url, invite
):
    impairment = netem.install(netem.parse_profile("township"), time.monotonic())
    try:
        async with (
            party(
                signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
            ) as st,
            party(signaling_url, invite("expert"), "Dr") as ex,
        ):
            await connected_with_frames(ex, 10)
            (station_link,) = st.call.links.values()
            control = station_link.rate_control
            assert control is not None and control.installed
            # The viewer's arrival reports drive the rate (REMB is set aside).
            await st.obs.wait_for(lambda: control.reports >= 20, timeout=15, what="20 reports")
            policy = station_link.encoder.policy
            assert policy.controlled
            assert control.pacer.packets > 0, "the video went out through the pacer"
            ids = [
                ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.2 + i / 20, 0.5),))
                for i in range(8)
            ]
            await ex.obs.wait_for(
                lambda: not (set(ids) & ex.obs.pending), timeout=20, what="every mark acknowledged"
            )
            assert all(st.call.collab.scene.get(i) is not None for i in ids), "every mark arrived"
            assert all(ok for op, ok, _, _ in ex.obs.acks if op in ids)
            # A floor, not a figure: 100 frames within 10 s on a 2 Mbit township link.
            start = ex.obs.remote_count
            await ex.obs.wait_for(
                lambda: ex.obs.remote_count >= start + 100, timeout=10, what="10 frames a second"
            )
            state = control.state()
            assert state is not None and state.target_bps <= 2_000_000, "never above the link"
            assert impairment.dropped > 0, "the link really lost packets"
    finally:
        netem.uninstall(impairment)


async def test_missing_aiortc_seams_fall_back_to_a_working_stock_call(
    signaling_url, invite, monkeypatch, caplog
):
    """An aiortc release that renamed its internals: warn once, call as stock aiortc does."""
    monkeypatch.setattr(seams, "SENDER_HISTORY", "_RTCRtpSender__renamed_history")
    monkeypatch.setattr(seams, "RECEIVER_JITTER", "_RTCRtpReceiver__renamed_jitter")
    monkeypatch.setattr(seams, "_warned", set())
    caplog.set_level(logging.WARNING, logger="ultrasound_consult.media.seams")
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:320x240@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 30)
        (station_link,) = st.call.links.values()
        (expert_link,) = ex.call.links.values()
        assert station_link.rate_control is None, "no pacer, no delay-based control"
        assert expert_link.recovery is None and expert_link.arrivals is None, "stock receiver"
        mark = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))
        await ex.obs.wait_for(lambda: mark not in ex.obs.pending, what="the mark acknowledged")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("sender is not as this version expects" in w for w in warnings)
    assert any("receiver is not as this version expects" in w for w in warnings)
    assert len(warnings) == len(set(warnings)), "each part warns once"
