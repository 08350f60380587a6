"""The video widget: the ultrasound image, letterboxed, with overlays on top.

On the expert side it is also the drawing surface. With the default "point" tool a
click places a mark and a drag draws an arrow; other tools draw freehand strokes,
ellipses, boxes, text, calipers and area ellipses, or calibrate on the depth scale.
Hovering moves the live pointer. Positions are reported in normalised image
coordinates (0..1), never widget pixels. On the station it also shows the active
guidance cue.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ultrasound_consult.annotate.calibration import Calibration
from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.annotate.shapes import several_authors, shapes_for
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import Pointer
from ultrasound_consult.ui.guidance_view import paint_cue, phase_now
from ultrasound_consult.ui.overlay import paint_overlays, paint_shapes, to_widget

#: Enlargements smaller than this are not made (see :meth:`VideoView.image_rect`).
SNAP_TO_NATIVE = 1.25
#: Zoom limits (the expert's magnifier; 1 = the whole image fits).
MAX_ZOOM = 8.0
ZOOM_STEP = 1.25
#: A press and release closer than this (fraction of the image) is a click, not a drag.
CLICK_TOLERANCE = 0.015
BACKGROUND = QColor(8, 8, 10)
#: Freehand points closer than this (widget pixels) to the last one are not kept.
STROKE_MIN_STEP_PX = 1.5
#: A stroke being drawn is sent in batches at most this often.
STROKE_BATCH_S = 1 / 30

#: Points of long strokes drawn into the annotation layer per paint (about 25 ms).
LAYER_POINTS_PER_PAINT = 1200

#: Tools whose gesture is a drag from one corner or end to the other.
DRAG_TOOLS = {
    "ellipse": AnnotationKind.ELLIPSE,
    "rect": AnnotationKind.RECT,
    "caliper": AnnotationKind.CALIPER,
    "area": AnnotationKind.AREA,
    "calibrate": AnnotationKind.CALIPER,
}


def _continues(
    drawn: list[tuple[Annotation, bool]], items: tuple[tuple[Annotation, bool], ...]
) -> bool:
    """Whether the layer's content is a beginning of ``items`` (the last drawn item may
    be a stroke drawn only part way, or one that has grown since)."""
    if len(drawn) > len(items) or drawn[:-1] != list(items[: len(drawn) - 1]):
        return False
    if not drawn:
        return True
    (before, flag), (after, flag_now) = drawn[-1], items[len(drawn) - 1]
    if before == after and flag == flag_now:
        return True
    return (
        before.kind is AnnotationKind.STROKE
        and after.id == before.id
        and after.color == before.color
        and flag == flag_now
        and len(after.points) > len(before.points)
        and after.points[: len(before.points)] == before.points
    )


def gesture_points(tool: str, a: tuple[float, float], b: tuple[float, float]) -> tuple:
    """The annotation points a drag from ``a`` to ``b`` makes with ``tool``.

    The area tool takes the dragged box as the ellipse: its horizontal axis, and a
    point on the vertical one.
    """
    if tool == "area":
        y = (a[1] + b[1]) / 2
        return ((a[0], y), (b[0], y), ((a[0] + b[0]) / 2, b[1]))
    return (a, b)


def _clamp_origin(origin: float, size: float, room: float) -> float:
    """Keep a zoomed image covering the widget (no empty margin while it can)."""
    if size <= room:
        return (room - size) / 2
    return min(0.0, max(room - size, origin))


def image_from_array(array: np.ndarray) -> QImage:
    """A QImage viewing a greyscale or RGB uint8 array (keep the array alive while used)."""
    array = np.ascontiguousarray(array)
    h, w = array.shape[:2]
    if array.ndim == 2:
        return QImage(array.data, w, h, array.strides[0], QImage.Format.Format_Grayscale8)
    return QImage(array.data, w, h, array.strides[0], QImage.Format.Format_RGB888)


class VideoView(QWidget):
    mark_requested = Signal(float, float)
    arrow_requested = Signal(float, float, float, float)
    pointer_moved = Signal(float, float, bool)
    #: A finished drag or click with a drawing tool: (tool name, normalised points).
    shape_drawn = Signal(str, object)
    #: Freehand points as they are drawn: (new points, finished).
    stroke_points = Signal(object, bool)
    #: After each paint that showed a frame: its tag (media time) and the ids of the
    #: annotations drawn. For measurement (the benchmark's "source to painted").
    painted = Signal(object, object)
    #: The magnification changed (1.0 = whole image).
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None, *, interactive: bool = False) -> None:
        super().__init__(parent)
        self.interactive = interactive
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setMouseTracking(interactive)
        if interactive:
            self.setCursor(Qt.CursorShape.CrossCursor)
        self.placeholder = ""
        self._array: np.ndarray | None = None
        self._image: QImage | None = None
        self._annotations: tuple[Annotation, ...] = ()
        self._pointers: tuple[Pointer, ...] = ()
        self._pending: frozenset[str] = frozenset()
        self._layer: QImage | None = None
        self._layer_items: tuple[tuple[Annotation, bool], ...] = ()
        self._scaled: tuple[np.ndarray, QImage] | None = None
        self._scaled_key: tuple | None = None
        self._layer_key: tuple[float, ...] | None = None
        self._press: tuple[float, float] | None = None
        self._drag: tuple[float, float] | None = None
        self.tool = "point"
        self.color = "#ffd400"
        self._stroke: list[tuple[float, float]] = []
        self._stroke_sent = 0
        self._stroke_last_emit = 0.0
        self.calibration: Calibration | None = None
        self.cue: CueEntry | None = None
        self.show_cue_keys = True
        #: A one-line note over the image's bottom-left corner (the expert's last cue and
        #: the station's answer), with its colour; "" for none.
        self.badge: tuple[str, str] = ("", "")
        self.frames_shown = 0
        self._fps_window: list[float] = []
        self._tag: object = None
        #: Replay sets the recorded moment's wall clock here (fading annotations fade by it).
        self.now_ms: int | None = None
        #: Wheel zooms and the middle or right button pans (the expert's view).
        self.zoomable = False
        self.zoom = 1.0
        #: The image point (normalised) at the centre of the widget while zoomed.
        self.zoom_center = (0.5, 0.5)
        self._pan_from: tuple[QPointF, tuple[float, float]] | None = None

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
        """Lasting annotations drawn once into a transparent layer, reused every frame.

        Stroking every mark with antialiased outlines on every frame cost about a fifth
        of a core at 30 fps with a few dozen marks, and a 10,000-point stroke costs
        ~250-360 ms to stroke whole in Qt (both measured): the picture would stall. So
        the layer is redrawn only when the geometry, the scale or an earlier item
        changes; new items are added as they come, and long strokes are drawn a few
        hundred points per frame (:data:`LAYER_POINTS_PER_PAINT`) until complete.
        Unconfirmed items are in it too, dashed; confirmation redraws it once.
        """
        key = (
            self.width(),
            self.height(),
            rect.x(),
            rect.y(),
            rect.width(),
            rect.height(),
            several_authors(self._annotations),  # a second author: every mark gets a name
        )
        items = self._layered()
        drawn = list(self._layer_items)
        if self._layer is None or self._layer_key != key or not _continues(drawn, items):
            self._layer = QImage(
                self.width(), self.height(), QImage.Format.Format_ARGB32_Premultiplied
            )
            self._layer.fill(0)
            self._layer_key, drawn = key, []
        if tuple(drawn) == items:
            return self._layer  # the usual frame: nothing new to draw
        budget = LAYER_POINTS_PER_PAINT
        painter = QPainter(self._layer)

        def paint(anns: list[tuple[Annotation, bool]], labels: bool = True) -> None:
            paint_overlays(
                painter,
                rect,
                [a for a, _ in anns],
                pending=frozenset(a.id for a, p in anns if p),
                calibration=self.calibration,
                frame_size=self.frame_size,
                labels=labels,
                authors=several_authors(self._annotations),
            )

        if drawn and drawn[-1] != items[len(drawn) - 1]:  # a stroke still growing
            (before, flag), (after, _) = drawn[-1], items[len(drawn) - 1]
            n = min(len(after.points), len(before.points) + budget)
            tail = after.with_points(before.points[-2:] + after.points[len(before.points) : n])
            paint([(tail, False)], labels=False)
            budget -= n - len(before.points)
            done = after if n == len(after.points) else after.with_points(after.points[:n])
            drawn[-1] = (done, flag)
        while len(drawn) < len(items) and budget > 0 and drawn == list(items[: len(drawn)]):
            ann, flag = items[len(drawn)]
            if ann.kind is AnnotationKind.STROKE and len(ann.points) > budget:
                ann = ann.with_points(ann.points[:budget])
            paint([(ann, flag)])
            budget -= len(ann.points)
            drawn.append((ann, flag))
        painter.end()
        self._layer_items = tuple(drawn)
        if self._layer_items != items:
            self.update()  # the rest next frame
        return self._layer

    def set_calibration(self, calibration: Calibration | None) -> None:
        self.calibration = calibration
        self._layer = None  # measurement labels change
        self.update()

    def set_cue(self, entry: CueEntry | None) -> None:
        self.cue = entry
        self.update()

    def set_badge(self, text: str, colour: str = "#eceef0") -> None:
        if (text, colour) != self.badge:
            self.badge = (text, colour)
            self.update()

    def _paint_badge(self, painter: QPainter, rect: QRectF) -> None:
        text, colour = self.badge
        if not text:
            return
        painter.save()
        font = painter.font()
        font.setPixelSize(max(13, min(20, round(self.height() * 0.028))))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        box = QRectF(0, 0, metrics.horizontalAdvance(text) + 24, metrics.height() + 12)
        visible = rect.intersected(QRectF(self.rect()))
        box.moveBottomLeft(QPointF(visible.left() + 10, visible.bottom() - 10))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(15, 16, 18, 215))
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor(colour))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _layered(self) -> tuple[tuple[Annotation, bool], ...]:
        """What goes in the cached layer: every lasting annotation, with its pending flag."""
        # A stroke is drawn solid even while unconfirmed: redrawing a long one when the
        # confirmation comes would cost more than the cue is worth.
        return tuple(
            (a, a.id in self._pending and a.kind is not AnnotationKind.STROKE)
            for a in self._annotations
            if a.lifetime_s is None
        )

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
        """Where the image is drawn: as large as fits, aspect kept, centred; zoomed in,
        larger than the widget, around :attr:`zoom_center`.

        An enlargement of less than :data:`SNAP_TO_NATIVE` is not made: the image is
        shown pixel for pixel instead, which keeps speckle sharp (and skips a resize).
        """
        if self._array is None:
            return QRectF(self.rect())
        ih, iw = self._array.shape[:2]
        scale = min(self.width() / iw, self.height() / ih)
        if self.zoom > 1.0:
            scale *= self.zoom
        elif 1.0 < scale < SNAP_TO_NATIVE:
            scale = 1.0
        w, h = iw * scale, ih * scale
        if self.zoom <= 1.0:
            return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        cx, cy = self.zoom_center
        return QRectF(
            _clamp_origin(self.width() / 2 - cx * w, w, self.width()),
            _clamp_origin(self.height() / 2 - cy * h, h, self.height()),
            w,
            h,
        )

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Magnify (1..:data:`MAX_ZOOM`), keeping the image point under ``anchor``
        (widget position; default the centre) where it is. Annotations stay on the image:
        they are drawn in image coordinates through :meth:`image_rect`."""
        zoom = min(max(zoom, 1.0), MAX_ZOOM)
        if self._array is None:
            self.zoom = zoom
            return
        anchor = anchor or QPointF(self.width() / 2, self.height() / 2)
        before = self.image_rect()
        px = (anchor.x() - before.x()) / before.width()
        py = (anchor.y() - before.y()) / before.height()
        self.zoom = zoom
        after = self.image_rect()
        # The centre that puts (px, py) under the anchor again.
        self.zoom_center = (
            px + (self.width() / 2 - anchor.x()) / after.width(),
            py + (self.height() / 2 - anchor.y()) / after.height(),
        )
        self._clamp_center()
        self.zoom_changed.emit(self.zoom)
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the zoomed image by (dx, dy) widget pixels."""
        rect = self.image_rect()
        cx, cy = self.zoom_center
        self.zoom_center = (cx - dx / rect.width(), cy - dy / rect.height())
        self._clamp_center()
        self.update()

    def _clamp_center(self) -> None:
        rect = self.image_rect()  # clamped already: read the centre back from it
        self.zoom_center = (
            (self.width() / 2 - rect.x()) / rect.width(),
            (self.height() / 2 - rect.y()) / rect.height(),
        )

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.zoomable or self._array is None:
            return super().wheelEvent(event)
        steps = event.angleDelta().y() / 120
        if steps:
            self.set_zoom(self.zoom * ZOOM_STEP**steps, event.position())
        event.accept()

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
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
            painter.end()
            return
        rect = self.image_rect()
        if self.zoom > 1.0:
            self._paint_zoomed(painter, rect)
        else:
            # At a whole pixel: a fractional position would make Qt resample the image.
            painter.drawImage(QPoint(round(rect.x()), round(rect.y())), self._scaled_image(rect))
        live: list[Annotation] = []
        if self._annotations:
            painter.drawImage(0, 0, self._annotation_layer(rect))
            layered = {a.id for a, _ in self._layer_items}
            live = [a for a in self._annotations if a.id not in layered]
        paint_overlays(
            painter,
            rect,
            live,
            self._pointers,
            self._pending,
            calibration=self.calibration,
            frame_size=self.frame_size,
            now_ms=self.now_ms if self.now_ms is not None else int(time.time() * 1000),
            authors=several_authors(self._annotations),
        )
        self._paint_gesture(painter, rect)
        if self.cue is not None:
            paint_cue(
                painter,
                rect,
                self.cue,
                phase_now(),
                show_keys=self.show_cue_keys,
                view=QRectF(self.rect()),
            )
        self._paint_badge(painter, rect)
        painter.end()
        self.painted.emit(self._tag, [a.id for a in self._annotations])

    def _paint_zoomed(self, painter: QPainter, rect: QRectF) -> None:
        """Only the visible part of the image is scaled (8x of a whole frame would be
        tens of megapixels a frame): whole source pixels, placed exactly where the
        full image would put them, so overlays stay on the same anatomy."""
        assert self._array is not None
        ih, iw = self._array.shape[:2]
        scale = rect.width() / iw
        x0 = max(0, int((0 - rect.x()) / scale))
        y0 = max(0, int((0 - rect.y()) / scale))
        x1 = min(iw, int(np.ceil((self.width() - rect.x()) / scale)) + 1)
        y1 = min(ih, int(np.ceil((self.height() - rect.y()) / scale)) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        key = (self.frames_shown, size, x0, y0, x1, y1)
        if self._scaled is None or self._scaled_key != key:
            crop = np.ascontiguousarray(self._array[y0:y1, x0:x1])
            scaled = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
            self._scaled, self._scaled_key = (scaled, image_from_array(scaled)), key
        painter.drawImage(
            QPoint(round(rect.x() + x0 * scale), round(rect.y() + y0 * scale)), self._scaled[1]
        )

    # --- input (expert) ---------------------------------------------------------

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self._press = self._drag = None
        self._stroke = []
        self.update()

    def _paint_gesture(self, painter: QPainter, rect: QRectF) -> None:
        """What is being drawn, before it is sent: dashed, in the chosen colour."""
        if self._press is None:
            return
        if self.tool == "stroke" and len(self._stroke) >= 2:
            pts: tuple = tuple(
                self._stroke[self._stroke_sent - 1 :] if self._stroke_sent else self._stroke
            )
            kind = AnnotationKind.STROKE
        elif self._drag is None:
            return
        elif self.tool in DRAG_TOOLS:
            pts, kind = gesture_points(self.tool, self._press, self._drag), DRAG_TOOLS[self.tool]
        else:
            pen = QPen(QColor(255, 255, 255, 180), 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(to_widget(rect, self._press), to_widget(rect, self._drag))
            return
        draft = Annotation("draft", kind, pts, "", color=self.color)
        shapes = shapes_for(
            draft,
            rect.width(),
            rect.height(),
            calibration=None if self.tool == "calibrate" else self.calibration,
            frame_size=self.frame_size,
            pending=kind is not AnnotationKind.STROKE,
        )
        paint_shapes(painter, rect, shapes, QColor(self.color))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.zoomable and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.RightButton,
        ):
            self._pan_from = (event.position(), self.zoom_center)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if not self.interactive or event.button() != Qt.MouseButton.LeftButton:
            return
        self._press = self.to_normalised(event.position())
        self._drag = None
        if self.tool == "stroke" and self._press is not None:
            self._stroke = [self._press]
            self._stroke_sent = 0
            self._stroke_last_emit = 0.0

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            start, center = self._pan_from
            self.zoom_center = center
            delta = event.position() - start
            self.pan_by(delta.x(), delta.y())
            return
        if not self.interactive:
            return
        pos = self.to_normalised(event.position())
        if pos is None:
            self.pointer_moved.emit(0.0, 0.0, False)
            return
        self.pointer_moved.emit(pos[0], pos[1], True)
        if self._press is not None:
            self._drag = pos
            if self.tool == "stroke":
                self._add_stroke_point(pos)
            self.update()

    def _add_stroke_point(self, pos: tuple[float, float]) -> None:
        rect = self.image_rect()
        last = self._stroke[-1]
        step = max(abs(pos[0] - last[0]) * rect.width(), abs(pos[1] - last[1]) * rect.height())
        if step < STROKE_MIN_STEP_PX:
            return
        self._stroke.append(pos)
        now = time.perf_counter()
        if now - self._stroke_last_emit >= STROKE_BATCH_S:
            self._emit_stroke(False)
            self._stroke_last_emit = now

    def _emit_stroke(self, finished: bool) -> None:
        new = tuple(self._stroke[self._stroke_sent :])
        if new or finished:
            self._stroke_sent = len(self._stroke)
            self.stroke_points.emit(new, finished)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.RightButton,
        ):
            self._pan_from = None
            self.setCursor(
                Qt.CursorShape.CrossCursor if self.interactive else Qt.CursorShape.ArrowCursor
            )
            return
        if (
            not self.interactive
            or event.button() != Qt.MouseButton.LeftButton
            or self._press is None
        ):
            return
        start, end = self._press, self.to_normalised(event.position()) or self._drag
        self._press = self._drag = None
        self.update()
        if self.tool == "stroke":
            if end is not None and end != self._stroke[-1]:
                self._stroke.append(end)
            self._emit_stroke(True)
            self._stroke = []
            return
        click = end is None or max(abs(end[0] - start[0]), abs(end[1] - start[1])) < CLICK_TOLERANCE
        if self.tool == "point":
            if click or end is None:
                self.mark_requested.emit(start[0], start[1])
            else:
                self.arrow_requested.emit(start[0], start[1], end[0], end[1])
        elif self.tool == "text":
            self.shape_drawn.emit("text", (start,))
        elif not click and end is not None:
            self.shape_drawn.emit(self.tool, gesture_points(self.tool, start, end))

    def leaveEvent(self, event) -> None:
        if self.interactive:
            self.pointer_moved.emit(0.0, 0.0, False)
        super().leaveEvent(event)
