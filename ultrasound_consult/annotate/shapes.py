"""What an annotation looks like, as plain geometry both renderers draw.

:func:`shapes_for` turns one annotation into a few primitives in pixels of the area
it is drawn on (the on-screen image, or the frame itself for a burned-in export):
polylines, filled polygons, ellipses and labels. The Qt overlay
(:mod:`ultrasound_consult.ui.overlay`) and the OpenCV renderer
(:mod:`ultrasound_consult.annotate.render`) only translate these, so a mark cannot
look different on the expert's screen, the station's and in an exported clip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ultrasound_consult.annotate.calibration import Calibration
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind

XY = tuple[float, float]


@dataclass(frozen=True)
class Polyline:
    points: tuple[XY, ...]
    width: float
    closed: bool = False
    dashed: bool = False


@dataclass(frozen=True)
class Polygon:
    """Filled, in the annotation's colour (arrow heads, caliper ends)."""

    points: tuple[XY, ...]


@dataclass(frozen=True)
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float
    angle_deg: float
    width: float
    dashed: bool = False


@dataclass(frozen=True)
class Label:
    """Text on a dark backing box whose top-left corner is at (x, y), ``size`` px tall."""

    x: float
    y: float
    text: str
    size: float


Shape = Polyline | Polygon | Ellipse | Label


def unit_for(width: float, height: float) -> float:
    """A length proportional to the drawn image, so marks scale with it."""
    return max(4.0, min(width, height) / 100.0)


def line_width(unit: float) -> float:
    return max(2.0, unit * 0.45)


def measurement_text(
    ann: Annotation, calibration: Calibration | None, frame_w: int, frame_h: int
) -> str:
    """The value a caliper or area shows: mm / cm² when calibrated, else pixels."""
    cal = calibration or Calibration(1.0, 1.0, origin="none")
    mm = calibration is not None
    if ann.kind is AnnotationKind.CALIPER:
        d = cal.distance_mm(ann.points[0], ann.points[1], frame_w, frame_h)
        return f"{d:.1f} mm" if mm else f"{d:.0f} px"
    if ann.kind is AnnotationKind.AREA:
        a, b, c = ann.points[:3]
        d1, d2, area = cal.ellipse_mm(a, b, c, frame_w, frame_h)
        if mm:
            return f"{area / 100.0:.2f} cm²  ({d1:.1f} × {d2:.1f} mm)"
        return f"{area:.0f} px²  ({d1:.0f} × {d2:.0f} px)"
    return ""


def shapes_for(
    ann: Annotation,
    width: float,
    height: float,
    *,
    calibration: Calibration | None = None,
    frame_size: tuple[int, int] | None = None,
    pending: bool = False,
    show_labels: bool = True,
    show_author: bool = True,
) -> list[Shape]:
    """Primitives for ``ann`` drawn over a ``width`` x ``height`` pixel area.

    ``frame_size`` is the transmitted frame's size, for measurements (defaults to
    the drawing size). ``show_author``: name the author when the mark has no label of
    its own (see :func:`several_authors`).
    """
    unit = unit_for(width, height)
    lw = line_width(unit)
    fw, fh = frame_size or (round(width), round(height))
    pts = [(x * width, y * height) for x, y in ann.points]
    out: list[Shape] = []
    text = ann.label or (ann.author if show_author else "")
    label_at: XY | None = None
    kind = ann.kind
    if kind is AnnotationKind.MARK:
        (cx, cy), r = pts[0], unit * 2.2
        out.append(Ellipse(cx, cy, r, r, 0.0, lw, pending))
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            a = (cx + dx * r * 0.45, cy + dy * r * 0.45)
            b = (cx + dx * r * 1.6, cy + dy * r * 1.6)
            out.append(Polyline((a, b), lw, dashed=pending))
        label_at = (cx + r * 1.2, cy - r * 1.2)
    elif kind is AnnotationKind.ARROW:
        tail, head = pts
        out.append(Polyline((tail, head), lw, dashed=pending))
        out.append(Polygon(arrow_head(tail, head, unit * 3.0)))
        label_at = (tail[0] + unit, tail[1] - unit)
    elif kind is AnnotationKind.STROKE:
        out.append(Polyline(tuple(pts), lw))  # solid even when pending: see VideoView
        label_at = (pts[0][0] + unit, pts[0][1] - unit)
    elif kind is AnnotationKind.ELLIPSE:
        (x0, y0), (x1, y1) = pts
        out.append(
            Ellipse(
                (x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0) / 2, abs(y1 - y0) / 2, 0, lw, pending
            )
        )
        label_at = (min(x0, x1), min(y0, y1) - unit * 0.5)
    elif kind is AnnotationKind.RECT:
        (x0, y0), (x1, y1) = pts
        out.append(Polyline(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), lw, True, pending))
        label_at = (min(x0, x1), min(y0, y1) - unit * 0.5)
    elif kind is AnnotationKind.TEXT:
        x, y = pts[0]
        size = max(12.0, unit * 3.0)
        out.append(Label(x, y - size, ann.label, size))
        return out
    elif kind is AnnotationKind.CALIPER:
        a, b = pts
        thin = max(2.5, lw * 0.75)
        out.append(Polyline((a, b), thin, dashed=True))
        for end in (a, b):
            out.append(Polyline(_cross(end, unit * 1.3), lw))
        text = measurement_text(ann, calibration, fw, fh)
        label_at = (max(a[0], b[0]) + unit, (a[1] + b[1]) / 2 - unit)
    elif kind is AnnotationKind.AREA:
        a, b, c = pts
        cx, cy = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
        rx = math.hypot(b[0] - a[0], b[1] - a[1]) / 2
        ry = _distance_to_line(c, a, b)
        out.append(Ellipse(cx, cy, rx, ry, angle, lw, pending))
        thin = max(2.5, lw * 0.75)
        out.append(Polyline((a, b), thin, dashed=True))
        for end in (a, b):
            out.append(Polyline(_cross(end, unit * 1.3), lw))
        text = measurement_text(ann, calibration, fw, fh)
        label_at = (cx + rx * 0.2, cy - max(ry, unit) - unit * 2.5)
    if show_labels and text and label_at is not None:
        size = max(11.0, unit * 2.4)
        # label_at is where the label's box sits on: its bottom-left corner.
        out.append(Label(label_at[0], label_at[1] - size - 4, text, size))
    return out


def several_authors(annotations: Iterable[Annotation]) -> bool:
    """Whether more than one person drew: only then does each mark carry its author's
    name (one expert's name on every mark is clutter on a moving scan)."""
    return len({a.author for a in annotations}) > 1


def arrow_head(tail: XY, head: XY, size: float) -> tuple[XY, XY, XY]:
    angle = math.atan2(head[1] - tail[1], head[0] - tail[0])
    left = (head[0] - size * math.cos(angle - 0.45), head[1] - size * math.sin(angle - 0.45))
    right = (head[0] - size * math.cos(angle + 0.45), head[1] - size * math.sin(angle + 0.45))
    return (head, left, right)


def _cross(c: XY, r: float) -> tuple[XY, ...]:
    """A '+' caliper end drawn as one polyline through its centre."""
    x, y = c
    return ((x - r, y), (x + r, y), (x, y), (x, y - r), (x, y + r))


def _distance_to_line(c: XY, a: XY, b: XY) -> float:
    ux, uy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(ux, uy)
    if n == 0:
        return math.hypot(c[0] - a[0], c[1] - a[1])
    return abs(ux * (c[1] - a[1]) - uy * (c[0] - a[0])) / n
