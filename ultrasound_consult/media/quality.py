"""Quality presets a clinician can choose, and how the bitrate follows the network.

Three presets:

* **Diagnostic**: native resolution and frame rate, high bitrate, the encoder's
  denoiser off (it smooths speckle, which is diagnostic texture).
* **Balanced**: at most 720 lines, moderate bitrate.
* **Weak network**: at most 540 lines and 15 fps, low bitrate, so the image keeps
  moving on a township 4G link.

Bitrates are given for 1024x768 at 30 fps and scale with the pixel rate sent.
:class:`BitratePolicy` turns the receiver's bandwidth estimate (REMB) into the
encoder's target. A libvpx bitrate change needs a new encoder, whose first frame is
a keyframe, so changes are deliberate: down at once when the link is congested,
back up towards the preset's target in steps once it has been quiet for a while.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

#: The pixel rate the presets' bitrates are given for (1024x768 at 30 fps).
REFERENCE_PIXEL_RATE = 1024 * 768 * 30


@dataclass(frozen=True)
class QualityPreset:
    name: str
    codec: str  # "VP8" or "H264"
    target_bps: int  # what a good link gets
    min_bps: int  # never below (the picture would fall apart)
    max_bps: int
    max_height: int | None  # None: native resolution, never rescaled
    max_fps: float | None  # None: the source's rate
    denoise: int  # libvpx noise-sensitivity: 0 keeps speckle untouched
    keyframe_interval_s: float

    def scaled(self, bps: int, pixel_rate: float) -> int:
        """``bps`` for this pixel rate (to the power 0.75: bits needed grow slower than pixels)."""
        return int(bps * max(0.25, (pixel_rate / REFERENCE_PIXEL_RATE) ** 0.75))

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """The size frames are sent at: native, or scaled down to ``max_height`` (even)."""
        if self.max_height is None or height <= self.max_height:
            return width - width % 2, height - height % 2
        scale = self.max_height / height
        return int(width * scale) // 2 * 2, self.max_height // 2 * 2


PRESETS: dict[str, QualityPreset] = {
    "diagnostic": QualityPreset(
        "diagnostic", "VP8", 5_000_000, 1_500_000, 8_000_000, None, None, 0, 10.0
    ),
    "balanced": QualityPreset("balanced", "VP8", 2_500_000, 800_000, 4_000_000, 720, None, 0, 5.0),
    "weak": QualityPreset("weak", "VP8", 700_000, 250_000, 1_200_000, 540, 15.0, 1, 3.0),
}
DEFAULT_PRESET = "diagnostic"


def preset(name: str) -> QualityPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown quality preset {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None


class BitratePolicy:
    """The encoder's target bitrate, given bandwidth estimates from the receiver."""

    #: An estimate this far below the target is congestion: follow it at once.
    DOWN_RATIO = 0.85
    #: After a reduction, wait this long on a quiet link before each step back up.
    UP_HOLD_S = 4.0
    UP_STEP = 1.25
    #: Never change more often than this (each change costs a keyframe).
    MIN_INTERVAL_S = 1.0

    def __init__(
        self,
        preset: QualityPreset,
        pixel_rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.preset = preset
        self.target = preset.scaled(preset.target_bps, pixel_rate)
        self.floor = preset.scaled(preset.min_bps, pixel_rate)
        self.ceiling = max(self.target, preset.scaled(preset.max_bps, pixel_rate))
        self.current = self.target
        self._clock = clock
        self._changed_at = clock()
        self._quiet_since: float | None = None
        self.changes = 0

    def on_estimate(self, estimate_bps: float) -> int:
        """Feed a bandwidth estimate (REMB); returns the (possibly new) target."""
        now = self._clock()
        if now - self._changed_at < self.MIN_INTERVAL_S:
            return self.current
        if estimate_bps < self.current * self.DOWN_RATIO:
            self._set(max(self.floor, int(estimate_bps * 0.95)), now)
            self._quiet_since = None
        elif self.current < self.target and estimate_bps >= self.current * 0.95:
            # The link carries what we send: after a quiet while, step back up.
            if self._quiet_since is None:
                self._quiet_since = now
            elif now - self._quiet_since >= self.UP_HOLD_S:
                self._set(min(self.target, int(self.current * self.UP_STEP)), now)
                self._quiet_since = now
        return self.current

    def _set(self, bps: int, now: float) -> None:
        if bps != self.current:
            self.current = bps
            self._changed_at = now
            self.changes += 1
