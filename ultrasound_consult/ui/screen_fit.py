"""Windows that fit the screen they open on, frame and taskbar included.

A window's ``geometry()`` is its client area; the window manager adds a title bar and
borders around it, and the taskbar takes part of the screen (``availableGeometry``).
Opening a window 768 lines tall on a 768-line laptop put the status bar (End call,
Record) under the taskbar. :func:`fitted` is the pure rule; :func:`place` applies it
to a window on the screen it opens on (the one under the remembered position, else
the primary), and :func:`geometry_text` / :func:`parse_geometry` keep a position in
the settings.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

#: What a window manager adds around a window before it is shown (then the real
#: frame is known): a title bar and thin borders, generous so nothing ends under a taskbar.
DEFAULT_FRAME = QMargins(4, 34, 4, 4)


def fitted(available: QRect, frame: QMargins, wanted: QRect | None = None) -> QRect:
    """The client rectangle for a window: ``wanted`` (or the whole of ``available``),
    shrunk and moved so that the window with its ``frame`` lies inside ``available``."""
    inner = available.marginsRemoved(frame)
    if wanted is None or wanted.width() <= 0 or wanted.height() <= 0:
        return inner
    width, height = min(wanted.width(), inner.width()), min(wanted.height(), inner.height())
    x = min(max(wanted.x(), inner.left()), inner.left() + inner.width() - width)
    y = min(max(wanted.y(), inner.top()), inner.top() + inner.height() - height)
    return QRect(x, y, width, height)


def frame_of(window: QWidget) -> QMargins:
    """The window manager's frame around ``window``, or :data:`DEFAULT_FRAME` while unknown."""
    if window.isVisible():
        outer, inner = window.frameGeometry(), window.geometry()
        if outer != inner:
            return QMargins(
                inner.left() - outer.left(),
                inner.top() - outer.top(),
                outer.right() - inner.right(),
                outer.bottom() - inner.bottom(),
            )
    return DEFAULT_FRAME


def screen_for(wanted: QRect | None, window: QWidget | None = None) -> QScreen:
    """The screen under the middle of ``wanted``, else the window's, else the primary."""
    if wanted is not None and wanted.isValid():
        screen = QGuiApplication.screenAt(wanted.center())
        if screen is not None:
            return screen
    if window is not None and window.screen() is not None:
        return window.screen()
    return QGuiApplication.primaryScreen()


def place(
    window: QWidget,
    wanted: QRect | None = None,
    *,
    available: QRect | None = None,
    frame: QMargins | None = None,
) -> QRect:
    """Give ``window`` the ``wanted`` client rectangle (default: the whole screen) within
    the available area of its screen; returns what it got. (``available`` and ``frame``
    stand in for a screen and a window manager, in tests.)"""
    area = available if available is not None else screen_for(wanted, window).availableGeometry()
    rect = fitted(area, frame if frame is not None else frame_of(window), wanted)
    window.setGeometry(rect)
    return rect


def half(available: QRect, side: int) -> QRect:
    """The left (0) or right (1) half of ``available``: two windows side by side."""
    width = available.width() // 2
    return QRect(available.x() + side * width, available.y(), width, available.height())


def geometry_text(rect: QRect) -> str:
    return f"{rect.x()},{rect.y()},{rect.width()},{rect.height()}"


def parse_geometry(text: str) -> QRect | None:
    """``x,y,w,h`` from the settings, or None if it is missing or damaged."""
    try:
        x, y, w, h = (int(part) for part in text.split(","))
    except ValueError:
        return None
    return QRect(x, y, w, h) if w > 0 and h > 0 else None
