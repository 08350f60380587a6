"""Pixel spacing and image regions: what turns a caliper in pixels into millimetres.

From DICOM's SequenceOfUltrasoundRegions when the source has it, or from the user
clicking two points on the depth scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRegion:
    """A rectangle of the frame that holds image data, in pixels (inclusive bounds)."""

    x0: int
    y0: int
    x1: int
    y1: int
    #: Physical size of one pixel in mm, when the region is calibrated.
    mm_per_px_x: float | None = None
    mm_per_px_y: float | None = None

    def fits(self, width: int, height: int) -> bool:
        return 0 <= self.x0 <= self.x1 < width and 0 <= self.y0 <= self.y1 < height


@dataclass(frozen=True)
class Calibration:
    """Millimetres per pixel of the transmitted frame, and where that came from."""

    mm_per_px_x: float
    mm_per_px_y: float
    origin: str  # "dicom", "user", "synthetic"

    def distance_mm(
        self, a: tuple[float, float], b: tuple[float, float], width: int, height: int
    ) -> float:
        """Distance between two normalised points of a ``width`` x ``height`` frame."""
        dx = (b[0] - a[0]) * width * self.mm_per_px_x
        dy = (b[1] - a[1]) * height * self.mm_per_px_y
        return math.hypot(dx, dy)
