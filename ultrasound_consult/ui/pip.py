"""The second camera as a small picture in a corner of the ultrasound image.

:class:`CameraInset` keeps a non-interactive :class:`VideoView` pinned to the
bottom-right corner of its host (a quarter of the host's width), hides it when
the camera's frames stop, and lets the user hide or show it (it never covers the
ultrasound unless they want it to).
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEvent, QObject
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
        self.wanted = True
        self.last_frame_at: float | None = None
        host.installEventFilter(self)

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
        self.view.setGeometry(
            self.host.width() - width - MARGIN, self.host.height() - height - MARGIN, width, height
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.host and event.type() == QEvent.Resize:
            self._place()
        return False
