"""Calibration and measurement against the real scanner files, and the shapes both
renderers draw."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ultrasound_consult.annotate.calibration import Calibration, CalibrationError
from ultrasound_consult.annotate.shapes import Ellipse, Label, measurement_text, shapes_for
from ultrasound_consult.media.dicom import DicomCineSource
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind


def depth_ticks(frame: np.ndarray, x0: int, x1: int) -> list[float]:
    """Row centres of the depth scale's tick marks: short bright dashes in columns x0..x1."""
    bright = (frame[:, x0:x1] > 200).sum(axis=1) >= 8
    runs, start = [], None
    for y, on in enumerate(bright):
        if on and start is None:
            start = y
        elif not on and start is not None:
            runs.append((start, y - 1))
            start = None
    # A tick is 2-4 rows tall; the scale's labels and the focus marker are not.
    return [(a + b) / 2 for a, b in runs if 1 <= b - a <= 3]


def test_user_calibration_on_the_philips_depth_scale_agrees_with_its_dicom_regions(
    grey_banner_frame,
):
    """The sonographer clicks the 0 cm and 4 cm ticks and types 40 mm: the scale must
    agree with the scanner's own calibration to within one pixel over the span."""
    src = DicomCineSource(grey_banner_frame)
    frame = src.render(0)
    h, w = frame.shape
    dicom = src.info.calibration
    ticks = depth_ticks(frame, 912, 930)
    spacing = np.diff(ticks)
    evenly = [t for t, d in zip(ticks, np.append(spacing, spacing[-1]), strict=True)
              if abs(d - np.median(spacing)) < 3]  # fmt: skip
    assert len(evenly) >= 5, f"expected the 0-4 cm ticks, found rows {ticks}"
    top, bottom = evenly[0], evenly[-1]
    cm = round((bottom - top) / np.median(spacing))
    assert cm == 4, "the scale reads 4.0 cm at the bottom tick"
    a, b = (921 / w, top / h), (921 / w, bottom / h)
    user = Calibration.from_two_points(a, b, cm * 10.0, w, h)
    span_px = bottom - top
    assert abs(user.mm_per_px_y - dicom.mm_per_px_y) * span_px < dicom.mm_per_px_y, (
        "user and DICOM calibration disagree by more than one pixel's worth over the scale"
    )
    # And a caliper across the same span reads the same on either calibration.
    caliper = Annotation("c", AnnotationKind.CALIPER, (a, b), "Dr")
    by_dicom = dicom.distance_mm(a, b, w, h)
    by_user = user.distance_mm(a, b, w, h)
    assert by_user == pytest.approx(40.0)
    assert abs(by_dicom - by_user) < dicom.mm_per_px_y
    assert measurement_text(caliper, dicom, w, h) == f"{by_dicom:.1f} mm"


def test_caliper_in_pixels_times_the_dicom_spacing(grey_banner_frame):
    src = DicomCineSource(grey_banner_frame)
    cal, (w, h) = src.info.calibration, (src.info.width, src.info.height)
    # 300 px across, 400 px down: a 500 px diagonal.
    a, b = (100 / w, 100 / h), (400 / w, 500 / h)
    assert cal.distance_mm(a, b, w, h) == pytest.approx(500 * 0.064904689685, rel=1e-9)


def test_a_resized_cine_has_no_calibration_and_says_so(color_cine):
    """The SonoSite file's regions are for 640x480 but its frames are 320x240: using
    them would halve every measurement, so they are refused and the user calibrates."""
    src = DicomCineSource(color_cine)
    assert src.info.calibration is None
    assert any("Calibrate on the depth scale" in w for w in src.info.warnings)


def test_ellipse_area_and_axes():
    cal = Calibration(0.1, 0.1, "user")  # 0.1 mm per pixel of a 1000x1000 frame
    # Axis 1: 400 px = 40 mm; the third point 100 px off the axis: second axis 20 mm.
    a, b, c = (0.3, 0.5), (0.7, 0.5), (0.45, 0.6)
    d1, d2, area = cal.ellipse_mm(a, b, c, 1000, 1000)
    assert (d1, d2) == (pytest.approx(40.0), pytest.approx(20.0))
    assert area == pytest.approx(math.pi * 20 * 10)
    # Rotated 90 degrees: same numbers.
    d1r, d2r, arear = cal.ellipse_mm((0.5, 0.3), (0.5, 0.7), (0.4, 0.45), 1000, 1000)
    assert (d1r, d2r, arear) == (pytest.approx(d1), pytest.approx(d2), pytest.approx(area))
    ann = Annotation("e", AnnotationKind.AREA, (a, b, c), "Dr")
    assert measurement_text(ann, cal, 1000, 1000) == "6.28 cm²  (40.0 × 20.0 mm)"
    assert measurement_text(ann, None, 1000, 1000).endswith("(400 × 200 px)")


def test_bad_user_calibrations_say_what_to_do():
    with pytest.raises(CalibrationError, match="too close"):
        Calibration.from_two_points((0.5, 0.5), (0.5, 0.51), 10, 1024, 768)
    with pytest.raises(CalibrationError, match="millimetres"):
        Calibration.from_two_points((0.5, 0.1), (0.5, 0.9), 0, 1024, 768)
    with pytest.raises(CalibrationError, match="millimetres"):
        Calibration.from_two_points((0.5, 0.1), (0.5, 0.9), float("nan"), 1024, 768)


def test_measurement_labels_follow_the_frame_not_the_window():
    """The same caliper shown in a small window and in the full frame reads the same."""
    cal = Calibration(0.2, 0.2, "dicom")
    ann = Annotation("c", AnnotationKind.CALIPER, ((0.1, 0.1), (0.6, 0.1)), "Dr")
    small = shapes_for(ann, 400, 300, calibration=cal, frame_size=(1024, 768))
    big = shapes_for(ann, 1024, 768, calibration=cal, frame_size=(1024, 768))
    text = [s.text for s in small if isinstance(s, Label)]
    assert text == [s.text for s in big if isinstance(s, Label)] == ["102.4 mm"]


def test_area_ellipse_shape_follows_its_axes():
    ann = Annotation("e", AnnotationKind.AREA, ((0.2, 0.5), (0.6, 0.5), (0.4, 0.6)), "Dr")
    (ellipse,) = [s for s in shapes_for(ann, 1000, 1000) if isinstance(s, Ellipse)]
    assert (ellipse.cx, ellipse.cy) == (pytest.approx(400), pytest.approx(500))
    assert (ellipse.rx, ellipse.ry) == (pytest.approx(200), pytest.approx(100))
    assert ellipse.angle_deg == pytest.approx(0)
