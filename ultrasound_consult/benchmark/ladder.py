"""Which step down costs the least: measure SSIM inside the image per bitrate, for each
combination of lines and frame rate the degradation ladder could use.

    ultrasound-consult bench --ladder --json [--source SPEC]

For each configuration (native or fewer lines, full or half frame rate) and each
bitrate, the source's frames are encoded with the station's real encoder settings
(``PresetVp8Encoder``), decoded, scaled back to the native size and compared with the
original inside the image region. The ladder in ``media/quality.py`` is read off
these figures: at each bitrate, the configuration with the best SSIM, preferring the
full frame rate unless half the rate gains clearly.
"""

from __future__ import annotations

import time
from typing import Any

import av
import cv2
import numpy as np
from aiortc.codecs.vpx import VpxPayloadDescriptor

from ultrasound_consult.benchmark.runner import image_box, regenerable_source
from ultrasound_consult.benchmark.similarity import luma, ssim
from ultrasound_consult.media.convert import to_video_frame
from ultrasound_consult.media.encoder import PresetVp8Encoder
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.quality import QualityPreset, RateLadder, preset

CONFIGS = [(None, 1), (None, 2), (540, 1), (540, 2), (432, 2)]  # (lines, frame step)
RATES_MBPS = [0.3, 0.5, 0.8, 1.2, 1.6, 2.0, 3.0]


class _FixedPolicy:
    """A BitratePolicy stand-in at one fixed rate (the encoder reads these fields)."""

    def __init__(self, bps: int, base: QualityPreset) -> None:
        self.current = self.ceiling = self.target = bps
        self.preset = base


def measure(source_spec: str, lines: int | None, step: int, bps: int, frames: int) -> float:
    source = regenerable_source(source_spec)
    fps = source.info.fps or 30.0
    base = preset("diagnostic")
    encoder = PresetVp8Encoder(_FixedPolicy(bps, base), fps / step)  # type: ignore[arg-type]
    decoder = av.CodecContext.create("vp8", "r")
    mask = PrivacyMask()
    scores = []
    for n in range(0, frames, step):
        image = source.render(n).copy()
        plan = mask.plan(image.shape[1], image.shape[0], source.info.image_regions)
        plan.apply(image)
        size = None
        if lines is not None and image.shape[0] > lines:
            size = (round(image.shape[1] * lines / image.shape[0]) // 2 * 2, lines)
        frame = to_video_frame(image, n / fps, mask=plan, size=size)
        payloads, _ = encoder.encode(frame)
        data = _depacketize(payloads)
        for decoded in decoder.decode(av.Packet(data)):
            got = decoded.to_ndarray(format="gray")
            got = np.clip((got.astype(np.float32) - 16) * (255 / 219), 0, 255).astype(np.uint8)
            want = luma(image)
            if got.shape != want.shape:
                got = cv2.resize(
                    got, (want.shape[1], want.shape[0]), interpolation=cv2.INTER_LINEAR
                )
            if n >= fps:  # after the first second (rate control settled)
                y0, y1, x0, x1 = image_box(want)
                scores.append(ssim(want[y0:y1, x0:x1], got[y0:y1, x0:x1]))
    return float(np.median(scores)) if scores else float("nan")


def _depacketize(payloads: list[bytes]) -> bytes:
    out = b""
    for p in payloads:
        _, data = VpxPayloadDescriptor.parse(p)
        out += data
    return out


def run_ladder_bench(
    source_spec: str = "synthetic:1024x768@30", seconds: float = 4.0
) -> dict[str, Any]:
    started = time.perf_counter()
    source = regenerable_source(source_spec)
    frames = int(seconds * (source.info.fps or 30.0))
    table: dict[str, dict[str, float]] = {}
    for lines, step in CONFIGS:
        name = f"{lines or source.info.height} lines @ {round((source.info.fps or 30) / step)} fps"
        table[name] = {
            f"{mbps:g}": round(measure(source_spec, lines, step, int(mbps * 1e6), frames), 4)
            for mbps in RATES_MBPS
        }
    return {
        "benchmark": "ladder",
        "source": source.info.description,
        "ssim_inside_image": table,
        "ladder_in_use": RateLadder.describe_default(),
        "seconds": round(time.perf_counter() - started, 1),
    }
