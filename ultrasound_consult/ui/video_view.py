"""The video widget: the ultrasound image, letterboxed, with overlays on top.

On the expert side it is also the drawing surface: a click places a mark, a drag
draws an arrow, and hovering moves the live pointer. Positions are reported in
normalised image coordinates (0..1), never widget pixels.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import Pointer
from ultrasound_consult.ui.overlay import paint_overlays, to_widget

#: A press and release closer than this (fraction of the image) is a click, not a drag.
CLICK_TOLERANCE = 0.015
BACKGROUND = QColor(8, 8, 10)


def image_from_array(array: np.ndarray) -> QImage:
    """A QImage viewing a greyscale or RGB uint8 array (keep the array alive while used)."""
    array = np.ascontiguousarray(array)
    h, w = array.shape[:2]
    if array.ndim == 2:
        return QImage(array.data, w, h, array.strides[0], QImage.Format_Grayscale8)
    return QImage(array.data, w, h, array.strides[0], QImage.Format_RGB888)


class VideoView(QWidget):
    mark_requested = Signal(float, float)
    arrow_requested = Signal(float, float, float, float)
    pointer_moved = Signal(float, float, bool)

    def __init__(self, parent: QWidget | None = None, *, interactive: bool = False) -> None:
        super().__init__(parent)
        self.interactive = interactive
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WA_OpaquePaintEvent, True)
        self.setMouseTracking(interactive)
        if interactive:
            self.setCursor(Qt.CrossCursor)
        self.placeholder = ""
        self._array: np.ndarray | None = None
        self._image: QImage | None = None
        self._annotations: tuple[Annotation, ...] = ()
        self._pointers: tuple[Pointer, ...] = ()
        self._pending: frozenset[str] = frozenset()
        self._press: tuple[float, float] | None = None
        self._drag: tuple[float, float] | None = None
        self.frames_shown = 0
        self._fps_window: list[float] = []

    # --- content --------------------------------------------------------------

    def set_frame(self, array: np.ndarray) -> None:
        self._array = np.ascontiguousarray(array)
        self._image = image_from_array(self._array)
        self.frames_shown += 1
        now = time.perf_counter()
        self._fps_window.append(now)
        while self._fps_window and now - self._fps_window[0] > 2.0:
            self._fps_window.pop(0)
        self.update()

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return None if self._array is None else (self._array.shape[1], self._array.shape[0])

    @property
    def display_fps(self) -> float:
        w = self._fps_window
        if len(w) < 2 or w[-1] - w[0] <= 0:
            return 0.0
        return (len(w) - 1) / (w[-1] - w[0])

    def set_annotations(
        self, annotations: tuple[Annotation, ...], pending: frozenset[str] = frozenset()
    ) -> None:
        self._annotations, self._pending = annotations, pending
        self.update()

    def set_pointers(self, pointers: tuple[Pointer, ...]) -> None:
        self._pointers = pointers
        self.update()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def clear_frame(self) -> None:
        self._array = self._image = None
        self.update()

    # --- geometry -------------------------------------------------------------

    def image_rect(self) -> QRectF:
        """Where the image is drawn: as large as fits, aspect kept, centred."""
        if self._array is None:
            return QRectF(self.rect())
        ih, iw = self._array.shape[:2]
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def to_normalised(self, pos: QPointF) -> tuple[float, float] | None:
        rect = self.image_rect()
        if self._array is None or rect.width() <= 0 or not rect.contains(pos):
            return None
        return ((pos.x() - rect.x()) / rect.width(), (pos.y() - rect.y()) / rect.height())

    def sizeHint(self) -> QSize:
        return QSize(1024, 768)

    # --- painting -------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._image is None:
            font = painter.font()
            font.setPixelSize(max(16, min(28, self.height() // 24)))
            painter.setFont(font)
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(
                self.rect().adjusted(20, 0, -20, 0),
                Qt.AlignCenter | Qt.TextWordWrap,
                self.placeholder,
            )
            painter.end()
            return
        rect = self.image_rect()
        painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
        painter.drawImage(rect, self._image)
        paint_overlays(painter, rect, self._annotations, self._pointers, self._pending)
        if self._press is not None and self._drag is not None:
            pen = QPen(QColor(255, 255, 255, 180), 2, Qt.DashLine)
            painter.setPen(pen)
            painter.drawLine(to_widget(rect, self._press), to_widget(rect, self._drag))
        painter.end()

    # --- input (expert) ---------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self.interactive or event.button() != Qt.LeftButton:
            return
        self._press = self.to_normalised(event.position())
        self._drag = None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self.interactive:
            return
        pos = self.to_normalised(event.position())
        if pos is None:
            self.pointer_moved.emit(0.0, 0.0, False)
            return
        self.pointer_moved.emit(pos[0], pos[1], True)
        if self._press is not None:
            self._drag = pos
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self.interactive or event.button() != Qt.LeftButton or self._press is None:
            return
        start, end = self._press, self.to_normalised(event.position()) or self._drag
        self._press = self._drag = None
        self.update()
        if end is None or max(abs(end[0] - start[0]), abs(end[1] - start[1])) < CLICK_TOLERANCE:
            self.mark_requested.emit(start[0], start[1])
        else:
            self.arrow_requested.emit(start[0], start[1], end[0], end[1])

    def leaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.interactive:
            self.pointer_moved.emit(0.0, 0.0, False)
        super().leaveEvent(event)
