"""The second camera as a small picture over the ultrasound image.

:class:`CameraInset` keeps a non-interactive :class:`VideoView` in a corner of its
host (bottom right at first, a quarter of the host's width); the user drags it
anywhere (it keeps its place, as a fraction of the host, when the window resizes).
It hides when the camera's frames stop, and the user can hide or show it (it never
covers the ultrasound unless they want it to).
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from ultrasound_consult.ui.video_view import VideoView

#: Share of the host's width the inset takes.
INSET_WIDTH = 0.26
MARGIN = 12
#: No camera frame for this long: the inset hides (the camera stopped or was unplugged).
STALE_S = 3.0


class CameraInset(QObject):
    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.host = host
        self.view = VideoView(host)
        self.view.setMinimumSize(96, 54)
        self.view.setStyleSheet("border: 1px solid #3b4047;")
        self.view.hide()
        self.view.setCursor(Qt.CursorShape.OpenHandCursor)
        self.view.setToolTip("")
        self.wanted = True
        self.last_frame_at: float | None = None
        #: Where the user put it: top-left corner as fractions of the host (None: corner).
        self.position: tuple[float, float] | None = None
        self._drag_from: tuple[QPoint, QPoint] | None = None
        host.installEventFilter(self)
        self.view.installEventFilter(self)

    @property
    def live(self) -> bool:
        """Whether camera frames are arriving."""
        return self.last_frame_at is not None and time.perf_counter() - self.last_frame_at < STALE_S

    def set_frame(self, array: np.ndarray) -> None:
        first = self.view.frame_size is None
        self.last_frame_at = time.perf_counter()
        self.view.set_frame(array)
        if first:
            self._place()
        self.refresh()

    def set_wanted(self, wanted: bool) -> None:
        self.wanted = wanted
        self.refresh()

    def refresh(self) -> None:
        """Show while frames arrive and the user wants it; call about once a second."""
        show = self.wanted and self.live
        if show != self.view.isVisible():
            self.view.setVisible(show)
            if show:
                self._place()
                self.view.raise_()

    def _place(self) -> None:
        size = self.view.frame_size or (16, 9)
        width = max(96, int(self.host.width() * INSET_WIDTH))
        height = max(54, round(width * size[1] / size[0]))
        if self.position is None:
            x, y = self.host.width() - width - MARGIN, self.host.height() - height - MARGIN
        else:
            x = round(self.position[0] * self.host.width())
            y = round(self.position[1] * self.host.height())
        x = min(max(0, x), max(0, self.host.width() - width))
        y = min(max(0, y), max(0, self.host.height() - height))
        self.view.setGeometry(x, y, width, height)

    def move_to(self, x: int, y: int) -> None:
        """Put the inset's top-left corner at (x, y) in the host, kept inside it."""
        w, h = max(1, self.host.width()), max(1, self.host.height())
        self.position = (x / w, y / h)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.host and event.type() == QEvent.Type.Resize:
            self._place()
        elif watched is self.view:
            kind = event.type()
            if not isinstance(event, QMouseEvent):  # PySide6 hands each event as its class
                return False
            if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
                self._drag_from = (event.globalPosition().toPoint(), self.view.pos())
                self.view.setCursor(Qt.CursorShape.ClosedHandCursor)
                return True
            if kind == QEvent.Type.MouseMove and self._drag_from is not None:
                start, origin = self._drag_from
                to = origin + event.globalPosition().toPoint() - start
                self.move_to(to.x(), to.y())
                return True
            if kind == QEvent.Type.MouseButtonRelease and self._drag_from is not None:
                self._drag_from = None
                self.view.setCursor(Qt.CursorShape.OpenHandCursor)
                return True
        return False
