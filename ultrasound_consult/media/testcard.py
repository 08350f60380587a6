"""A moving colour test card: the stand-in for a room camera (``testcard[:WxH[@FPS]]``).

The second camera shows the probe hand or the patient, in colour and with motion;
a capture card cannot be plugged in here, so tests and demos use this card through
the same path a webcam takes (a :class:`PacedSource` feeding a station pipeline).
Colour bars, a ball that crosses the picture once a second and the frame number,
so a person can see at a glance that the picture moves and which frame it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from ultrasound_consult.media.source import PacedSource, SourceInfo

#: SMPTE-like bars, RGB.
BARS = (
    (192, 192, 192),
    (192, 192, 0),
    (0, 192, 192),
    (0, 192, 0),
    (192, 0, 192),
    (192, 0, 0),
    (0, 0, 192),
)


class TestCardSource(PacedSource):
    __test__ = False  # not a pytest class, despite the name

    def __init__(self, width: int = 640, height: int = 360, fps: float = 15.0) -> None:
        super().__init__(
            SourceInfo(
                description=f"Test card {width}x{height} @ {fps:g} fps",
                width=width,
                height=height,
                fps=fps,
            )
        )
        self._base = np.zeros((height, width, 3), np.uint8)
        edges = np.linspace(0, width, len(BARS) + 1).astype(int)
        for colour, x0, x1 in zip(BARS, edges[:-1], edges[1:], strict=True):
            self._base[: height * 2 // 3, x0:x1] = colour
        ramp = np.linspace(0, 255, width).astype(np.uint8)
        self._base[height * 2 // 3 :] = ramp[None, :, None]

    def render(self, index: int) -> np.ndarray:
        image = self._base.copy()
        h, w = image.shape[:2]
        phase = (index / self.info.fps) % 1.0
        centre = (int(w * (0.1 + 0.8 * phase)), h // 3)
        cv2.circle(image, centre, max(4, h // 10), (255, 255, 255), -1, cv2.LINE_AA)
        scale = max(0.4, h / 480)
        cv2.putText(
            image,
            f"{index:06d}",
            (w // 40, h - h // 20),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 80, 0),
            max(1, round(scale * 2)),
            cv2.LINE_AA,
        )
        return image
