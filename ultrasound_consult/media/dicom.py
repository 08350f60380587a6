"""DICOM ultrasound as a source: cine loops played at their FrameTime, with calibration.

Reads Ultrasound (Multi-frame) Image objects with pydicom. Calibration and image
regions come from SequenceOfUltrasoundRegions, and are refused (with a warning the
user sees) when they do not fit the pixel data, as happens when a file was resized
without updating them: a wrong calibration is worse than none in a measurement.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ultrasound_consult.annotate.calibration import Calibration, ImageRegion
from ultrasound_consult.media.source import PacedSource, SourceError, SourceInfo

logger = logging.getLogger(__name__)

DEFAULT_FPS = 30.0
#: DICOM PhysicalUnits code for centimetres.
UNITS_CM = 3


def load_dicom_frames(path: Path) -> tuple[np.ndarray, float, object]:
    """Frames as ``(n, h, w)`` grey or ``(n, h, w, 3)`` RGB uint8, the frame rate, the dataset."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path)
    except FileNotFoundError:
        raise SourceError(f"DICOM file not found: {path}") from None
    except (InvalidDicomError, OSError) as exc:
        raise SourceError(f"{path} is not a readable DICOM file ({exc}).") from None
    if "PixelData" not in ds:
        raise SourceError(
            f"{path} holds no image (no PixelData); choose an ultrasound image or cine."
        )
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # decoder plugins raise many kinds
        raise SourceError(
            f"cannot decode the pixels of {path} ({exc}). "
            "Compressed DICOM needs pillow or pylibjpeg installed."
        ) from None
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2"))
    pixels = _to_uint8(np.asarray(pixels), ds)
    if photometric == "MONOCHROME1":
        pixels = 255 - pixels
    colour = pixels.ndim == (4 if frames > 1 else 3)
    if frames == 1:
        pixels = pixels[np.newaxis]
    if colour and _is_grey(pixels):
        pixels = np.ascontiguousarray(pixels[..., 0])
    return np.ascontiguousarray(pixels), _frame_rate(ds), ds


def _to_uint8(pixels: np.ndarray, ds: object) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    bits = int(getattr(ds, "BitsStored", 8) or 8)
    scaled = pixels.astype(np.float32) * (255.0 / max(1, (1 << bits) - 1))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _is_grey(pixels: np.ndarray) -> bool:
    """RGB that is really grey (many scanners store B-mode as RGB)."""
    sample = pixels[:: max(1, len(pixels) // 4)].astype(np.int16)
    return bool(
        np.abs(sample[..., 0] - sample[..., 1]).max() <= 2
        and np.abs(sample[..., 0] - sample[..., 2]).max() <= 2
    )


def _frame_rate(ds: object) -> float:
    frame_time = getattr(ds, "FrameTime", None)
    if frame_time:
        return 1000.0 / float(frame_time)
    for keyword in ("CineRate", "RecommendedDisplayFrameRate"):
        rate = getattr(ds, keyword, None)
        if rate:
            return float(rate)
    vector = getattr(ds, "FrameTimeVector", None)
    if vector and len(vector) > 1:
        mean_ms = float(np.mean([float(v) for v in list(vector)[1:]]))
        if mean_ms > 0:
            return 1000.0 / mean_ms
    return DEFAULT_FPS


def ultrasound_regions(
    ds: object, width: int, height: int
) -> tuple[tuple[ImageRegion, ...], list[str]]:
    """Image regions that fit a ``width`` x ``height`` frame, and warnings for those that do not."""
    regions: list[ImageRegion] = []
    warnings: list[str] = []
    for item in getattr(ds, "SequenceOfUltrasoundRegions", []) or []:
        try:
            x0, y0 = int(item.RegionLocationMinX0), int(item.RegionLocationMinY0)
            x1, y1 = int(item.RegionLocationMaxX1), int(item.RegionLocationMaxY1)
        except AttributeError:
            continue
        calibrated = (
            getattr(item, "PhysicalUnitsXDirection", None) == UNITS_CM
            and getattr(item, "PhysicalUnitsYDirection", None) == UNITS_CM
        )
        region = ImageRegion(
            x0,
            y0,
            x1,
            y1,
            mm_per_px_x=float(item.PhysicalDeltaX) * 10.0 if calibrated else None,
            mm_per_px_y=float(item.PhysicalDeltaY) * 10.0 if calibrated else None,
        )
        if region.fits(width, height):
            regions.append(region)
        else:
            warnings.append(
                f"ultrasound region ({x0},{y0})-({x1},{y1}) lies outside the {width}x{height} "
                "image (was the file resized?); its calibration is not used. "
                "Calibrate on the depth scale instead."
            )
    return tuple(regions), warnings


def region_calibration(regions: tuple[ImageRegion, ...]) -> Calibration | None:
    """The calibration of the largest calibrated region (the main B-mode image)."""
    calibrated = [r for r in regions if r.mm_per_px_x and r.mm_per_px_y]
    if not calibrated:
        return None
    main = max(calibrated, key=lambda r: (r.x1 - r.x0) * (r.y1 - r.y0))
    assert main.mm_per_px_x is not None and main.mm_per_px_y is not None
    return Calibration(main.mm_per_px_x, main.mm_per_px_y, origin="dicom")


class DicomCineSource(PacedSource):
    """A DICOM image or cine, looped at its frame rate (``dicom:PATH``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._frames, fps, ds = load_dicom_frames(self.path)
        n, height, width = self._frames.shape[:3]
        regions, warnings = ultrasound_regions(ds, width, height)
        for w in warnings:
            logger.warning("%s: %s", self.path.name, w)
        model = " ".join(
            str(v)
            for v in (getattr(ds, "Manufacturer", ""), getattr(ds, "ManufacturerModelName", ""))
            if v
        )
        super().__init__(
            SourceInfo(
                description=f"DICOM {self.path.name} ({model or 'unknown scanner'}, {n} frame"
                f"{'s' if n != 1 else ''}, {width}x{height} @ {fps:.3g} fps)",
                width=width,
                height=height,
                fps=fps,
                calibration=region_calibration(regions),
                image_regions=regions,
                warnings=warnings,
            )
        )

    @property
    def frame_count(self) -> int:
        return int(self._frames.shape[0])

    def render(self, index: int) -> np.ndarray:
        # A copy: the privacy mask writes into the frame it is given.
        return self._frames[index % len(self._frames)].copy()
