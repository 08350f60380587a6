"""Pixel spacing and image regions: what turns a caliper in pixels into millimetres.

From DICOM's SequenceOfUltrasoundRegions when the source has it, or from the user
clicking two points on the depth scale and typing the distance between them. All
measurements take normalised points and the frame size, so the station and every
viewer compute the same value from the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ultrasound_consult.protocol.channel import CalibrationSet

Point = tuple[float, float]

#: Two calibration points closer than this (pixels) cannot give a usable scale.
MIN_CALIBRATION_SPAN_PX = 20.0


class CalibrationError(ValueError):
    """A calibration the user must redo; the message says how."""


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

    @classmethod
    def from_two_points(cls, a: Point, b: Point, mm: float, width: int, height: int) -> Calibration:
        """The user's calibration: two points ``mm`` apart (pixels are taken as square,
        which B-mode scan conversion makes them)."""
        if not (math.isfinite(mm) and mm > 0):
            raise CalibrationError("enter the distance between the two points in millimetres")
        span = math.hypot((b[0] - a[0]) * width, (b[1] - a[1]) * height)
        if span < MIN_CALIBRATION_SPAN_PX:
            raise CalibrationError(
                "the two points are too close together: click two depth-scale marks "
                "at least a centimetre apart"
            )
        scale = mm / span
        return cls(scale, scale, origin="user")

    def px_to_mm(self, a: Point, b: Point, width: int, height: int) -> tuple[float, float]:
        """The vector a->b in millimetres."""
        return (
            (b[0] - a[0]) * width * self.mm_per_px_x,
            (b[1] - a[1]) * height * self.mm_per_px_y,
        )

    def distance_mm(self, a: Point, b: Point, width: int, height: int) -> float:
        """Distance between two normalised points of a ``width`` x ``height`` frame."""
        return math.hypot(*self.px_to_mm(a, b, width, height))

    def ellipse_mm(
        self, a: Point, b: Point, c: Point, width: int, height: int
    ) -> tuple[float, float, float]:
        """An area measurement: (first axis mm, second axis mm, area mm²).

        ``a``-``b`` is one axis; the distance of ``c`` from that axis is the other
        half-axis.
        """
        ux, uy = self.px_to_mm(a, b, width, height)
        vx, vy = self.px_to_mm(a, c, width, height)
        axis1 = math.hypot(ux, uy)
        half2 = abs(ux * vy - uy * vx) / axis1 if axis1 > 0 else 0.0
        return axis1, 2.0 * half2, math.pi * (axis1 / 2.0) * half2


def calibration_of(msg: CalibrationSet | None) -> Calibration | None:
    """The scale a ``calib`` message sets (None: not calibrated)."""
    if msg is None or msg.mm_per_px_x is None or msg.mm_per_px_y is None:
        return None
    return Calibration(msg.mm_per_px_x, msg.mm_per_px_y, origin=msg.origin.value)
