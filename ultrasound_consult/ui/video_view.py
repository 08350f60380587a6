"""The video widget: the ultrasound image, letterboxed, with overlays on top.

On the expert side it is also the drawing surface: a click places a mark, a drag
draws an arrow, and hovering moves the live pointer. Positions are reported in
normalised image coordinates (0..1), never widget pixels.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import Pointer
from ultrasound_consult.ui.overlay import paint_overlays, to_widget

#: Enlargements smaller than this are not made (see :meth:`VideoView.image_rect`).
SNAP_TO_NATIVE = 1.25
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
    #: After each paint that showed a frame: its tag (media time) and the ids of the
    #: annotations drawn. For measurement (the benchmark's "source to painted").
    painted = Signal(object, object)

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
        self._layer: QImage | None = None
        self._layer_items: tuple[Annotation, ...] = ()
        self._scaled: tuple[np.ndarray, QImage] | None = None
        self._scaled_key: tuple[int, tuple[int, int]] | None = None
        self._layer_key: tuple[float, ...] | None = None
        self._press: tuple[float, float] | None = None
        self._drag: tuple[float, float] | None = None
        self.frames_shown = 0
        self._fps_window: list[float] = []
        self._tag: object = None

    # --- content --------------------------------------------------------------

    def set_frame(self, array: np.ndarray, tag: object = None, *, immediate: bool = False) -> None:
        """Show a frame; ``immediate`` paints now rather than at the next update pass."""
        self._tag = tag
        self._array = np.ascontiguousarray(array)
        self._image = image_from_array(self._array)
        self.frames_shown += 1
        now = time.perf_counter()
        self._fps_window.append(now)
        while self._fps_window and now - self._fps_window[0] > 2.0:
            self._fps_window.pop(0)
        if immediate and self.isVisible():
            self.repaint()
        else:
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

    def _scaled_image(self, rect: QRectF) -> QImage:
        """The frame at its on-screen size, scaled by OpenCV and painted 1:1.

        Measured at 1024x768 into about 1050x790: Qt's smooth scaling took 3.4 ms a
        frame for grey (4.0 for RGB), OpenCV plus a plain blit 1.1 ms (2.3).
        """
        assert self._array is not None and self._image is not None
        size = (max(1, round(rect.width())), max(1, round(rect.height())))
        if size == (self._array.shape[1], self._array.shape[0]):
            return self._image
        if self._scaled is None or self._scaled_key != (self.frames_shown, size):
            # Bilinear unless shrinking by more than half, where only the area filter
            # avoids aliasing speckle (1080p to ~1050 wide: 0.5 ms bilinear, 4 ms area).
            heavy = size[0] * 2 < self._array.shape[1]
            scaled = cv2.resize(
                self._array, size, interpolation=cv2.INTER_AREA if heavy else cv2.INTER_LINEAR
            )
            self._scaled, self._scaled_key = (
                (scaled, image_from_array(scaled)),
                (self.frames_shown, size),
            )
        return self._scaled[1]

    def _annotation_layer(self, rect: QRectF) -> QImage:
        """Confirmed annotations drawn once into a transparent layer, reused every frame.

        Stroking every mark with antialiased outlines on every frame cost about a fifth
        of a core at 30 fps with a few dozen marks (measured). The layer is redrawn
        when the view's geometry changes; new marks are added to it as they come (the
        common case), and the few still awaiting the station's confirmation (drawn
        dashed) are painted live on top.
        """
        key = (self.width(), self.height(), rect.x(), rect.y(), rect.width(), rect.height())
        confirmed = tuple(a for a in self._annotations if a.id not in self._pending)
        drawn = self._layer_items
        if self._layer is None or self._layer_key != key or confirmed[: len(drawn)] != drawn:
            self._layer = QImage(self.width(), self.height(), QImage.Format_ARGB32_Premultiplied)
            self._layer.fill(0)
            self._layer_key, drawn = key, ()
        if len(confirmed) > len(drawn):
            painter = QPainter(self._layer)
            paint_overlays(painter, rect, confirmed[len(drawn) :])
            painter.end()
        self._layer_items = confirmed
        return self._layer

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
        """Where the image is drawn: as large as fits, aspect kept, centred.

        An enlargement of less than :data:`SNAP_TO_NATIVE` is not made: the image is
        shown pixel for pixel instead, which keeps speckle sharp (and skips a resize).
        """
        if self._array is None:
            return QRectF(self.rect())
        ih, iw = self._array.shape[:2]
        scale = min(self.width() / iw, self.height() / ih)
        if 1.0 < scale < SNAP_TO_NATIVE:
            scale = 1.0
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
        # At a whole pixel: a fractional position would make Qt resample the image.
        painter.drawImage(QPoint(round(rect.x()), round(rect.y())), self._scaled_image(rect))
        if self._annotations:
            painter.drawImage(0, 0, self._annotation_layer(rect))
            pending = [a for a in self._annotations if a.id in self._pending]
            paint_overlays(painter, rect, pending, self._pointers, self._pending)
        else:
            paint_overlays(painter, rect, (), self._pointers)
        if self._press is not None and self._drag is not None:
            pen = QPen(QColor(255, 255, 255, 180), 2, Qt.DashLine)
            painter.setPen(pen)
            painter.drawLine(to_widget(rect, self._press), to_widget(rect, self._drag))
        painter.end()
        self.painted.emit(self._tag, [a.id for a in self._annotations])

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
