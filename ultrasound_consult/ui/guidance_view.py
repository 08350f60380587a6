"""Probe-guidance cues drawn: the body-marker pictogram and the station's cue banner.

The pictogram is a supine patient seen from the feet end (head at the top, the
patient's right on the viewer's left, labelled), with the probe where the expert put
it, its orientation marker as a dot, and the motion animated on it: sliding ghosts,
a turning probe, pulsing pressure rings. The same drawing is the expert's picker
(:class:`BodyMarkerWidget`: click to place the probe, wheel to turn its marker) and
the station's cue, so both look at the same picture.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ultrasound_consult.annotate.guidance import CueEntry, marker_vector, motion_vector, spin
from ultrasound_consult.annotate.shapes import arrow_head
from ultrasound_consult.protocol.guidance import Action, Cue, CueStatus, Direction
from ultrasound_consult.ui.cue_text import cue_text
from ultrasound_consult.ui.i18n import tr

BODY = QColor(70, 78, 90)
BODY_EDGE = QColor(150, 160, 175)
CUE = QColor("#ffb020")
PROBE = QColor("#e8f0ff")
MARKER = QColor("#ff4d6d")
#: One animation cycle.
PERIOD_S = 1.4


def phase_now() -> float:
    return (time.monotonic() % PERIOD_S) / PERIOD_S


def _body_path(r: QRectF) -> QPainterPath:
    """A simple supine figure filling ``r`` (about 1:2.2)."""
    w, h, x, y = r.width(), r.height(), r.x(), r.y()
    cx = x + w / 2
    p = QPainterPath()
    head = h * 0.07
    p.addEllipse(QPointF(cx, y + head * 1.05), head * 0.85, head)
    torso = QRectF(cx - w * 0.2, y + h * 0.15, w * 0.4, h * 0.38)
    p.addRoundedRect(torso, w * 0.08, w * 0.08)
    for side in (-1, 1):
        arm = QPainterPath()
        arm.addRoundedRect(
            QRectF(cx + side * w * 0.27 - w * 0.055, y + h * 0.16, w * 0.11, h * 0.36),
            w * 0.05,
            w * 0.05,
        )
        p.addPath(arm)
        leg = QPainterPath()
        leg.addRoundedRect(
            QRectF(cx + side * w * 0.1 - w * 0.085, y + h * 0.51, w * 0.17, h * 0.47),
            w * 0.07,
            w * 0.07,
        )
        p.addPath(leg)
    return p.simplified()


def body_rect(area: QRectF) -> QRectF:
    """The figure's box inside ``area``, aspect kept, with room for the side labels."""
    h = min(area.height(), area.width() * 2.0)
    w = h / 2.0
    return QRectF(area.center().x() - w / 2, area.center().y() - h / 2, w, h)


def to_body(r: QRectF, p: tuple[float, float]) -> QPointF:
    return QPointF(r.x() + p[0] * r.width(), r.y() + p[1] * r.height())


def paint_body_marker(
    painter: QPainter,
    area: QRectF,
    probe: tuple[float, float] | None,
    marker_deg: float | None,
    cue: Cue | None = None,
    phase: float = 0.0,
) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(area, QColor(12, 14, 18, 215))
    r = body_rect(area.adjusted(18, 8, -18, -8))
    painter.setPen(QPen(BODY_EDGE, 1.5))
    painter.setBrush(BODY)
    painter.drawPath(_body_path(r))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    font = QFont()
    font.setPixelSize(max(10, round(area.height() / 16)))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor(220, 225, 235))
    # The patient's right is on the viewer's left (supine, seen from the feet).
    painter.drawText(
        QRectF(area.x() + 2, area.y(), 24, area.height()), Qt.AlignmentFlag.AlignCenter, tr("R")
    )
    painter.drawText(
        QRectF(area.right() - 26, area.y(), 24, area.height()),
        Qt.AlignmentFlag.AlignCenter,
        tr("L"),
    )
    if probe is not None:
        c = to_body(r, probe)
        unit = r.width() * 0.16
        if cue is not None:
            _paint_motion(painter, c, unit, cue, marker_deg, phase)
        _paint_probe(painter, c, unit, marker_deg if marker_deg is not None else 90.0, 1.0)
    elif cue is not None and cue.is_motion:
        _paint_motion(painter, r.center(), r.width() * 0.16, cue, marker_deg, phase)
    painter.restore()


def _paint_probe(
    painter: QPainter, c: QPointF, unit: float, marker_deg: float, alpha: float
) -> None:
    """The footprint as a bar along the marker direction, the marker end dotted."""
    mx, my = marker_vector(marker_deg)
    half = unit * 0.9
    a = QPointF(c.x() - mx * half, c.y() - my * half)
    b = QPointF(c.x() + mx * half, c.y() + my * half)
    painter.setOpacity(alpha)
    painter.setPen(
        QPen(QColor(0, 0, 0), unit * 0.55, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    )
    painter.drawLine(a, b)
    painter.setPen(QPen(PROBE, unit * 0.35, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.drawLine(a, b)
    painter.setPen(QPen(QColor(0, 0, 0), 1.5))
    painter.setBrush(MARKER)
    painter.drawEllipse(b, unit * 0.24, unit * 0.24)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setOpacity(1.0)


def _paint_motion(
    painter: QPainter,
    c: QPointF,
    unit: float,
    cue: Cue,
    marker_deg: float | None,
    phase: float,
) -> None:
    marker = marker_deg if marker_deg is not None else 90.0
    pen = QPen(
        CUE,
        max(2.0, unit * 0.28),
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
    vec = motion_vector(cue)
    if cue.action in (Action.SLIDE, Action.SWEEP, Action.TILT, Action.ROCK) and vec is not None:
        length = unit * (3.2 if cue.action in (Action.SLIDE, Action.SWEEP) else 2.2)
        tail = QPointF(c.x() + vec[0] * unit * 1.1, c.y() + vec[1] * unit * 1.1)
        head = QPointF(c.x() + vec[0] * length, c.y() + vec[1] * length)
        painter.setPen(pen)
        painter.drawLine(tail, head)
        painter.setBrush(CUE)
        painter.drawPolygon(_arrow(tail, head, unit * 0.9))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if cue.action in (Action.SLIDE, Action.SWEEP):
            ghost = QPointF(c.x() + vec[0] * length * phase, c.y() + vec[1] * length * phase)
            _paint_probe(painter, ghost, unit, marker, 0.55 * (1 - phase) + 0.15)
        else:  # tilt / rock: the ghost leans over, drawn shorter as it tips
            lean = math.sin(phase * math.pi) * 0.6
            ghost = QPointF(c.x() + vec[0] * unit * lean, c.y() + vec[1] * unit * lean)
            _paint_probe(painter, ghost, unit * (1 - 0.35 * lean), marker, 0.5)
    elif cue.action is Action.ROTATE:
        turn = spin(cue)
        radius = unit * 2.4
        # The arc is drawn at least a quarter turn so it reads; the ghost turns the real angle.
        sweep = max(90.0, cue.angle_deg or 90.0) * turn
        rect = QRectF(c.x() - radius, c.y() - radius, 2 * radius, 2 * radius)
        start = 90.0 - marker  # Qt angles: counter-clockwise from 3 o'clock
        path = QPainterPath()
        path.arcMoveTo(rect, start)
        path.arcTo(rect, start, -sweep)
        painter.setPen(pen)
        painter.drawPath(path)
        end = path.pointAtPercent(1.0)
        before = path.pointAtPercent(0.9)
        painter.setBrush(CUE)
        painter.drawPolygon(_arrow(before, end, unit * 0.9))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        _paint_probe(painter, c, unit, marker + (cue.angle_deg or 90.0) * turn * phase, 0.45)
    elif cue.action is Action.COMPRESS:
        inward = cue.direction is Direction.MORE
        for k in range(3):
            f = (phase + k / 3) % 1.0
            f = 1 - f if inward else f
            painter.setOpacity(1.0 - f * 0.8)
            painter.setPen(QPen(CUE, max(2.0, unit * 0.2)))
            painter.drawEllipse(c, unit * (0.9 + 2.2 * f), unit * (0.9 + 2.2 * f))
        painter.setOpacity(1.0)
    elif cue.action is Action.HOLD:
        # A steady ring ("stay here") with a slow breathing halo around it.
        painter.setPen(QPen(CUE, max(2.0, unit * 0.3)))
        painter.drawEllipse(c, unit * 1.5, unit * 1.5)
        painter.setOpacity(0.6 * (0.5 + 0.5 * math.cos(phase * 2 * math.pi)))
        painter.drawEllipse(c, unit * 2.1, unit * 2.1)
        painter.setOpacity(1.0)


def _arrow(tail: QPointF, head: QPointF, size: float) -> QPolygonF:
    points = arrow_head((tail.x(), tail.y()), (head.x(), head.y()), size)
    return QPolygonF([QPointF(x, y) for x, y in points])


def cue_banner_rect(area: QRectF) -> QRectF:
    h = max(54.0, min(110.0, area.height() * 0.11))
    return QRectF(area.x(), area.y(), area.width(), h)


#: Margin beside the image (each side) from which the cue goes beside it, not over it.
BESIDE_MIN_PX = 190.0


def cue_layout(image: QRectF, view: QRectF | None = None) -> tuple[QRectF, QRectF, bool]:
    """Where the cue's text and pictogram go: (text box, pictogram box, beside).

    Scanners write their labels along the top and their depth scale down the right
    edge of the picture. When the window leaves room beside the image (a 4:3 scan in a
    wide window), the text goes in the left margin and the pictogram in the right one,
    hiding nothing. Otherwise the text is a banner over the top and the pictogram sits
    in the bottom-right corner (below a sector's fan, where scanners draw least).
    """
    visible = image if view is None else image.intersected(view)
    left = visible.left() - (view.left() if view is not None else visible.left())
    right = (view.right() if view is not None else visible.right()) - visible.right()
    if view is not None and min(left, right) >= BESIDE_MIN_PX:
        # The words may run down the whole margin (the image may be short when the
        # graphs are open); the background covers only what they need.
        text = QRectF(view.left() + 8, view.top() + 8, left - 16, view.height() - 16)
        width = min(right - 16, visible.height() * 0.3)
        picto = QRectF(
            visible.right() + 8, visible.top() + 8, width, min(width / 0.6, visible.height() - 16)
        )
        return text, picto, True
    banner = cue_banner_rect(visible)
    side = min(visible.height() * 0.36, visible.width() * 0.26)
    picto = QRectF(visible.right() - side * 0.6 - 8, visible.bottom() - side - 8, side * 0.6, side)
    return banner, picto, False


def paint_cue(
    painter: QPainter,
    image: QRectF,
    entry: CueEntry,
    phase: float,
    *,
    show_keys: bool = True,
    view: QRectF | None = None,
) -> None:
    """The station's cue: words readable at arm's length and the pictogram, placed by
    :func:`cue_layout` (beside the image when ``view`` leaves room)."""
    cue = entry.cue
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    box, picto, beside = cue_layout(image, view)
    if beside:
        _paint_cue_beside(painter, box, cue, phase, show_keys)
        if cue.is_motion:
            paint_body_marker(painter, picto, cue.probe, cue.marker_deg, cue, phase)
        painter.restore()
        return
    banner = box
    pulse = 0.75 + 0.25 * math.sin(phase * 2 * math.pi)
    painter.fillRect(banner, QColor(20, 20, 22, 225))
    edge = QColor(CUE)
    edge.setAlphaF(pulse)
    painter.fillRect(QRectF(banner.x(), banner.bottom() - 5, banner.width(), 5), edge)
    font = QFont()
    font.setPixelSize(round(banner.height() * 0.42))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(CUE)
    text = cue_text(cue)
    if cue.note:
        text += " — " + cue.note
    painter.drawText(
        banner.adjusted(16, 2, -16, -banner.height() * 0.3),
        Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextSingleLine,
        text,
    )
    small = QFont()
    small.setPixelSize(max(12, round(banner.height() * 0.2)))
    painter.setFont(small)
    painter.setPen(QColor(210, 214, 220))
    who = tr("from {name}").format(name=cue.author or tr("the expert"))
    if show_keys:
        who += "   ·   " + tr("Space: done   ·   Backspace: can't")
    painter.drawText(
        banner.adjusted(16, banner.height() * 0.62, -16, -6),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        who,
    )
    if cue.is_motion:
        paint_body_marker(painter, picto, cue.probe, cue.marker_deg, cue, phase)
    painter.restore()


def _paint_cue_beside(
    painter: QPainter, box: QRectF, cue: Cue, phase: float, show_keys: bool
) -> None:
    """The cue's words in the margin left of the image, wrapped, large."""
    text = cue_text(cue) + (" — " + cue.note if cue.note else "")
    font = QFont()
    font.setBold(True)
    size = max(16, min(40, round(box.width() / 8)))
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
    inner = box.adjusted(14, 10, -10, -10)
    while True:  # as large as fits the margin
        font.setPixelSize(size)
        painter.setFont(font)
        needed = painter.boundingRect(inner, flags, text)
        if needed.height() <= inner.height() * 0.55 or size <= 16:
            break
        size -= 2
    small = QFont()
    small.setPixelSize(max(13, round(size * 0.5)))
    who = tr("from {name}").format(name=cue.author or tr("the expert"))
    if show_keys:
        keys = tr("Space: done   ·   Backspace: can't")
        who += "\n" + "\n".join(part.strip() for part in keys.split("·"))  # one key a line
    painter.setFont(small)
    below = painter.boundingRect(inner, flags, who)
    height = needed.height() + below.height() + 30
    back = QRectF(box.x(), box.y(), box.width(), min(box.height(), height))
    painter.fillRect(back, QColor(20, 20, 22, 225))
    edge = QColor(CUE)
    edge.setAlphaF(0.75 + 0.25 * math.sin(phase * 2 * math.pi))
    painter.fillRect(QRectF(back.x(), back.y(), 5, back.height()), edge)
    painter.setFont(font)
    painter.setPen(CUE)
    painter.drawText(inner, flags, text)
    painter.setFont(small)
    painter.setPen(QColor(210, 214, 220))
    painter.drawText(inner.adjusted(0, needed.height() + 10, 0, 0), flags, who)


class BodyMarkerWidget(QWidget):
    """The expert's pictogram: click to place the probe, wheel to turn its marker."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probe: tuple[float, float] | None = None
        self.marker_deg = 90.0
        self.preview: Cue | None = None
        self.setMinimumSize(120, 200)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setToolTip(
            tr("Click where the probe should be; turn the mouse wheel to turn its marker. "
               "Right-click to clear.")
        )  # fmt: skip

    def sizeHint(self) -> QSize:
        return QSize(150, 260)

    def _figure(self) -> QRectF:
        return body_rect(QRectF(self.rect()).adjusted(18, 8, -18, -8))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.probe = None
        else:
            r = self._figure()
            x = (event.position().x() - r.x()) / r.width()
            y = (event.position().y() - r.y()) / r.height()
            self.probe = (min(1.0, max(0.0, x)), min(1.0, max(0.0, y)))
        self.changed.emit()
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Taken here: the panel around must not scroll while the marker turns.
        event.accept()
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta == 0:
            return
        step = 15.0 if delta > 0 else -15.0
        self.marker_deg = (self.marker_deg + step) % 360.0
        self.changed.emit()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        paint_body_marker(
            painter, QRectF(self.rect()), self.probe, self.marker_deg, self.preview, phase_now()
        )
        painter.end()


def is_live(entry: CueEntry | None) -> bool:
    return entry is not None and entry.status in (CueStatus.SENT, CueStatus.SHOWN)
