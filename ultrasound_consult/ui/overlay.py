"""Drawing annotations and live pointers over the video with QPainter.

Geometry comes from :func:`ultrasound_consult.annotate.shapes.shapes_for`, the same
primitives the OpenCV burn-in renderer draws, mapped into the rectangle the image
occupies on screen, so marks stay on the anatomy whatever the window size. Every
line has a dark outline under it so it reads on both black fluid and bright tissue.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF, QTransform

from ultrasound_consult.annotate.calibration import Calibration
from ultrasound_consult.annotate.scene import opacity
from ultrasound_consult.annotate.shapes import (
    Ellipse,
    Label,
    Polygon,
    Polyline,
    Shape,
    several_authors,
    shapes_for,
    unit_for,
)
from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import Pointer

OUTLINE = QColor(0, 0, 0, 200)
POINTER_COLOR = QColor("#40e0ff")


def to_widget(rect: QRectF, point: tuple[float, float]) -> QPointF:
    return QPointF(rect.x() + point[0] * rect.width(), rect.y() + point[1] * rect.height())


def _path(shape: Polyline | Ellipse, ox: float, oy: float) -> QPainterPath:
    path = QPainterPath()
    if isinstance(shape, Ellipse):
        path.addEllipse(QPointF(0, 0), shape.rx, shape.ry)
        if shape.angle_deg:
            path = QTransform().rotate(shape.angle_deg).map(path)
        return path.translated(ox + shape.cx, oy + shape.cy)
    pts = shape.points
    path.moveTo(ox + pts[0][0], oy + pts[0][1])
    if len(pts) == 1:
        path.lineTo(ox + pts[0][0] + 0.01, oy + pts[0][1])
    for x, y in pts[1:]:
        path.lineTo(ox + x, oy + y)
    if shape.closed:
        path.closeSubpath()
    return path


def paint_shapes(painter: QPainter, rect: QRectF, shapes: Iterable[Shape], color: QColor) -> None:
    """Draw primitives whose coordinates are relative to ``rect``'s top-left corner."""
    ox, oy = rect.x(), rect.y()
    shapes = list(shapes)
    lines = [s for s in shapes if isinstance(s, Polyline | Ellipse)]
    for s in lines:  # every outline first, so a line never hides another's outline
        painter.strokePath(
            _path(s, ox, oy),
            QPen(
                OUTLINE,
                s.width + 3,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            ),
        )
    for s in lines:
        style = Qt.PenStyle.DashLine if s.dashed else Qt.PenStyle.SolidLine
        painter.strokePath(
            _path(s, ox, oy),
            QPen(color, s.width, style, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin),
        )
    for shape in shapes:
        if isinstance(shape, Polygon):
            painter.setPen(QPen(OUTLINE, 2))
            painter.setBrush(color)
            painter.drawPolygon(QPolygonF([QPointF(ox + x, oy + y) for x, y in shape.points]))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        elif isinstance(shape, Label):
            _label(painter, QPointF(ox + shape.x, oy + shape.y), shape.text, color, shape.size)


def _label(painter: QPainter, top_left: QPointF, text: str, color: QColor, size: float) -> None:
    font = QFont()
    font.setPixelSize(max(10, round(size)))
    font.setBold(True)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    box = QRectF(
        top_left.x(),
        top_left.y(),
        metrics.horizontalAdvance(text) + 8,
        max(metrics.height(), round(size)) + 4,
    )
    painter.fillRect(box, QColor(0, 0, 0, 160))
    painter.setPen(color)
    painter.drawText(
        box.adjusted(4, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text
    )


def paint_annotation(
    painter: QPainter,
    rect: QRectF,
    ann: Annotation,
    *,
    pending: bool = False,
    calibration: Calibration | None = None,
    frame_size: tuple[int, int] | None = None,
    alpha: float = 1.0,
    labels: bool = True,
    author: bool = True,
) -> None:
    color = QColor(ann.color)
    shapes = shapes_for(
        ann,
        rect.width(),
        rect.height(),
        calibration=calibration,
        frame_size=frame_size,
        pending=pending,
        show_labels=labels,
        show_author=author,
    )
    if alpha < 1.0:
        painter.setOpacity(alpha)
    paint_shapes(painter, rect, shapes, color)
    if alpha < 1.0:
        painter.setOpacity(1.0)


def paint_pointer(painter: QPainter, rect: QRectF, pointer: Pointer) -> None:
    c = to_widget(rect, (pointer.x, pointer.y))
    unit = unit_for(rect.width(), rect.height())
    painter.setPen(QPen(OUTLINE, 3))
    painter.setBrush(QColor(64, 224, 255, 110))
    painter.drawEllipse(c, unit * 1.6, unit * 1.6)
    painter.setBrush(POINTER_COLOR)
    painter.drawEllipse(c, unit * 0.5, unit * 0.5)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    size = max(11.0, unit * 2.4)
    _label(
        painter, QPointF(c.x() + unit * 1.8, c.y() - unit * 0.6 - size), pointer.author,
        POINTER_COLOR, size,
    )  # fmt: skip


def paint_overlays(
    painter: QPainter,
    rect: QRectF,
    annotations: Iterable[Annotation],
    pointers: Iterable[Pointer] = (),
    pending: frozenset[str] = frozenset(),
    *,
    calibration: Calibration | None = None,
    frame_size: tuple[int, int] | None = None,
    now_ms: int | None = None,
    labels: bool = True,
    authors: bool | None = None,
) -> None:
    """``authors``: name each mark's author (default: when more than one person drew
    ``annotations``; a caller painting part of a scene says for the whole scene)."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    annotations = list(annotations)
    if authors is None:
        authors = several_authors(annotations)
    for ann in annotations:
        alpha = 1.0 if now_ms is None else opacity(ann, now_ms)
        if alpha <= 0:
            continue
        paint_annotation(
            painter,
            rect,
            ann,
            pending=ann.id in pending,
            calibration=calibration,
            frame_size=frame_size,
            alpha=alpha,
            labels=labels,
            author=authors,
        )
    for pointer in pointers:
        paint_pointer(painter, rect, pointer)
