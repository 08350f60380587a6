"""A synthetic B-mode ultrasound phantom: a sector scan with speckle and moving anatomy.

Looks enough like a scanner's video output to exercise everything downstream: fully
developed speckle (Rayleigh envelope, laterally elongated) that decorrelates slowly
from frame to frame, depth attenuation with time-gain compensation, an anechoic cyst
drifting with respiration, a pulsating vessel with bright walls, a bright curved
capsule line, a depth scale in centimetres, and a fake patient banner in the top band
so that the privacy mask has something to hide.

Frames are a pure function of ``(seed, frame index)``: the same seed gives the same
video, and any frame can be rendered without rendering the ones before it.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ultrasound_consult.annotate.calibration import Calibration
from ultrasound_consult.media.source import PacedSource, SourceInfo

#: Everything in the phantom repeats exactly after this long: breathing once, the
#: heart five times (75 a minute), the speckle through eight noise keyframes.
LOOP_S = 4.0
#: Speckle pattern changes over this many seconds (keyframe interval of the noise).
SPECKLE_PERIOD_S = LOOP_S / 8
#: Log compression: natural-log echo amplitude -> grey level (about 50 dB shown).
_LOG_GAIN = 255.0 / 5.6
_LOG_OFFSET = 2.2 * _LOG_GAIN
#: Fraction of the frame height taken by the fake patient banner.
BANNER_FRACTION = 0.06

FAKE_BANNER = "DEMO^PATIENT  ID 0000-4711  DOB 1970-01-01  F  TOWNSHIP CLINIC  (synthetic)"


@dataclass(frozen=True)
class PhantomGeometry:
    width: int
    height: int
    apex_x: float
    apex_y: float
    radius_min: float
    radius_max: float
    half_angle: float  # radians
    depth_cm: float

    @property
    def px_per_cm(self) -> float:
        return (self.radius_max - self.radius_min) / self.depth_cm


def geometry_for(width: int, height: int) -> PhantomGeometry:
    top = height * (BANNER_FRACTION + 0.045)
    radius_max = height * 0.93 - top
    return PhantomGeometry(
        width=width,
        height=height,
        apex_x=width / 2,
        apex_y=top - radius_max * 0.06,
        radius_min=radius_max * 0.06,
        radius_max=radius_max,
        half_angle=math.radians(min(38.0, math.degrees(math.atan2(width * 0.42, radius_max)))),
        depth_cm=14.0,
    )


class PhantomGenerator:
    """Renders frames of the phantom as ``(height, width)`` greyscale ``uint8`` arrays."""

    def __init__(self, width: int = 1024, height: int = 768, fps: float = 30.0, seed: int = 0):
        if width < 64 or height < 64:
            raise ValueError("the phantom needs at least 64x64 pixels")
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.width, self.height, self.fps, self.seed = width, height, fps, seed
        self.geometry = g = geometry_for(width, height)
        # Polar sampling grid: depth samples x scan lines, about one sample per output
        # pixel along depth and enough lines for the widest arc.
        self._n_depth = int(min(512, max(96, g.radius_max - g.radius_min)))
        self._n_lines = int(min(384, max(96, 2 * g.half_angle * g.radius_max / 2)))
        r = np.linspace(g.radius_min, g.radius_max, self._n_depth, dtype=np.float32)
        th = np.linspace(-g.half_angle, g.half_angle, self._n_lines, dtype=np.float32)
        self._r, self._th = np.meshgrid(r, th, indexing="ij")
        # Cartesian position of every polar sample, in cm from the apex.
        self._x_cm = (self._r * np.sin(self._th)) / g.px_per_cm
        self._z_cm = (self._r * np.cos(self._th) - g.radius_min) / g.px_per_cm
        # Anatomy is smooth: compute it on a grid four times coarser, then upsample.
        self._xc = cv2.resize(self._x_cm, (self._n_lines // 2, self._n_depth // 2))
        self._zc = cv2.resize(self._z_cm, (self._n_lines // 2, self._n_depth // 2))
        self._thc = cv2.resize(self._th, (self._n_lines // 2, self._n_depth // 2))
        self._apex_offset_cm = g.radius_min / g.px_per_cm
        self._capsule_curve = (2.3 + 0.04 * self._xc * self._xc).astype(np.float32)
        self._base = self._background()
        self._tgc = self._attenuation_with_tgc()
        self._map_x, self._map_y = self._scan_conversion_maps()
        self._static = self._static_layer()

    # --- public --------------------------------------------------------------

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as a ``(height, width)`` greyscale ``uint8`` array."""
        t = index / self.fps
        echo = cv2.resize(
            self._echogenicity(t),
            (self._n_lines, self._n_depth),
            interpolation=cv2.INTER_LINEAR,
        )
        echo = cv2.multiply(echo, self._speckle(t))
        # Log compression to the display range, as a scanner does.
        level = cv2.log(echo + np.float32(1e-3))
        level *= np.float32(_LOG_GAIN)
        level += np.float32(_LOG_OFFSET)
        # Clamp below at black: convertScaleAbs alone would fold negatives to bright.
        cv2.threshold(level, 0.0, 0.0, cv2.THRESH_TOZERO, dst=level)
        gray_polar = cv2.convertScaleAbs(level)
        # Samples outside the sector map to -1 and take the border value (black).
        gray = cv2.remap(
            gray_polar,
            self._map_x,
            self._map_y,
            interpolation=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        cv2.max(gray, self._static, dst=gray)
        return gray

    # --- pieces --------------------------------------------------------------

    def _speckle(self, t: float) -> np.ndarray:
        """Rayleigh-envelope speckle that morphs smoothly between noise keyframes."""
        k, frac = divmod(t / SPECKLE_PERIOD_S, 1.0)
        keys = round(LOOP_S / SPECKLE_PERIOD_S)
        re_a, im_a = _speckle_field(self.seed, int(k) % keys, self._n_depth, self._n_lines)
        re_b, im_b = _speckle_field(self.seed, (int(k) + 1) % keys, self._n_depth, self._n_lines)
        # cos/sin weights keep the variance constant, so brightness does not pulse.
        wa, wb = math.cos(frac * math.pi / 2), math.sin(frac * math.pi / 2)
        re = cv2.addWeighted(re_a, wa, re_b, wb, 0.0)
        im = cv2.addWeighted(im_a, wa, im_b, wb, 0.0)
        return cv2.magnitude(re, im)

    def _echogenicity(self, t: float) -> np.ndarray:
        """Tissue reflectivity times beam attenuation, on the coarse polar grid."""
        x, z = self._xc, self._zc
        breath = math.sin(2 * math.pi * t / LOOP_S)  # 15 breaths a minute
        beat = 0.5 + 0.5 * math.sin(2 * math.pi * t * 5 / LOOP_S)  # 75 beats a minute
        shift = np.float32(0.35 * breath)
        echo = self._base.copy()
        # Capsule: a bright curved specular line that moves with breathing; the
        # parenchyma below it is slightly more echogenic.
        below = z - (self._capsule_curve + shift)
        echo += 2.4 * np.exp(-((below / 0.08) ** 2))
        echo *= np.where(below > 0, np.float32(1.15), np.float32(1.0))
        # Anechoic cyst, with posterior acoustic enhancement along its beam lines.
        cx, cz, cr = -2.2 + 0.2 * breath, 6.5 + float(shift), 1.1
        d_cyst = (x - cx) ** 2 + (z - cz) ** 2
        echo[d_cyst < cr * cr] *= np.float32(0.02)
        th_c = math.atan2(cx, cz + self._apex_offset_cm)
        shadow = (np.abs(self._thc - th_c) < cr / (cz + self._apex_offset_cm) * 0.85) & (z > cz)
        echo[shadow] *= np.float32(1.5)
        # Pulsating vessel: dark lumen, bright walls.
        vx, vz, vr = 2.4, 8.2 + float(shift), 0.75 + 0.12 * beat
        d_vessel = np.sqrt(((x - vx) / 1.35) ** 2 + (z - vz) ** 2)
        echo[d_vessel < vr] *= np.float32(0.03)
        echo += 1.8 * np.exp(-(((d_vessel - vr) / 0.09) ** 2))
        # A hyperechoic nodule deep down.
        echo[(x + 0.5) ** 2 + (z - 11.0 - shift) ** 2 < 0.36] += np.float32(1.2)
        return echo * self._tgc

    def _background(self) -> np.ndarray:
        # Soft tissue, brighter and streaky in the subcutaneous layer near the skin.
        z = self._zc
        return (0.5 + np.where(z < 1.2, 0.45 * np.exp(-z), 0.0)).astype(np.float32)

    def _attenuation_with_tgc(self) -> np.ndarray:
        # Tissue attenuates; the TGC does not quite compensate, as on a real scanner,
        # and the beam is weaker at the edges of the sector.
        z = self._zc
        atten = np.exp(-0.09 * z) * (1.0 + 0.045 * z)
        edge = 1.0 - 0.35 * (self._thc / self.geometry.half_angle) ** 4
        return (atten * edge).astype(np.float32)

    def _scan_conversion_maps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = self.geometry
        ys, xs = np.mgrid[0 : g.height, 0 : g.width].astype(np.float32)
        dx, dy = xs - g.apex_x, ys - g.apex_y
        r = np.sqrt(dx * dx + dy * dy)
        th = np.arctan2(dx, dy)
        map_y = (r - g.radius_min) / (g.radius_max - g.radius_min) * (self._n_depth - 1)
        map_x = (th + g.half_angle) / (2 * g.half_angle) * (self._n_lines - 1)
        outside = (r < g.radius_min) | (r > g.radius_max) | (np.abs(th) > g.half_angle)
        map_x[outside] = -1.0
        map_y[outside] = -1.0
        return map_x.astype(np.float32), map_y.astype(np.float32)

    def _static_layer(self) -> np.ndarray:
        """Banner, depth scale, orientation marker and settings text (never change)."""
        g = self.geometry
        layer = np.zeros((g.height, g.width), dtype=np.uint8)
        banner_h = max(12, int(g.height * BANNER_FRACTION))
        scale = banner_h / 40.0
        cv2.putText(
            layer,
            FAKE_BANNER,
            (int(g.width * 0.01), int(banner_h * 0.7)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.55 * scale * max(1.0, g.width / 1024),
            230,
            max(1, round(scale)),
            cv2.LINE_AA,
        )
        # Depth scale: a tick every cm, labelled every 2 cm, right of the sector.
        x_scale = int(
            min(g.width - 40 * scale, g.apex_x + g.radius_max * math.sin(g.half_angle) + 20)
        )
        for cm in range(0, int(g.depth_cm) + 1):
            y = int(g.apex_y + g.radius_min + cm * g.px_per_cm)
            length = 10 if cm % 2 == 0 else 5
            cv2.line(layer, (x_scale, y), (x_scale + length, y), 200, 1, cv2.LINE_AA)
            if cm % 2 == 0 and cm > 0:
                cv2.putText(
                    layer,
                    str(cm),
                    (x_scale + 14, y + 5),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * max(1.0, scale),
                    200,
                    1,
                    cv2.LINE_AA,
                )
        cv2.putText(
            layer,
            "cm",
            (x_scale, int(g.apex_y + g.radius_max + 22)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * max(1.0, scale),
            200,
            1,
            cv2.LINE_AA,
        )
        # Orientation marker beside the left edge of the footprint.
        mx = int(g.apex_x - g.radius_min * math.sin(g.half_angle) - 30)
        my = int(g.apex_y + g.radius_min)
        cv2.circle(layer, (mx, my), max(4, int(6 * scale)), 220, -1, cv2.LINE_AA)
        # Scanner settings column on the left, as on real machines.
        for i, text in enumerate(("C5-1", "Abd", "B 58%", "DR 60", "14 cm", "31 Hz")):
            cv2.putText(
                layer,
                text,
                (int(g.width * 0.015), int(banner_h + 30 * max(1.0, scale) * (i + 1.3))),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.5 * max(1.0, scale),
                190,
                1,
                cv2.LINE_AA,
            )
        return layer


@lru_cache(maxsize=4)
def _speckle_field(seed: int, k: int, n_depth: int, n_lines: int) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts of one keyframe of complex Gaussian scatter.

    Blurred anisotropically: the point-spread function of a phased array is wider
    laterally than axially, which is what makes speckle look like speckle.
    """
    rng = np.random.default_rng([seed, k])
    out = []
    for _ in range(2):
        field = rng.standard_normal((n_depth, n_lines), dtype=np.float32)
        field = cv2.GaussianBlur(field, (0, 0), sigmaX=0.9, sigmaY=0.7)
        field /= field.std() + 1e-6
        out.append(field)
    return out[0], out[1]


class SyntheticSource(PacedSource):
    """The phantom as a live source (``synthetic[:WxH[@FPS]]``).

    The phantom repeats every :data:`LOOP_S`, so each frame of the loop is rendered
    once and then replayed (up to :data:`CACHE_BYTES`): after the first loop the
    source costs about what a capture card does, and a benchmark of the station
    measures the call, not the drawing of synthetic anatomy.
    """

    CACHE_BYTES = 300 * 1024 * 1024

    def __init__(self, width: int = 1024, height: int = 768, fps: float = 30.0, seed: int = 0):
        self.generator = PhantomGenerator(width, height, fps, seed)
        g = self.generator.geometry
        mm_per_px = 10.0 / g.px_per_cm
        super().__init__(
            SourceInfo(
                description=f"Synthetic phantom {width}x{height} @ {fps:g} fps",
                width=width,
                height=height,
                fps=fps,
                calibration=Calibration(mm_per_px, mm_per_px, origin="synthetic"),
            )
        )
        loop_frames = LOOP_S * fps
        # Only a whole number of frames per loop repeats exactly.
        self._loop = round(loop_frames) if abs(loop_frames - round(loop_frames)) < 1e-6 else 0
        if self._loop * width * height > self.CACHE_BYTES:
            self._loop = 0
        self._cache: dict[int, np.ndarray] = {}

    async def start(self) -> None:
        await super().start()
        if self._loop:
            # Render the loop in the background; frames not there yet are drawn on demand.
            asyncio.get_running_loop().run_in_executor(None, self._prefill)

    def _prefill(self) -> None:
        for slot in range(self._loop):
            if slot not in self._cache:
                self._cache[slot] = self.generator.frame(slot)

    def render(self, index: int) -> np.ndarray:
        if not self._loop:
            return self.generator.frame(index)
        slot = index % self._loop
        frame = self._cache.get(slot)
        if frame is None:
            frame = self._cache[slot] = self.generator.frame(slot)
        return frame.copy()  # the privacy mask writes into the frame it is given
