"""Drawing annotations and live pointers over the video with QPainter.

Geometry arrives in normalised image coordinates and is mapped through the
rectangle the image occupies on screen, so marks stay on the anatomy whatever
the window size. Every stroke has a dark outline under it so it reads on both
black fluid and bright tissue.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF

from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import Pointer

OUTLINE = QColor(0, 0, 0, 200)
POINTER_COLOR = QColor("#40e0ff")


def to_widget(rect: QRectF, point: tuple[float, float]) -> QPointF:
    return QPointF(rect.x() + point[0] * rect.width(), rect.y() + point[1] * rect.height())


def _scale(rect: QRectF) -> float:
    """A length unit proportional to the displayed image, so marks scale with it."""
    return max(4.0, min(rect.width(), rect.height()) / 100.0)


def _stroke(
    painter: QPainter, path: QPainterPath, color: QColor, width: float, dashed: bool
) -> None:
    outline = QPen(OUTLINE, width + 3, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    painter.strokePath(path, outline)
    pen = QPen(color, width, Qt.DashLine if dashed else Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    painter.strokePath(path, pen)


def _label(painter: QPainter, at: QPointF, text: str, color: QColor, unit: float) -> None:
    if not text:
        return
    font = QFont()
    font.setPixelSize(max(11, int(unit * 2.4)))
    font.setBold(True)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    box = QRectF(
        at.x(), at.y() - metrics.height(), metrics.horizontalAdvance(text) + 8, metrics.height() + 2
    )
    painter.fillRect(box, QColor(0, 0, 0, 160))
    painter.setPen(color)
    painter.drawText(box.adjusted(4, 0, 0, 0), Qt.AlignVCenter | Qt.AlignLeft, text)


def paint_annotation(
    painter: QPainter,
    rect: QRectF,
    ann: Annotation,
    *,
    pending: bool = False,
    show_author: bool = True,
) -> None:
    color = QColor(ann.color)
    unit = _scale(rect)
    width = max(2.0, unit * 0.45)
    if ann.kind is AnnotationKind.MARK:
        c = to_widget(rect, ann.points[0])
        r = unit * 2.2
        path = QPainterPath()
        path.addEllipse(c, r, r)
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            path.moveTo(c.x() + dx * r * 0.45, c.y() + dy * r * 0.45)
            path.lineTo(c.x() + dx * r * 1.6, c.y() + dy * r * 1.6)
        _stroke(painter, path, color, width, pending)
        if show_author:
            _label(
                painter,
                QPointF(c.x() + r * 1.2, c.y() - r * 1.2),
                ann.label or ann.author,
                color,
                unit,
            )
    elif ann.kind is AnnotationKind.ARROW:
        tail, head = to_widget(rect, ann.points[0]), to_widget(rect, ann.points[1])
        path = QPainterPath(tail)
        path.lineTo(head)
        _stroke(painter, path, color, width, pending)
        _arrow_head(painter, tail, head, color, unit)
        if show_author:
            _label(
                painter,
                QPointF(tail.x() + unit, tail.y() - unit),
                ann.label or ann.author,
                color,
                unit,
            )


def _arrow_head(
    painter: QPainter, tail: QPointF, head: QPointF, color: QColor, unit: float
) -> None:
    angle = math.atan2(head.y() - tail.y(), head.x() - tail.x())
    size = unit * 3.0
    left = QPointF(
        head.x() - size * math.cos(angle - 0.45), head.y() - size * math.sin(angle - 0.45)
    )
    right = QPointF(
        head.x() - size * math.cos(angle + 0.45), head.y() - size * math.sin(angle + 0.45)
    )
    triangle = QPolygonF([head, left, right])
    painter.setPen(QPen(OUTLINE, 2))
    painter.setBrush(color)
    painter.drawPolygon(triangle)
    painter.setBrush(Qt.NoBrush)


def paint_pointer(painter: QPainter, rect: QRectF, pointer: Pointer) -> None:
    c = to_widget(rect, (pointer.x, pointer.y))
    unit = _scale(rect)
    painter.setPen(QPen(OUTLINE, 3))
    painter.setBrush(QColor(64, 224, 255, 110))
    painter.drawEllipse(c, unit * 1.6, unit * 1.6)
    painter.setBrush(POINTER_COLOR)
    painter.drawEllipse(c, unit * 0.5, unit * 0.5)
    painter.setBrush(Qt.NoBrush)
    _label(
        painter,
        QPointF(c.x() + unit * 1.8, c.y() - unit * 0.6),
        pointer.author,
        POINTER_COLOR,
        unit,
    )


def paint_overlays(
    painter: QPainter,
    rect: QRectF,
    annotations: Iterable[Annotation],
    pointers: Iterable[Pointer] = (),
    pending: frozenset[str] = frozenset(),
) -> None:
    painter.setRenderHint(QPainter.Antialiasing, True)
    for ann in annotations:
        paint_annotation(painter, rect, ann, pending=ann.id in pending)
    for pointer in pointers:
        paint_pointer(painter, rect, pointer)
