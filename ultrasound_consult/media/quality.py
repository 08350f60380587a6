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
        """``bps`` for this pixel rate: bits needed grow about as its square root.

        Measured on the phantom's speckle with VP8: 5 Mbps at 1024x768@30 and 8 Mbps at
        1920x1080@30 give SSIM 0.98 and 0.975.
        """
        return int(bps * max(0.25, (pixel_rate / REFERENCE_PIXEL_RATE) ** 0.5))

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """The size frames are sent at: native, or scaled down to ``max_height`` (even)."""
        return output_size(width, height, self.max_height)


def output_size(width: int, height: int, max_height: int | None) -> tuple[int, int]:
    """Native (even), or scaled down to ``max_height`` lines."""
    if max_height is None or height <= max_height:
        return width - width % 2, height - height % 2
    scale = max_height / height
    return int(width * scale) // 2 * 2, max_height // 2 * 2


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


@dataclass(frozen=True)
class Rung:
    """One step of the degradation ladder: at most this many lines and this frame rate,
    used while the rate is at least ``min_bps`` (given for 1024x768 at 30 fps)."""

    max_height: int | None
    fps_divisor: int
    min_bps: int


class RateLadder:
    """What the station sends at a given bitrate: lines and frame rate, in steps.

    Read off ``ultrasound-consult bench --ladder`` (SSIM inside the image of the
    phantom, compared at the native size as the expert sees it; docs/media.md "Weak
    networks"). The full frame rate is kept while it gives SSIM >= 0.88 (1.4 Mbps at
    1024x768: 0.889 at 1.6, 0.862 at 1.2); below, half the frame rate at the native
    size keeps the speckle (0.889 at 1.2 Mbps, against 0.878 at 540 lines and full
    rate, which also loses the finest detail for good). Fewer lines only come when
    even that starves (below 0.9 Mbps: 540 lines at half rate, 0.851 at 0.8 against
    0.847 native), and 432 lines last (0.821 at 0.5 against 0.807 at 540). At
    0.3-0.5 Mbps the native encoder cannot go lower (its quantiser is at its limit),
    so it would send more than asked. The user's preset is a ceiling: no rung has
    more lines or a higher frame rate than it.
    """

    DEFAULT: tuple[Rung, ...] = (
        Rung(None, 1, 1_400_000),
        Rung(None, 2, 900_000),
        Rung(540, 2, 600_000),
        Rung(432, 2, 0),
    )
    #: Climb a rung only this far above its threshold, and not sooner than UP_HOLD_S
    #: after the last change (a rung that flips every few seconds, each flip a keyframe
    #: or a change of frame rate the sonographer is told about, is worse than either).
    UP_MARGIN = 1.25
    UP_HOLD_S = 10.0
    #: After climbing, the next rung up may follow this soon (back up after a crash).
    NEXT_UP_HOLD_S = 3.0

    def __init__(self, rungs: tuple[Rung, ...] = DEFAULT) -> None:
        self.rungs = rungs

    @classmethod
    def describe_default(cls) -> list[dict[str, object]]:
        return [
            {"max_height": r.max_height, "fps_divisor": r.fps_divisor, "from_mbps": r.min_bps / 1e6}
            for r in cls.DEFAULT
        ]

    def index_for(self, bps: float, scale: float, current: int, *, may_climb: bool) -> int:
        """The rung for ``bps`` (thresholds times ``scale``), moving up only with margin."""
        wanted = next(
            (i for i, r in enumerate(self.rungs) if bps >= r.min_bps * scale), len(self.rungs) - 1
        )
        if wanted >= current:
            return wanted  # down (or stay) at once
        if not may_climb:
            return current
        # Up one rung at a time, and only with a margin above its threshold.
        up = current - 1
        return up if bps >= self.rungs[up].min_bps * scale * self.UP_MARGIN else current


class BitratePolicy:
    """The encoder's target bitrate, given bandwidth estimates from the receiver.

    Two inputs: :meth:`follow` takes the delay-based controller's target
    (``media/congestion.py``) and walks the ladder; until a viewer's arrival reports
    come (an older viewer never sends them) :meth:`on_estimate` follows aiortc's REMB.
    """

    #: An estimate this far below the target is congestion: follow it at once.
    DOWN_RATIO = 0.85
    #: After a reduction, wait this long on a quiet link before each step back up.
    UP_HOLD_S = 4.0
    #: Small steps: the estimator reports about 1.08x the rate it last saw, so after a
    #: bigger step it looks like congestion for a moment (measured).
    UP_STEP = 1.15
    #: After stepping up, only a drop below SEVERE_RATIO counts for this long.
    UP_GRACE_S = 2.0
    SEVERE_RATIO = 0.6
    #: Never change more often than this (each change costs a keyframe).
    MIN_INTERVAL_S = 1.0
    #: After congestion, sit this far below the bandwidth estimate.
    HEADROOM = 0.85
    #: ... and stay under the rate that congested the link for this long.
    MEMORY_S = 30.0
    #: Start below the target on a link not yet measured, and climb faster at first.
    START_FRACTION = 0.6
    CONTROLLED_START_BPS = 1_500_000
    STARTUP_S = 10.0
    STARTUP_HOLD_S = 1.0

    def __init__(
        self,
        preset: QualityPreset,
        pixel_rate: float,
        *,
        source_fps: float = 30.0,
        delay_controlled: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.preset = preset
        self.source_fps = source_fps
        self._pixel_scale = max(0.25, (pixel_rate / REFERENCE_PIXEL_RATE) ** 0.5)
        self.target = preset.scaled(preset.target_bps, pixel_rate)
        self.floor = preset.scaled(preset.min_bps, pixel_rate)
        self.ceiling = max(self.target, preset.scaled(preset.max_bps, pixel_rate))
        self._rate = max(self.floor, int(self.target * self.START_FRACTION))
        if delay_controlled:
            # The delay-based controller climbs from here within seconds; starting at
            # 60% of 5 Mbps put a 0.5 s queue on a 2 Mbit township link before the
            # first report could say so (measured). 1.5 Mbps (for 1024x768@30) keeps
            # the native rung of the ladder.
            self._rate = min(
                self._rate, max(self.floor, int(self.CONTROLLED_START_BPS * self._pixel_scale))
            )
        self._clock = clock
        self._created_at = self._changed_at = clock()
        self._quiet_since: float | None = None
        self._congested_bps: int | None = None
        self._stepped_up_at: float | None = None
        self._congested_at = 0.0
        self.changes = 0
        self.ladder = RateLadder()
        self.rung_index = 0
        self._rung_changed_at = self._created_at
        self._last_rung_move_up = False
        #: True once the delay-based controller drives the rate (REMB is then ignored).
        self.controlled = False

    @property
    def ladder_floor(self) -> int:
        """The lowest rate the ladder goes to (its last rung, at a fraction of the floor)."""
        return max(150_000, int(self.floor * 0.2))

    @property
    def rung(self) -> Rung:
        """The rung in use, capped by the preset (the user's choice is a ceiling)."""
        rung = self.ladder.rungs[self.rung_index]
        height, cap = rung.max_height, self.preset.max_height
        if cap is not None:
            height = cap if height is None else min(height, cap)
        return Rung(height, rung.fps_divisor, rung.min_bps)

    def max_fps(self) -> float | None:
        """The frame rate to send at now (None: the source's)."""
        rung = self.rung
        cap = self.preset.max_fps
        if rung.fps_divisor > 1:
            reduced = self.source_fps / rung.fps_divisor
            cap = reduced if cap is None else min(cap, reduced)
        return cap

    def follow(self, bps: int) -> int:
        """Take the delay-based controller's target; returns the rate the encoder uses."""
        now = self._clock()
        self.controlled = True
        rate = min(max(int(bps), self.ladder_floor), self.target)
        hold = RateLadder.NEXT_UP_HOLD_S if self._last_rung_move_up else RateLadder.UP_HOLD_S
        index = self.ladder.index_for(
            rate,
            self._pixel_scale,
            self.rung_index,
            may_climb=now - self._rung_changed_at >= hold,
        )
        if index != self.rung_index:
            self._last_rung_move_up = index < self.rung_index
            self.rung_index, self._rung_changed_at = index, now
        if rate != self._rate:
            self._rate = rate
            self.changes += 1
        return self._rate

    @property
    def current(self) -> int:
        """The bitrate the encoder should use now."""
        return self._rate

    @current.setter
    def current(self, bps: int) -> None:
        self._rate = bps

    def on_estimate(self, estimate_bps: float) -> int:
        """Feed a bandwidth estimate (REMB); returns the (possibly new) target."""
        now = self._clock()
        if self.controlled or now - self._changed_at < self.MIN_INTERVAL_S:
            return self.current
        congested = estimate_bps < self._rate * self.DOWN_RATIO
        if (
            congested
            and self._stepped_up_at is not None
            and now - self._stepped_up_at < self.UP_GRACE_S
        ):
            congested = estimate_bps < self._rate * self.SEVERE_RATIO
        if congested:
            # Congestion: settle below the estimate so the bottleneck's queue drains,
            # and remember where it happened.
            self._congested_bps, self._congested_at = self._rate, now
            self._set(max(self.floor, int(estimate_bps * self.HEADROOM)), now)
            self._quiet_since = None
        elif self._rate < self._ceiling(now) and estimate_bps >= self._rate * 0.95:
            # The link carries what we send: after a quiet while, step back up.
            if self._quiet_since is None:
                self._quiet_since = now
            elif now - self._quiet_since >= self._hold(now):
                self._set(min(self._ceiling(now), int(self._rate * self.UP_STEP)), now)
                self._quiet_since = self._stepped_up_at = now
        return self.current

    def _ceiling(self, now: float) -> int:
        """The target, or just under the last congestion point while it is recent."""
        if self._congested_bps is not None and now - self._congested_at < self.MEMORY_S:
            return min(self.target, max(self.floor, int(self._congested_bps * 0.9)))
        return self.target

    def _hold(self, now: float) -> float:
        return self.STARTUP_HOLD_S if now - self._created_at < self.STARTUP_S else self.UP_HOLD_S

    def _set(self, bps: int, now: float) -> None:
        if bps != self._rate:
            self._rate = bps
            self._changed_at = now
            self.changes += 1
