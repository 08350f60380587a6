"""The app as a user starts it: the first screen, then a call, then the first screen.

:class:`ConsultApp` owns the settings, the engine thread and the windows. A join
opens the devices the pre-call check released, starts the call and swaps the first
screen for the call window. A call that cannot start (server unreachable, wrong or
expired code, room full, a source that will not open) closes and the first screen
says why and what to do; a call that ends brings the first screen back.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ultrasound_consult.media.audio import AudioError, open_capture, open_output
from ultrasound_consult.media.camera import open_camera
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.consult import CallReady
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig, CallError
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.presence import (
    ConsultRefused,
    DeviceCredential,
    default_credential_path,
)
from ultrasound_consult.ui.app import OpenCall, application, open_call, start_call
from ultrasound_consult.ui.consult_bridge import PresenceBridge
from ultrasound_consult.ui.consult_dialogs import EnrollDialog
from ultrasound_consult.ui.consult_window import ConsultWindow
from ultrasound_consult.ui.devices import remembered_mask
from ultrasound_consult.ui.i18n import install_translator, tr
from ultrasound_consult.ui.screen_fit import geometry_text, place
from ultrasound_consult.ui.settings import AppSettings
from ultrasound_consult.ui.settings_dialog import AboutDialog, SettingsDialog
from ultrasound_consult.ui.start_window import JoinRequest, StartWindow

logger = logging.getLogger(__name__)


class ConsultApp(QObject):
    def __init__(self, settings: AppSettings, engine: EngineThread) -> None:
        super().__init__()
        self.settings, self.engine = settings, engine
        self.current: OpenCall | None = None
        self.replays: list[QWidget] = []
        self._failure: tuple[str, str] | None = None
        self._last_error: tuple[str, str] | None = None
        self._connected = False
        self._joining: tuple[str, str, str] | None = None
        self.consult: ConsultWindow | None = None
        self.start = self._make_start_window()
        # An enrolled device stays signed in in the background: a ring raises its window.
        if default_credential_path().exists():
            self.open_consult(show=False)

    def _make_start_window(self) -> StartWindow:
        window = StartWindow(self.settings, self.engine)
        window.join_requested.connect(self.join)
        window.recording_requested.connect(self.open_recording)
        window.language_requested.connect(self.set_language)
        window.settings_requested.connect(self.edit_settings)
        window.about_requested.connect(self.about)
        window.consult_requested.connect(self.open_consult)
        return window

    def show(self) -> None:
        self.start.show()

    # --- first screen ---------------------------------------------------------------

    def set_language(self, language: str) -> None:
        """Switch now: the first screen is rebuilt in the new language."""
        self.settings.language = language
        install_translator(application(), language)
        old = self.start
        geometry, visible = old.geometry(), old.isVisible()
        old.stop_checks()
        self.start = self._make_start_window()
        place(self.start, geometry)
        old.hide()
        old.deleteLater()
        if visible:
            self.start.show()

    def edit_settings(self) -> None:
        before = self.settings.language
        dialog = SettingsDialog(self.settings, self.start)
        if dialog.exec() and self.settings.language != before:
            self.set_language(self.settings.language)
        elif dialog.result():
            self.start.refresh()

    def about(self) -> None:
        AboutDialog(self.settings, self.start).exec()

    # --- the consult service ------------------------------------------------------------

    def open_consult(self, show: bool = True) -> ConsultWindow | EnrollDialog | None:
        """The directory, calls and requests; first the enrollment if not enrolled."""
        if self.consult is not None:
            if show:
                self.consult.showNormal()
                self.consult.raise_()
            return self.consult
        try:
            credential = DeviceCredential.load()
        except ConsultRefused:
            dialog = EnrollDialog(self.engine, self.settings.server, self.start)
            dialog.enrolled.connect(lambda _c: self.open_consult())
            dialog.open()
            return dialog
        bridge = PresenceBridge(self.engine, credential)
        self.consult = ConsultWindow(bridge)
        self.consult.call_ready.connect(self.join_consult_call)
        self.start.consult_button.setText(tr("Experts and requests"))
        bridge.start()
        if show:
            place(self.consult, self.start.geometry())
            self.consult.show()
        return self.consult

    def join_consult_call(self, ready: CallReady) -> OpenCall | None:
        """An answered call: join its room with the invite the server handed out."""
        assert self.consult is not None
        source = self.start.source_spec() if ready.role is Role.STATION else ""
        request = JoinRequest(
            server=self.consult.bridge.credential.server,
            code=ready.token,
            name=self.consult.bridge.credential.name,
            role=ready.role,
            source=source,
        )
        return self.join(request)

    def open_recording(self, folder: str) -> None:
        from ultrasound_consult.ui.replay_window import open_replay

        window = open_replay(Path(folder), self.start)
        if window is not None:
            place(window, self.start.geometry())
            window.show()
            self.replays.append(window)

    # --- calls ---------------------------------------------------------------------------

    def join(self, request: JoinRequest) -> OpenCall | None:
        if self.current is not None:
            return None
        self.start.stop_checks()
        try:
            config = CallConfig.from_invite(
                request.server, request.code, request.name, quality=self.settings.preset
            )
        except CallError as exc:
            self._not_started("token_invalid", str(exc))
            return None
        source = camera = None
        mask = None
        if request.role is Role.STATION:
            try:
                source = open_source(request.source)
            except (SourceError, ValueError) as exc:
                self._not_started("source_unavailable", str(exc))
                return None
            mask, problem = remembered_mask(request.source)
            if problem:
                logger.warning("privacy mask: %s", problem)
            if request.camera:
                try:
                    camera = open_camera(request.camera)
                except (SourceError, ValueError) as exc:
                    logger.warning("no second camera: %s", exc)
        try:
            audio = open_capture(self.settings.microphone)
        except (AudioError, ValueError) as exc:
            logger.warning("no microphone: %s", exc)
            audio = None
        try:
            speaker = open_output(self.settings.speaker)
        except (AudioError, ValueError) as exc:
            logger.warning("no speaker: %s", exc)
            speaker = None
        self._failure = self._last_error = None
        self._connected = False
        opened = open_call(
            self.engine,
            config,
            source=source,
            mask=mask,
            audio=audio,
            speaker=speaker,
            camera=camera,
            shortcuts=self.settings.shortcuts(),
            source_spec=request.source,
            start=False,
        )
        self.current = opened
        opened.bridge.error_raised.connect(self._error)
        opened.bridge.state_changed.connect(self._state)
        opened.window.ended.connect(self._ended)
        # Started only now: a server that refuses at once must still reach _state.
        start_call(opened.bridge, opened.call)
        # Remembered once the server has let us in: a mistyped code or a server that is
        # down must not replace or duplicate a room that works.
        self._joining = (config.server_url, request.code, request.name)
        place(opened.window, self.start.geometry())
        self.start.hide()
        opened.window.show()
        return opened

    def _not_started(self, code: str, message: str) -> None:
        self.start.show_error(code, message)
        self.start.start_checks()
        return None

    def _error(self, code: str, message: str) -> None:
        self._last_error = (code, message)

    def _state(self, state: str, detail: str) -> None:
        if state in ("waiting", "negotiating", "connected") and self._joining is not None:
            self.settings.remember_room(*self._joining)
            self._joining = None
        if state == "connected":
            self._connected = True
        elif state == "failed" and self.current is not None:
            # It never got going (or the server refused it): back to the first screen,
            # which says why.
            self._failure = self._last_error or ("join_failed", detail)
            self.current.window.close()

    def _ended(self) -> None:
        opened, self.current = self.current, None
        if self.consult is not None:
            window = opened.window if opened is not None else None
            self.consult.call_ended(
                recorded=bool(window is not None and window.saved_folder),
                opinion=window is not None
                and any(e.delivered for e in window.conversation.opinion_entries),
            )
        if opened is not None:
            place(self.start, opened.window.geometry())
            self.remember_geometry(opened.window)
            opened.window.hide()
            opened.window.deleteLater()
        self.start.refresh()
        self.start.show()
        if self._failure is not None:
            self.start.show_error(*self._failure)
        else:
            self.start.hide_error()
            self.start.show_info(tr("Call ended."))

    def remember_geometry(self, window: QWidget) -> None:
        """Next start opens where the user left the window (fitted to the screen then)."""
        self.settings.window_geometry = geometry_text(window.geometry())

    def shutdown(self) -> None:
        if self.consult is not None:
            self.consult.bridge.stop()
        if self.current is not None:
            self.current.window.close()
        elif self.start.isVisible():
            self.remember_geometry(self.start)
        self.start.stop_checks()


def _save_first_screen(window: QWidget, path: Path) -> None:
    shot = window.grab()
    saved = shot.save(str(path), "PNG")
    print(
        json.dumps(
            {"first_screen": str(path), "saved": saved, "size": [shot.width(), shot.height()]}
        ),
        flush=True,
    )
    QApplication.exit(0 if saved else 1)


def run_app(language: str | None = None, *, first_screen_png: Path | None = None) -> int:
    """The app until the user quits; with ``first_screen_png``, only until the first screen
    is on screen: it is saved there, one JSON line says so, and the app exits (a smoke test
    of an installed copy, and what the start-up benchmark times)."""
    settings = AppSettings()
    app = application(language or settings.language)
    engine = EngineThread().start()
    consult = ConsultApp(settings, engine)
    consult.show()
    if first_screen_png is not None:
        QTimer.singleShot(0, lambda: _save_first_screen(consult.start, first_screen_png))
    try:
        return app.exec()
    finally:
        consult.shutdown()
        engine.stop()
