"""The second camera: small, slow, second to the ultrasound, and never required."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import numpy as np

from tests.support.observers import RecordingObserver
from ultrasound_consult.media.camera import (
    CAMERA_PRESET,
    THROTTLED_FPS,
    CameraPolicy,
    CameraTrack,
    is_camera_track,
    open_camera,
)
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.quality import PRESETS, BitratePolicy
from ultrasound_consult.media.source import SourceFrame, VideoSource
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.session.call import CallConfig, ConsultCall
from ultrasound_consult.session.observer import CallState


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_camera_gets_its_floor_while_the_ultrasound_wants_more():
    clock = Clock()
    main = BitratePolicy(PRESETS["diagnostic"], 1024 * 768 * 30, clock=clock)
    camera = CameraPolicy(lambda: main, clock=clock)
    assert main.current < main.target, "the ultrasound starts below its target"
    assert camera.throttled and camera.current == camera.floor == CAMERA_PRESET.min_bps
    clock.t += 2
    camera.on_estimate(50_000)  # its own estimate while throttled tells nothing
    # The ultrasound reaches its target: the camera gets its own rate back.
    while main.current < main.target:
        clock.t += 1.1
        main.on_estimate(main.current * 1.08)
    assert not camera.throttled
    assert camera.current == int(CAMERA_PRESET.target_bps * BitratePolicy.START_FRACTION)
    # Congestion on the ultrasound throttles the camera at once, whatever its estimate.
    clock.t += 1.1
    main.on_estimate(main.target * 0.5)
    assert camera.throttled and camera.current == camera.floor


def test_camera_tracks_are_named_and_slowed_when_throttled():
    clock = Clock()
    main = BitratePolicy(PRESETS["diagnostic"], 1024 * 768 * 30, clock=clock)
    track = CameraTrack(CameraPolicy(lambda: main, clock=clock))
    assert is_camera_track(track.id) and not is_camera_track("b9f0c5e2-video")
    image = np.zeros((720, 1280, 3), np.uint8)
    accepted = []
    for i in range(60):  # two seconds at 30 fps
        frame = SourceFrame(image, i, i / 30, 0.0)
        track.push(frame)
        if track._latest is frame:
            accepted.append(frame.media_ts)
            track._latest = None
    assert len(accepted) == round(2 * THROTTLED_FPS)


@contextlib.asynccontextmanager
async def started(
    url: str, code: str, obs: RecordingObserver, **media: VideoSource | None
) -> AsyncIterator[ConsultCall]:
    call = ConsultCall(CallConfig.from_invite(url, code, "x"), obs, mask=PrivacyMask(), **media)
    await call.start()
    try:
        yield call
    finally:
        await call.stop()


async def test_expert_sees_the_camera_beside_the_untouched_ultrasound(signaling_url, invite):
    st_obs, ex_obs = RecordingObserver(), RecordingObserver()
    async with (
        started(
            signaling_url,
            invite("station"),
            st_obs,
            source=open_source("synthetic:640x480@30"),
            camera=open_source("testcard:1280x720@30"),
        ) as st,
        started(signaling_url, invite("expert"), ex_obs),
    ):
        await ex_obs.wait_for(lambda: ex_obs.camera_count >= 15, what="camera frames")
        await ex_obs.wait_for(lambda: ex_obs.remote_count >= 30, what="ultrasound frames")
        assert {(f.width, f.height) for f in ex_obs.remote_frames} == {(640, 480)}
        assert {(f.width, f.height) for f in ex_obs.camera_frames} == {(640, 360)}, "<= 360 lines"
        picture = ex_obs.camera_frames[-1].display_array()
        r, g, b = picture[60, 500].astype(int)  # the red bar, in colour
        assert picture.ndim == 3 and r > 150 and g < 50 and b < 50, (r, g, b)
        stamps = [f.rtp_ts for f in ex_obs.camera_frames]
        gaps = np.diff(stamps)
        assert (gaps >= 0.9 * 90_000 / CAMERA_PRESET.max_fps).all(), "at most 15 fps"
        # The station previews its own camera.
        assert st_obs.camera_count > 0 and st_obs.camera_frames[-1].width == 1280
        link = next(iter(st.links.values()))
        assert link.outgoing.camera_encoder.policy.current <= CAMERA_PRESET.max_bps
        assert link.encoder is not link.outgoing.camera_encoder
        st.refresh_stats()
        camera = st.stats.summary()["camera"]
        assert camera["frames_sent"] > 0 and camera["resolution"] == "640x360"


async def test_a_missing_camera_leaves_the_ultrasound_running(signaling_url, invite):
    st_obs, ex_obs = RecordingObserver(), RecordingObserver()
    async with (
        started(
            signaling_url,
            invite("station"),
            st_obs,
            source=open_source("synthetic:320x240@30"),
            camera=open_source("device:7"),
        ),
        started(signaling_url, invite("expert"), ex_obs),
    ):
        await ex_obs.wait_for(lambda: ex_obs.remote_count >= 10, what="ultrasound frames")
        assert ex_obs.state is CallState.CONNECTED
        (_code, message), *_ = [e for e in st_obs.errors if e[0] == "camera_unavailable"]
        assert "ultrasound goes on" in message
        assert ex_obs.camera_count == 0


def test_cameras_are_read_at_the_rate_they_are_sent():
    assert open_camera("testcard").info.fps == CAMERA_PRESET.max_fps
    assert open_camera("testcard:640x480@30").info.fps == 30, "an explicit rate is kept"
    assert open_camera("device:4")._requested[2] == CAMERA_PRESET.max_fps
