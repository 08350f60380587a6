"""A viewer asks the station for a keyframe or another quality preset; the station
carries on from another source mid-call (real peers, real server)."""

from __future__ import annotations

from tests.support.calls import connected_with_frames, party
from ultrasound_consult.media.encoder import PresetVp8Encoder
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.session.call import CallError


async def test_keyframe_and_preset_requests(signaling_url, invite):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr Wang") as ex,
        party(signaling_url, invite("observer"), "Trainee") as ob,
    ):
        await connected_with_frames(ex, 10)
        await connected_with_frames(ob, 5)
        await ex.obs.wait_for(lambda: ex.call.stream_info is not None, what="stream info")
        assert ex.call.stream_info.preset == "diagnostic"
        link = st.call.links[ex.call.me.id]
        encoder = link.outgoing.encoder
        assert isinstance(encoder, PresetVp8Encoder)
        before = encoder.keyframes
        ex.call.stream.request(keyframe=True)
        await st.obs.wait_for(lambda: encoder.keyframes > before, what="a keyframe")

        ex.call.stream.request(preset="weak")
        await st.obs.wait_for(lambda: st.obs.quality_changes, what="quality change")
        assert st.obs.quality_changes[-1] == ("weak", "Dr Wang")
        assert st.call.media.config.quality == "weak"
        # Every viewer hears of it (the observer's quality menu follows).
        await ob.obs.wait_for(
            lambda: ob.obs.stream_infos and ob.obs.stream_infos[-1].preset == "weak",
            what="observer told",
        )
        # Observers may not change the station's quality: the request is ignored.
        ob.call.stream.request(preset="balanced")
        ex.call.stream.request(keyframe=True)  # a later message, on another link
        n = len(st.obs.quality_changes)
        await ex.obs.wait_for(lambda: encoder.keyframes > before + 1, what="second keyframe")
        assert len(st.obs.quality_changes) == n and st.call.media.config.quality == "weak"

        try:
            ex.call.stream.request(preset="ultra")
        except ValueError as exc:
            assert "unknown quality preset" in str(exc)
        else:
            raise AssertionError("a typo in a preset must not travel")
        try:
            st.call.stream.request(keyframe=True)
        except CallError:
            pass
        else:
            raise AssertionError("the station does not ask itself")


async def test_switch_source_mid_call_keeps_time_running(signaling_url, invite):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr Wang") as ex,
    ):
        await connected_with_frames(ex, 10)
        last_ts = st.obs.local_frames[-1].media_ts
        await st.call.switch_source(open_source("synthetic:800x600@30"))
        await ex.obs.wait_for(
            lambda: ex.obs.remote_frames[-1].width == 800, what="frames of the new source"
        )
        # Media time runs on (annotations and recordings anchor on it), never back.
        new = [f for f in st.obs.local_frames if f.width == 800]
        assert new and new[0].media_ts > last_ts
        await ex.obs.wait_for(
            lambda: ex.call.stream_info is not None and ex.call.stream_info.width == 800,
            what="new stream info",
        )
        # The phantom knows its scale: the viewer gets the new source's calibration.
        await ex.obs.wait_for(
            lambda: ex.obs.calibration is not None and ex.obs.calibration.width == 800,
            what="new calibration",
        )
        # A source that cannot open: the user hears why, the call goes on (try another).
        await st.call.switch_source(open_source("device:57"))  # not plugged in
        assert any(code == "source_unavailable" for code, _ in st.obs.errors)
        assert st.call.state.value == "connected"
