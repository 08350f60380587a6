"""Annotations burned into a frame with OpenCV, for exports and snapshots.

Draws the same primitives as the Qt overlay (:mod:`ultrasound_consult.annotate.shapes`)
with the same dark outline under every line, so a clip exported with burn-in shows
what the expert saw. Text uses Pillow with a CJK-capable font when one is installed
(labels may be Chinese), else OpenCV's built-in font (Latin only).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from ultrasound_consult.annotate.calibration import Calibration
from ultrasound_consult.annotate.shapes import (
    XY,
    Ellipse,
    Label,
    Polygon,
    Polyline,
    Shape,
    several_authors,
    shapes_for,
)
from ultrasound_consult.protocol.annotation import Annotation

OUTLINE = (0, 0, 0)
OUTLINE_ALPHA = 200 / 255
#: Subpixel precision for cv2 drawing calls (coordinates in 1/16 px).
_SHIFT = 4
_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16))


def render_annotations(
    frame: np.ndarray,
    annotations: Iterable[Annotation],
    *,
    calibration: Calibration | None = None,
    labels: bool = True,
) -> np.ndarray:
    """A copy of ``frame`` (grey or RGB uint8) as RGB with the annotations drawn on it."""
    out = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB) if frame.ndim == 2 else frame.copy()
    h, w = out.shape[:2]
    annotations = list(annotations)
    authors = several_authors(annotations)
    for ann in annotations:
        shapes = shapes_for(
            ann,
            w,
            h,
            calibration=calibration,
            frame_size=(w, h),
            show_labels=labels,
            show_author=authors,
        )
        draw_shapes(out, shapes, hex_to_rgb(ann.color))
    return out


def draw_shapes(image: np.ndarray, shapes: Iterable[Shape], color: tuple[int, int, int]) -> None:
    """Draw primitives in place on an RGB uint8 image."""
    shapes = list(shapes)
    lines = [s for s in shapes if not isinstance(s, Label)]
    if lines:
        # The outline pass goes on a copy blended at the outline's opacity, as Qt does.
        under = image.copy()
        for s in lines:
            _draw(under, s, OUTLINE, extra=3.0)
        cv2.addWeighted(under, OUTLINE_ALPHA, image, 1 - OUTLINE_ALPHA, 0, dst=image)
        for s in lines:
            _draw(image, s, color, extra=0.0)
    for shape in shapes:
        if isinstance(shape, Label):
            draw_label(image, shape, color)


def _fix(p: XY) -> tuple[int, int]:
    return (round(p[0] * (1 << _SHIFT)), round(p[1] * (1 << _SHIFT)))


def _thickness(width: float) -> int:
    # OpenCV's antialiased lines come out about a pixel wider than their thickness.
    return max(1, round(width - 1.0))


def _draw(image: np.ndarray, shape: Shape, color: tuple[int, int, int], extra: float) -> None:
    if isinstance(shape, Polyline):
        segments = _dash(shape.points, shape.width) if shape.dashed else [shape.points]
        for seg in segments:
            pts = np.array([_fix(p) for p in seg], np.int32).reshape(-1, 1, 2)
            cv2.polylines(
                image,
                [pts],
                shape.closed and not shape.dashed,
                color,
                _thickness(shape.width + extra),
                cv2.LINE_AA,
                _SHIFT,
            )
    elif isinstance(shape, Polygon):
        pts = np.array([_fix(p) for p in shape.points], np.int32).reshape(-1, 1, 2)
        if extra:
            cv2.polylines(image, [pts], True, color, 2, cv2.LINE_AA, _SHIFT)
        else:
            cv2.fillPoly(image, [pts], color, cv2.LINE_AA, _SHIFT)
    elif isinstance(shape, Ellipse):
        outline = _ellipse_points(shape)
        segments = _dash(outline, shape.width) if shape.dashed else [outline]
        for seg in segments:
            arr = np.array([_fix(p) for p in seg], np.int32).reshape(-1, 1, 2)
            cv2.polylines(
                image,
                [arr],
                not shape.dashed,
                color,
                _thickness(shape.width + extra),
                cv2.LINE_AA,
                _SHIFT,
            )


def _ellipse_points(e: Ellipse) -> tuple[XY, ...]:
    n = max(24, min(360, int((e.rx + e.ry) * 0.8)))
    t = math.radians(e.angle_deg)
    ct, st = math.cos(t), math.sin(t)
    out = []
    for i in range(n):
        a = 2 * math.pi * i / n
        x, y = e.rx * math.cos(a), e.ry * math.sin(a)
        out.append((e.cx + x * ct - y * st, e.cy + x * st + y * ct))
    return tuple(out)


def _dash(points: tuple[XY, ...], width: float) -> list[tuple[XY, ...]]:
    """Split a line into dashes of 4 widths with gaps of 2 (Qt's DashLine pattern)."""
    on, off = 4 * width, 2 * width
    out: list[tuple[XY, ...]] = []
    current: list[XY] = [points[0]]
    drawing, left = True, on
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        seg = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while seg - pos > left:
            pos += left
            p = (x0 + (x1 - x0) * pos / seg, y0 + (y1 - y0) * pos / seg)
            if drawing:
                current.append(p)
                out.append(tuple(current))
            current = [p]
            drawing = not drawing
            left = on if drawing else off
        left -= seg - pos
        if drawing:
            current.append((x1, y1))
    if drawing and len(current) > 1:
        out.append(tuple(current))
    return out


@functools.lru_cache(maxsize=8)
def _font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    for path in _FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return None


def draw_label(image: np.ndarray, label: Label, color: tuple[int, int, int]) -> None:
    size = max(10, round(label.size))
    font = _font(size)
    if font is None or (label.text.isascii() and font is None):
        _cv_label(image, label, color, size)
        return
    from PIL import Image, ImageDraw

    _left, top, right, bottom = font.getbbox(label.text)
    box_w, box_h = right + 8, size + 4
    x0, y0 = round(label.x), round(label.y)
    x1, y1 = min(image.shape[1], x0 + box_w), min(image.shape[0], y0 + box_h)
    x0c, y0c = max(0, x0), max(0, y0)
    if x1 <= x0c or y1 <= y0c:
        return
    region = image[y0c:y1, x0c:x1]
    region[:] = (region.astype(np.uint16) * 95 // 255).astype(np.uint8)  # backing box
    pil = Image.fromarray(image[y0c:y1, x0c:x1])
    ImageDraw.Draw(pil).text(
        (x0 - x0c + 4, y0 - y0c + (box_h - (bottom - top)) // 2 - top),
        label.text,
        font=font,
        fill=color,
    )
    image[y0c:y1, x0c:x1] = np.asarray(pil)


def _cv_label(image: np.ndarray, label: Label, color: tuple[int, int, int], size: int) -> None:
    scale = size / 22.0
    text = label.text.encode("ascii", "replace").decode()
    (tw, _th), _base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x0, y0 = round(label.x), round(label.y)
    box = image[max(0, y0) : max(0, y0 + size + 4), max(0, x0) : max(0, x0 + tw + 8)]
    box[:] = (box.astype(np.uint16) * 95 // 255).astype(np.uint8)
    cv2.putText(
        image, text, (x0 + 4, y0 + size), cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA
    )
