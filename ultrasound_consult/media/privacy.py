"""The privacy mask: patient identity never leaves the station.

Applied by :class:`~ultrasound_consult.media.pipeline.StationPipeline` to every
frame as it leaves the source, before the preview, the encoder, a recorder or a
snapshot can see it. What it blacks out:

* when the source carries DICOM ultrasound regions: everything outside them;
* otherwise the top band, where scanners burn in the patient's name (default 10%);
* plus any rectangles the user drew for this source.

After masking, the frame's array is made read-only so no later stage can alter it.

On the way to the encoder, masked pixels are written as sub-black luma (Y=0, in the
footroom below video black at 16): lossy coding moves flat areas by a few levels,
and from 0 that can never rise above black after the receiver's limited-range
conversion. Sent as black (16) they arrive as 17 (RGB 1) at low bitrates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ultrasound_consult.annotate.calibration import ImageRegion

DEFAULT_TOP_BAND = 0.10
#: Masked pixels are black; a receiver never sees a value above this in a masked area.
MASK_VALUE = 0
#: Luma written for masked pixels on the way to the encoder (see the module docstring).
MASK_LUMA = 0

NormRect = tuple[float, float, float, float]  # x0, y0, x1, y1 in 0..1


@dataclass(frozen=True)
class PrivacyMask:
    top_band: float = DEFAULT_TOP_BAND
    outside_regions: bool = True
    rects: tuple[NormRect, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.top_band <= 0.5:
            raise ValueError("the masked top band must be between 0 and 50% of the height")
        for r in self.rects:
            if not (0 <= r[0] < r[2] <= 1 and 0 <= r[1] < r[3] <= 1):
                raise ValueError(f"mask rectangle {r} must be x0<x1, y0<y1 within 0..1")

    def plan(self, width: int, height: int, regions: tuple[ImageRegion, ...] = ()) -> MaskPlan:
        """Precompute the masked area for one frame size."""
        keep = np.ones((height, width), dtype=bool)
        usable = [r for r in regions if r.fits(width, height)]
        if self.outside_regions and usable:
            keep[:] = False
            for r in usable:
                keep[r.y0 : r.y1 + 1, r.x0 : r.x1 + 1] = True
        elif self.top_band > 0:
            keep[: int(np.ceil(height * self.top_band))] = False
        for x0, y0, x1, y1 in self.rects:
            keep[
                int(np.floor(y0 * height)) : int(np.ceil(y1 * height)),
                int(np.floor(x0 * width)) : int(np.ceil(x1 * width)),
            ] = False
        return MaskPlan(width, height, ~keep)


class MaskPlan:
    """The masked pixels of one frame size, applied in place."""

    def __init__(self, width: int, height: int, masked: np.ndarray) -> None:
        self.width, self.height = width, height
        self.masked = masked
        self.fraction = float(masked.mean())
        # Whole masked rows (the common top-band case) are a cheap slice assignment.
        full_rows = masked.all(axis=1)
        self._rows = np.flatnonzero(full_rows)
        self._rest = masked & ~full_rows[:, None]
        self._has_rest = bool(self._rest.any())

    def apply(self, image: np.ndarray) -> None:
        if image.shape[0] != self.height or image.shape[1] != self.width:
            raise ValueError(
                f"mask planned for {self.width}x{self.height}, "
                f"frame is {image.shape[1]}x{image.shape[0]}"
            )
        self._fill(image, MASK_VALUE)
        image.flags.writeable = False

    def apply_to_luma(self, luma: np.ndarray) -> None:
        """Write :data:`MASK_LUMA` into the masked pixels of a (possibly even-cropped) Y plane."""
        self._fill(luma, MASK_LUMA)

    def _fill(self, plane: np.ndarray, value: int) -> None:
        h, w = plane.shape[:2]
        if len(self._rows):
            plane[self._rows[self._rows < h], :w] = value
        if self._has_rest:
            plane[self._rest[:h, :w]] = value
