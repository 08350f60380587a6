"""The first screen of ``ultrasound-consult`` with no command: who am I, where, which room.

Deliberately small: role, server, room code, name, and (for the station) the video
source. The full first screen with invites, recent rooms and a pre-call check comes
with the UX work.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
)

from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.ui.app import application, run_call_window
from ultrasound_consult.ui.i18n import tr


class JoinDialog(QDialog):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(tr("Join a consult — ultrasound-consult"))
        form = QFormLayout(self)
        self.role = QComboBox()
        self.role.addItem(tr("Station (I am scanning)"), Role.STATION.value)
        self.role.addItem(tr("Expert (I am guiding)"), Role.EXPERT.value)
        self.role.addItem(tr("Observer (I am watching)"), Role.OBSERVER.value)
        self.server = QLineEdit("ws://127.0.0.1:8765/")
        self.room = QLineEdit()
        self.room.setPlaceholderText(tr("room code, e.g. clinic-12"))
        self.name = QLineEdit()
        self.source = QLineEdit("synthetic")
        self.source_label = QLabel(tr("Video source"))
        form.addRow(tr("I am"), self.role)
        form.addRow(tr("Server"), self.server)
        form.addRow(tr("Room"), self.room)
        form.addRow(tr("My name"), self.name)
        form.addRow(self.source_label, self.source)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText(tr("Join"))
        buttons.button(QDialogButtonBox.Cancel).setText(tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()

    def _role_changed(self) -> None:
        station = self.role.currentData() == Role.STATION.value
        self.source.setVisible(station)
        self.source_label.setVisible(station)

    def accept(self) -> None:
        if not self.room.text().strip():
            QMessageBox.warning(self, self.windowTitle(), tr("Enter the room code you were given."))
            return
        super().accept()

    def config(self) -> CallConfig:
        return CallConfig(
            server_url=self.server.text().strip(),
            room=self.room.text().strip(),
            role=Role(self.role.currentData()),
            name=self.name.text().strip(),
        )


def run_join_dialog(language: str | None = None) -> int:
    application(language)
    dialog = JoinDialog()
    if dialog.exec() != QDialog.Accepted:
        return 0
    config = dialog.config()
    source = None
    if config.role is Role.STATION:
        try:
            source = open_source(dialog.source.text().strip() or "synthetic")
        except SourceError as exc:
            QMessageBox.critical(None, dialog.windowTitle(), str(exc))
            return 2
    return run_call_window(config, source=source, mask=PrivacyMask(), language=language)
