"""The optional second camera (probe hand or patient): always second to the ultrasound.

A clinic may point a webcam at the probe hand so the expert can say "rotate your
wrist". That picture helps, but it must never cost the ultrasound image anything
(users report blur "when a second stream starts"). So the camera track:

* is small and slow by design: at most 360 lines and 15 fps, 450 kbps on a good link;
* takes bandwidth only when the ultrasound has all it wants: while the ultrasound's
  bitrate policy is below its preset's target (starting up, or a congested link),
  the camera drops to its floor (120 kbps) and 5 fps (:class:`CameraPolicy`);
* is identified on the wire by its track id (``camera-...``), so the far end knows
  which video is which without any extra message.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from ultrasound_consult.media.pipeline import OutgoingVideoTrack
from ultrasound_consult.media.quality import REFERENCE_PIXEL_RATE, BitratePolicy, QualityPreset
from ultrasound_consult.media.source import SourceFrame, VideoSource
from ultrasound_consult.media.source_spec import open_source, parse_source_spec

CAMERA_TRACK_PREFIX = "camera-"
CAMERA_PRESET = QualityPreset(
    name="camera",
    codec="VP8",
    target_bps=450_000,
    min_bps=120_000,
    max_bps=600_000,
    max_height=360,
    max_fps=15.0,
    denoise=4,  # a room camera's noise is not diagnostic: let libvpx smooth it
    keyframe_interval_s=5.0,
)
#: The camera's frame rate while the ultrasound needs every bit.
THROTTLED_FPS = 5.0
#: The ultrasound counts as wanting more while below this share of its target.
MAIN_SATISFIED = 0.95


def open_camera(text: str) -> VideoSource:
    """A camera source from a spec; a device or test card without a rate runs at 15 fps.

    Only 15 fps are sent, and a webcam read at 30 cost the station's two cores about
    6% more CPU and the ultrasound 4 ms of latency p50 (measured with the test card).
    """
    spec = parse_source_spec(text)
    if spec.kind in ("device", "testcard") and spec.fps is None:
        spec = replace(spec, fps=CAMERA_PRESET.max_fps)
        if spec.kind == "testcard" and spec.width is None:
            spec = replace(spec, width=1280, height=720)
    return open_source(spec)


def is_camera_track(track_id: str) -> bool:
    return track_id.startswith(CAMERA_TRACK_PREFIX)


class CameraPolicy(BitratePolicy):
    """The camera's own bandwidth estimate, overruled whenever the ultrasound wants more."""

    def __init__(
        self,
        main: Callable[[], BitratePolicy | None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._main = main
        # The preset's bitrates are absolute: scale them for the reference pixel rate.
        super().__init__(CAMERA_PRESET, REFERENCE_PIXEL_RATE, clock=clock)

    @property
    def throttled(self) -> bool:
        main = self._main()
        return main is not None and main.current < main.target * MAIN_SATISFIED

    @property
    def current(self) -> int:
        """The camera's own rate (from its estimate), or its floor while throttled."""
        return self.floor if self.throttled else self._rate

    @current.setter
    def current(self, bps: int) -> None:
        self._rate = bps

    def on_estimate(self, estimate_bps: float) -> int:
        # While throttled the camera sends at its floor, so its estimate says nothing
        # about what it could have: keep its own rate for when the ultrasound is content.
        if self.throttled:
            return self.current
        return super().on_estimate(estimate_bps)


class CameraTrack(OutgoingVideoTrack):
    """An outgoing camera track: small, slow, and slower still while throttled."""

    def __init__(self, policy: CameraPolicy | None = None) -> None:
        super().__init__(CAMERA_PRESET)
        self._id = f"{CAMERA_TRACK_PREFIX}{uuid.uuid4()}"
        self.policy = policy

    @property
    def id(self) -> str:
        return self._id

    def push(self, frame: SourceFrame) -> None:
        if (
            self.policy is not None
            and self.policy.throttled
            and self._last_pushed_ts is not None
            and frame.media_ts - self._last_pushed_ts < 0.9 / THROTTLED_FPS
        ):
            return
        super().push(frame)
