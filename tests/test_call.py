"""End to end on loopback: the real server process, real aiortc peers, real encoded frames."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.support.calls import connected_with_frames, party
from tests.support.observers import RecordingObserver
from ultrasound_consult.benchmark import netem
from ultrasound_consult.media.convert import video_frame_to_rgb
from ultrasound_consult.media.dicom import DicomCineSource
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.channel import OPS_CHANNEL
from ultrasound_consult.session.call import CallConfig, CallError, ConsultCall
from ultrasound_consult.session.observer import CallState
from ultrasound_consult.session.peer_link import rtc_configuration


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


async def test_synthetic_call_video_annotations_and_pointer(signaling_url, invite):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr Li") as ex,
    ):
        await connected_with_frames(ex, 45)
        link = next(iter(ex.call.links.values()))
        assert link.codec == "VP8"
        assert {(f.width, f.height) for f in ex.obs.remote_frames} == {(640, 480)}
        assert link.sink.fps > 10, "a sane rate on loopback (figures come from the benchmark)"

        # Frame identity: every received frame maps to a station frame time n/30.
        info = ex.obs.stream_infos[-1]
        assert info.rtp_origin is not None and (info.width, info.height) == (640, 480)
        stamped = [f.media_ts for f in ex.obs.remote_frames if f.media_ts is not None]
        assert len(stamped) >= 20
        for ts in stamped:
            assert abs(ts * 30 - round(ts * 30)) * (1000 / 30) < 1.5, f"{ts} is not a frame time"

        # A click on the expert's image becomes a mark on the station, acknowledged.
        mark_id = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.25, 0.6),))
        assert mark_id in ex.obs.pending, "shown at once, as not yet confirmed"
        await st.obs.wait_for(
            lambda: any(a.id == mark_id for a in st.obs.annotations), what="mark at station"
        )
        await ex.obs.wait_for(lambda: ex.obs.acks and mark_id not in ex.obs.pending, what="ack")
        mark = st.call.collab.scene.get(mark_id)
        assert (
            mark.points == ((0.25, 0.6),)
            and mark.author == "Dr Li"
            and mark.kind is AnnotationKind.MARK
        )
        assert (
            mark.media_ts is not None and abs(mark.media_ts * 30 - round(mark.media_ts * 30)) < 0.05
        )
        _op, ok, rtt_ms, _ = ex.obs.acks[-1]
        assert ok and 0 < rtt_ms < 5000

        arrow_id = ex.call.collab.add_annotation(AnnotationKind.ARROW, ((0.1, 0.1), (0.5, 0.5)))
        await st.obs.wait_for(
            lambda: st.call.collab.scene.get(arrow_id) is not None, what="arrow at station"
        )

        ex.call.collab.pointer.move(0.7, 0.3)
        await st.obs.wait_for(
            lambda: any(p.x == 0.7 for p in st.obs.pointers), what="pointer at station"
        )

        ex.call.collab.clear_annotations(mine_only=True)
        await st.obs.wait_for(lambda: len(st.call.collab.scene) == 0, what="cleared at station")

        ex.call.refresh_stats()
        st.call.refresh_stats()
        assert ex.call.stats.annotations_acked == 3
        assert st.call.stats.annotations_received == 3
        assert st.call.stats.frames_sent > 0 and ex.call.stats.frames_received >= 45


async def test_real_dicom_cine_arrives_intact(signaling_url, invite, color_cine):
    source = DicomCineSource(color_cine)
    originals = [source.render(i) for i in range(source.frame_count)]
    async with (
        party(signaling_url, invite("station"), "Clinic", source) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 40)
        stamped = [f for f in ex.obs.remote_frames if f.media_ts is not None]
        assert stamped and all((f.width, f.height) == (320, 240) for f in stamped)
        top = int(np.ceil(240 * 0.1))  # what the station's mask blacked out
        scores = []
        for f in stamped[-10:]:
            index = round(f.media_ts * source.info.fps) % source.frame_count
            scores.append(psnr(video_frame_to_rgb(f.frame)[top:], originals[index][top:]))
        # The right frame at diagnostic-ish quality; a neighbouring frame would score far lower.
        assert min(scores) > 30, scores
        assert st.call.pipeline.frames > 0


async def test_patient_banner_never_reaches_the_expert(signaling_url, invite, grey_banner_frame):
    source = DicomCineSource(grey_banner_frame)
    assert source.render(0)[:30].max() > 200
    async with (
        party(signaling_url, invite("station"), "Clinic", source),
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 10)
        for f in ex.obs.remote_frames:
            rgb = video_frame_to_rgb(f.frame)
            assert rgb[:32].max() == 0, "banner rows (two whole codec block rows) arrive black"
            assert rgb[200:700, 100:900].max() > 50


async def test_observers_watch_but_cannot_annotate(signaling_url, invite):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:320x240@15")
        ) as st,
        party(signaling_url, invite("observer"), "Trainee") as ob,
    ):
        await connected_with_frames(ob, 5)
        ann_id = ob.call.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))
        await ob.obs.wait_for(lambda: ob.obs.acks, what="refusal")
        _, ok, _, reason = ob.obs.acks[-1]
        assert not ok and "observers" in reason
        assert st.call.collab.scene.get(ann_id) is None
        assert all(a.id != ann_id for a in ob.obs.annotations), (
            "refused marks leave the observer's screen"
        )


async def test_station_leaving_and_returning(signaling_url, invite):
    async with party(signaling_url, invite("expert"), "Dr") as ex:
        await ex.obs.wait_for(lambda: ex.obs.state is CallState.WAITING, what="waiting")
        async with party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:320x240@15")
        ):
            await connected_with_frames(ex, 5)
        await ex.obs.wait_for(lambda: ex.obs.state is CallState.WAITING, what="waiting again")
        seen = ex.obs.remote_count
        async with party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:320x240@15")
        ):
            await ex.obs.wait_for(
                lambda: ex.obs.remote_count >= seen + 5, what="video after return"
            )
        ex.call.refresh_stats()
        assert ex.call.stats.frames_received >= seen + 5


async def test_malformed_channel_messages_are_rejected_and_the_call_goes_on(signaling_url, invite):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:320x240@15")
        ) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 5)
        link = next(iter(ex.call.links.values()))
        for bad in (
            "{nope",
            '{"type":"ann.add","op":"o","ann":{"kind":"mark","points":[[NaN,1]]}}',
            "x" * 20000,
        ):
            assert link.send(OPS_CHANNEL, bad)
        mark_id = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))
        await st.obs.wait_for(
            lambda: st.call.collab.scene.get(mark_id) is not None, what="good op after bad ones"
        )
        assert st.call.stats.rejected == 3


async def test_unreachable_server_is_a_clear_error(invite):
    obs = RecordingObserver()
    call = ConsultCall(CallConfig.from_invite("ws://127.0.0.1:9/", invite("expert"), "Dr"), obs)
    with pytest.raises(CallError, match="Cannot reach the signalling server"):
        await call.start()
    assert obs.state is CallState.FAILED and obs.errors[0][0] == "server_unreachable"


async def test_a_second_station_in_the_room_is_refused(signaling_url, invite):
    async with party(signaling_url, invite("station"), "A", open_source("synthetic:160x120@5")):
        obs = RecordingObserver()
        call = ConsultCall(
            CallConfig.from_invite(signaling_url, invite("station"), "B"),
            obs,
            source=open_source("synthetic:160x120@5"),
        )
        with pytest.raises(CallError, match="already has a station"):
            await call.start()
        assert obs.errors[0][0] == "room_full"


async def test_experts_cannot_annotate_before_the_station_is_there(signaling_url, invite):
    async with party(signaling_url, invite("expert"), "Dr") as ex:
        with pytest.raises(CallError, match="not connected to the station"):
            ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))


def test_ice_configuration_is_always_explicit():
    # aiortc falls back to a public Google STUN server when iceServers is None.
    assert rtc_configuration(()).iceServers == []


async def test_a_lossy_link_keeps_the_picture_moving(signaling_url, invite):
    """3% loss and 10 ms delay each way (user-space, as in the benchmark)."""
    impairment = netem.install(netem.parse_profile("delay=10ms,loss=3%"), time.monotonic())
    try:
        async with (
            party(signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")),
            party(signaling_url, invite("expert"), "Dr") as ex,
        ):
            await connected_with_frames(ex, 10)
            start = ex.obs.remote_count
            await ex.obs.wait_for(
                lambda: ex.obs.remote_count >= start + 60, timeout=10, what="60 more frames"
            )
            (link,) = ex.call.links.values()
            buffer = link.recovery.buffer
            assert buffer.released_on_marker > 0, "frames leave on their marker bit"
            assert impairment.dropped > 0, "the link really lost packets"
            stamped = [f.media_ts for f in ex.obs.remote_frames if f.media_ts is not None]
            assert stamped == sorted(stamped), "frames arrive in order, repaired"
            # Loss turns forward error correction on; single losses are rebuilt from parity.
            await ex.obs.wait_for(
                lambda: link.fec_repair.recovered > 0, timeout=15, what="a packet rebuilt by FEC"
            )
    finally:
        netem.uninstall(impairment)


async def test_connection_statistics_every_second(signaling_url, invite):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 10)
        await ex.obs.wait_for(
            lambda: (
                len(ex.obs.stats) >= 3
                and len(st.obs.stats) >= 3
                and ex.obs.stats[-1]
                and ex.obs.stats[-1][0].rtt_ms is not None
            ),
            timeout=15,
            what="three rounds of statistics with a round trip",
        )
        seen = {"station": st.obs.stats, "expert": ex.obs.stats}
        (sent,) = seen["station"][-1]
        (received,) = seen["expert"][-1]
        assert sent.direction == "send" and received.direction == "receive"
        assert sent.peer_name == "Dr" and received.peer_name == "Clinic"
        for s in (sent, received):
            assert s.codec == "VP8" and (s.width, s.height) == (640, 480)
            assert 20 <= s.fps <= 40 and s.bitrate_mbps > 0.2 and s.loss_percent == 0
            assert 0 < s.rtt_ms < 200 and s.quality == "good"
        assert sent.target_mbps > 0 and received.target_mbps is None
        (link,) = st.call.links.values()
        assert link.fec is not None and link.fec.parity_sent == 0, "no parity on a clean link"
        st.call.refresh_stats()
        assert st.call.stats.summary()["link"][0]["direction"] == "send"


def test_link_verdicts():
    from ultrasound_consult.session.link_monitor import verdict

    assert verdict(20, 0, 30, 30) == "good"
    assert verdict(200, 0, 30, 30) == "fair"
    assert verdict(20, 2, 30, 30) == "fair"
    assert verdict(20, 0, 12, 30) == "poor"
    assert verdict(None, None, None, 30) == "good"


async def test_past_four_viewers_everyone_is_told_a_lecture_needs_the_relay(
    signaling_url, invite, room
):
    """Issue 17, item 5: without an SFU the station sends each viewer its own copy; the
    fifth viewer makes everyone hear, once, that a lecture needs the lecture relay."""
    from tests.support.signaling import joined

    async with (
        party(signaling_url, invite("station"), "Clinic", open_source("synthetic:160x120@5")) as st,
        party(signaling_url, invite("trainer"), "Dr Teach") as tr,
    ):
        watchers = []
        try:
            for n in range(3):
                ws, _ = await joined(signaling_url, room, "observer", invite("observer"), f"T{n}")
                watchers.append(ws)
            await st.obs.wait_for(lambda: len(st.call.peers) == 4, what="four viewers")
            assert not [c for c, _ in st.obs.errors + tr.obs.errors if c == "mesh_limit"]
            ws, _ = await joined(signaling_url, room, "observer", invite("observer"), "T5")
            watchers.append(ws)
            for p in (st, tr):
                await p.obs.wait_for(
                    lambda p=p: any(c == "mesh_limit" for c, _ in p.obs.errors), what="told"
                )
            said = next(m for c, m in tr.obs.errors if c == "mesh_limit")
            assert said.startswith("5 people are watching") and "SFU" in said
        finally:
            for ws in watchers:
                await ws.close()
