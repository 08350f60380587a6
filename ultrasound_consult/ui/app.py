"""Starting the GUI: the Qt application, the engine thread, and the call windows.

The call is built and run on the engine thread; the windows only talk to it
through :class:`~ultrasound_consult.ui.bridge.EngineBridge`.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

from ultrasound_consult import APP_ID, __version__
from ultrasound_consult.media.audio import AudioCapture, AudioOutput
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source import VideoSource
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig, CallError, ConsultCall
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.ui.bridge import EngineBridge
from ultrasound_consult.ui.call_window import CallWindow
from ultrasound_consult.ui.expert_window import ExpertWindow
from ultrasound_consult.ui.i18n import install_translator
from ultrasound_consult.ui.station_window import StationWindow
from ultrasound_consult.ui.theme import apply_theme

logger = logging.getLogger(__name__)

#: The window and taskbar icon (packaging/icons has its SVG source and the Windows .ico).
WINDOW_ICON = Path(__file__).with_name("icons") / "ultrasound-consult.png"


def add_bundled_fonts() -> None:
    """A packaged app carries a CJK font (packaging/): a Linux PC without one would show
    Chinese as boxes. Used only when the system has no font for Simplified Chinese."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is None or QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese):
        return
    for font in sorted(Path(bundle, "fonts").glob("*.tt[cf]")):
        if QFontDatabase.addApplicationFont(str(font)) < 0:
            logger.warning("could not load the bundled font %s", font.name)


def display_available() -> bool:
    """Whether Qt can open windows here (or the user chose a platform explicitly)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def application(language: str | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication), "a non-GUI QCoreApplication already runs"
    app.setApplicationName("ultrasound-consult")
    app.setOrganizationName("ultrasound-consult")
    app.setApplicationVersion(__version__)
    # The Linux desktop entry (packaging/linux) is named after this id: the taskbar
    # matches the window to its icon by it.
    QApplication.setDesktopFileName(APP_ID)
    QApplication.setWindowIcon(QIcon(str(WINDOW_ICON)))
    add_bundled_fonts()
    apply_theme(app)
    install_translator(app, language)
    return app


@dataclass
class OpenCall:
    """A window with its call and bridge, running on a shared engine thread."""

    window: CallWindow
    call: ConsultCall
    bridge: EngineBridge
    extra: dict[str, Any] = field(default_factory=dict)


def open_call(
    engine: EngineThread,
    config: CallConfig,
    *,
    source: VideoSource | None = None,
    mask: PrivacyMask | None = None,
    audio: AudioCapture | None = None,
    speaker: AudioOutput | None = None,
    camera: VideoSource | None = None,
    shortcuts: dict[str, str] | None = None,
    source_spec: str = "",
    start: bool = True,
) -> OpenCall:
    """Create the call on the engine thread and its window on this (GUI) thread, then
    start it (``start=False``: the caller connects its slots first, then starts it with
    ``bridge.submit(call.start())``; a signal emitted before a slot is connected is lost)."""
    bridge = EngineBridge(engine)

    async def build() -> ConsultCall:
        return ConsultCall(
            config, bridge, source=source, mask=mask, audio=audio, speaker=speaker, camera=camera
        )

    call = engine.submit(build()).result(10)
    window: CallWindow
    if config.role is Role.STATION:
        window = StationWindow(bridge, call, shortcuts=shortcuts, source_spec=source_spec)
    else:
        window = ExpertWindow(bridge, call, shortcuts=shortcuts)
    if start:
        start_call(bridge, call)
    return OpenCall(window, call, bridge)


def start_call(bridge: EngineBridge, call: ConsultCall) -> None:
    """Start ``call``. A start that fails has already said why with its own code (a
    source that will not open, a server that is down); its CallError must not come back
    a second time as a vague "That cannot be done right now"."""

    async def start() -> None:
        try:
            await call.start()
        except CallError as exc:
            logger.info("the call did not start: %s", exc)

    bridge.submit(start())


def run_call_window(
    config: CallConfig,
    *,
    source: VideoSource | None = None,
    mask: PrivacyMask | None = None,
    language: str | None = None,
    audio: AudioCapture | None = None,
    speaker: AudioOutput | None = None,
    camera: VideoSource | None = None,
) -> int:
    """One window for one role, until the user closes it."""
    app = application(language)
    engine = EngineThread().start()
    try:
        opened = open_call(
            engine, config, source=source, mask=mask, audio=audio, speaker=speaker, camera=camera
        )
        opened.window.show()
        return app.exec()
    finally:
        engine.stop()
