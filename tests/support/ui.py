"""Qt fixtures and helpers: the engine thread, a connected pair of call windows, apps
opened from the first screen, and pixel probes on what a window really shows.

Registered as a pytest plugin by conftest.py, so test modules use ``engine`` and
``consult`` as plain fixtures and import only the helper functions from here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer

from ultrasound_consult.media.audio import RecordingOutput, SyntheticCapture
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.ui.app import OpenCall, application, open_call
from ultrasound_consult.ui.launcher import ConsultApp
from ultrasound_consult.ui.settings import AppSettings
from ultrasound_consult.ui.video_view import VideoView

MARK_YELLOW = np.array([0xFF, 0xD4, 0x00])

_APPS: list[ConsultApp] = []


@pytest.fixture
def engine() -> Iterator[EngineThread]:
    """The engine, and every app made on it by :func:`make_app` shut down (devices
    released, windows closed) before it stops."""
    thread = EngineThread().start()
    yield thread
    while _APPS:
        _APPS.pop().shutdown()
    thread.stop()


@pytest.fixture
def consult(qtbot, engine, signaling_url, invite) -> Iterator[tuple[OpenCall, OpenCall]]:
    """A station window (synthetic scanner, tone microphone, test-card camera) and an
    expert window, connected, with video showing on both and the ops channel open."""
    application("en")
    station = open_call(
        engine,
        CallConfig.from_invite(signaling_url, invite("station"), "Township clinic"),
        source=open_source("synthetic:640x480@30"),
        mask=PrivacyMask(),
        audio=SyntheticCapture.tone(440),
        speaker=RecordingOutput(),
        camera=open_source("testcard:640x360@15"),
    )
    expert = open_call(
        engine,
        CallConfig.from_invite(signaling_url, invite("expert"), "Dr. Wang"),
        speaker=RecordingOutput(),
    )
    for o in (station, expert):
        qtbot.addWidget(o.window)
        o.window.resize(900, 760)
        o.window.show()
    qtbot.waitUntil(lambda: expert.window.state == "connected", timeout=20_000)
    qtbot.waitUntil(lambda: expert.window.view.frame_size == (640, 480), timeout=20_000)
    qtbot.waitUntil(lambda: station.window.view.frame_size == (640, 480), timeout=20_000)
    # The annotation channel is open once the station's stream description came through it.
    qtbot.waitUntil(lambda: expert.call.stream_info is not None, timeout=20_000)
    yield station, expert
    for o in (expert, station):
        o.window.end_call()


def make_app(qtbot, engine: EngineThread, tmp_path, name: str, **prefs) -> ConsultApp:
    """The whole app on its first screen, with its own settings file."""
    settings = AppSettings(tmp_path / f"{name}.ini")
    settings.microphone = "tone:440"  # no microphone here: a tone through the same path
    settings.speaker = "none"
    for key, value in prefs.items():
        setattr(settings, key, value)
    app = ConsultApp(settings, engine)
    _APPS.append(app)
    qtbot.addWidget(app.start)
    app.show()
    return app


def join(qtbot, app: ConsultApp, role_key: str, code: str, name: str, server: str):
    """Fill in and click the first screen's join form; the call window, or None."""
    start = app.start
    qtbot.mouseClick(start.role_buttons[role_key], Qt.LeftButton)
    start.server.setText(server)
    start.code.setText(code)
    start.name.setText(name)
    qtbot.mouseClick(start.join_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: app.current is not None or start.error.isVisible(), timeout=10_000)
    return app.current


def choose(qtbot, combo, index: int) -> None:
    """Pick item ``index`` of a combo box as a user does from the keyboard: the arrow keys,
    which (unlike ``setCurrentIndex``) emit ``activated`` at each item passed."""
    combo.setFocus()
    for _ in range(combo.count()):
        if combo.currentIndex() == index:
            break
        qtbot.keyClick(combo, Qt.Key_Down if combo.currentIndex() < index else Qt.Key_Up)
    assert combo.currentIndex() == index


def click_item(qtbot, view, item) -> None:
    """Click a list widget's item where it is drawn (scrolled into sight first)."""
    view.scrollToItem(item)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualItemRect(item).center())


def widget_point(view: VideoView, x: float, y: float) -> QPoint:
    rect = view.image_rect()
    return QPoint(round(rect.x() + x * rect.width()), round(rect.y() + y * rect.height()))


def grab_array(widget) -> np.ndarray:
    """The widget's pixels as RGB. A copy: the QImage's buffer dies with the QImage."""
    image = widget.grab().toImage()
    image = image.convertToFormat(image.Format.Format_RGB888)
    arr = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    rows = arr.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).copy()


def yellow_near(view: VideoView, x: float, y: float, radius: int = 30) -> int:
    pixels = grab_array(view)
    p = widget_point(view, x, y)
    patch = pixels[max(0, p.y() - radius) : p.y() + radius, max(0, p.x() - radius) : p.x() + radius]
    return int((np.abs(patch.astype(int) - MARK_YELLOW).sum(axis=2) < 60).sum())


def answer_end_question(window, end: bool) -> None:
    """Answer the "End the call?" question once it is up (it runs its own event loop,
    in which this timer fires)."""

    def answer() -> None:
        box = window.end_question
        if box is None:
            QTimer.singleShot(20, answer)
            return
        for button in box.buttons():
            if (box.buttonRole(button) == box.ButtonRole.AcceptRole) == end:
                button.click()
                return

    QTimer.singleShot(20, answer)
