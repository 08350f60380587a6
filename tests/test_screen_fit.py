"""Windows fit the screen they open on (frame and taskbar included) and open again
where the user left them (issue 15, item 5)."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect

from tests.support.ui import make_app
from ultrasound_consult.ui.screen_fit import (
    DEFAULT_FRAME,
    fitted,
    geometry_text,
    parse_geometry,
    place,
)
from ultrasound_consult.ui.settings import AppSettings

LAPTOP = QRect(0, 0, 1366, 728)  # 1366x768 less a 40-line taskbar
FRAME = QMargins(4, 30, 4, 4)


def test_a_window_fits_inside_the_available_area_with_its_frame():
    whole = fitted(LAPTOP, FRAME)
    assert whole == QRect(4, 30, 1358, 694)
    assert LAPTOP.contains(whole.marginsAdded(FRAME))
    # Remembered from a big monitor: shrunk and pulled back onto the laptop.
    big = fitted(LAPTOP, FRAME, QRect(600, 300, 1900, 1000))
    assert LAPTOP.contains(big.marginsAdded(FRAME)) and big.size() == whole.size()
    # A small window keeps its size and place; off the edge, it is moved back.
    small = QRect(100, 100, 800, 600)
    assert fitted(LAPTOP, FRAME, small) == small
    moved = fitted(LAPTOP, FRAME, QRect(1000, 500, 800, 600))
    assert moved.size() == small.size() and LAPTOP.contains(moved.marginsAdded(FRAME))
    assert parse_geometry(geometry_text(moved)) == moved
    assert parse_geometry("") is None and parse_geometry("1,2,x,4") is None
    assert parse_geometry("1,2,0,4") is None


def test_the_first_screen_opens_where_it_was_left(qtbot, engine, tmp_path):
    consult = make_app(qtbot, engine, tmp_path, "fit")
    screen = consult.start.screen().availableGeometry()
    # It opened on the whole screen, its frame inside it.
    assert screen.contains(consult.start.frameGeometry())
    assert consult.start.width() >= screen.width() - 2 * DEFAULT_FRAME.left() - 8
    wanted = QRect(120, 90, 1100, 700)
    place(consult.start, wanted)
    qtbot.waitUntil(lambda: consult.start.geometry() == wanted, timeout=2_000)
    consult.shutdown()
    settings = AppSettings(tmp_path / "fit.ini")
    assert parse_geometry(settings.window_geometry) == wanted
    again = make_app(qtbot, engine, tmp_path, "fit")
    assert again.start.geometry() == wanted
    # A remembered place off this screen (a monitor since unplugged) comes back on it.
    settings.window_geometry = geometry_text(QRect(3000, 2000, 2400, 1400))
    third = make_app(qtbot, engine, tmp_path, "fit")
    assert screen.contains(third.start.geometry())
