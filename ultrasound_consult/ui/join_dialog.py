"""The first screen of ``ultrasound-consult`` with no command: server, invite code, name.

The invite code names the room and the role, so that is all a user types. The full
first screen (recent rooms, a pre-call check) comes with the UX work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.invite import parse_invite, split_join_text
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.ui.app import application, run_call_window
from ultrasound_consult.ui.i18n import tr


class JoinDialog(QDialog):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(tr("Join a consult — ultrasound-consult"))
        self.setMinimumWidth(520)
        form = QFormLayout(self)
        self.server = QLineEdit("ws://127.0.0.1:8765/")
        self.code = QLineEdit()
        self.code.setPlaceholderText(
            tr("invite code or link, e.g. clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN")
        )
        self.role_label = QLabel()
        self.name = QLineEdit()
        self.source = QLineEdit("synthetic")
        self.source_label = QLabel(tr("Video source"))
        form.addRow(tr("Server"), self.server)
        form.addRow(tr("Invite code"), self.code)
        form.addRow("", self.role_label)
        form.addRow(tr("My name"), self.name)
        form.addRow(self.source_label, self.source)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText(tr("Join"))
        buttons.button(QDialogButtonBox.Cancel).setText(tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.replay_button = buttons.addButton(tr("Open a recording…"), QDialogButtonBox.ActionRole)
        self.replay_button.setToolTip(tr("Replay and review a recorded session (QC)"))
        self.replay_button.clicked.connect(self.open_recording)
        self.replay_windows: list[QWidget] = []
        form.addRow(buttons)
        self.code.textChanged.connect(self._code_changed)
        self._code_changed()

    def open_recording(self, folder: str | None = None) -> None:
        from ultrasound_consult.session.recording import recordings_root
        from ultrasound_consult.ui.replay_window import open_replay

        if not folder:
            folder = QFileDialog.getExistingDirectory(
                self, tr("Open a recording"), str(recordings_root())
            )
        if folder:
            window = open_replay(Path(folder), self)
            if window is not None:
                window.resize(1366, 768)
                window.show()
                self.replay_windows.append(window)

    def role(self) -> Role | None:
        server, code = split_join_text(self.code.text())
        if server and server != self.server.text():
            self.server.setText(server)  # a pasted link names the server too
        try:
            return parse_invite(code).role
        except ProtocolError:
            return None

    def _code_changed(self) -> None:
        role = self.role()
        names = {
            Role.STATION: tr("Station (I am scanning)"),
            Role.EXPERT: tr("Expert (I am guiding)"),
            Role.TRAINER: tr("Trainer (I am teaching)"),
            Role.OBSERVER: tr("Observer (I am watching)"),
        }
        self.role_label.setText(names[role] if role else "")
        station = role is Role.STATION
        self.source.setVisible(station)
        self.source_label.setVisible(station)

    def accept(self) -> None:
        if self.role() is None:
            QMessageBox.warning(
                self,
                self.windowTitle(),
                tr("Enter the invite code you were given, exactly as given."),
            )
            return
        super().accept()

    def config(self) -> CallConfig:
        return CallConfig.from_invite(
            self.server.text().strip(), self.code.text().strip(), self.name.text().strip()
        )


def run_join_dialog(language: str | None = None) -> int:
    app = application(language)
    dialog = JoinDialog()
    if dialog.exec() != QDialog.Accepted:
        # Opened recordings to review, not a call: stay until their windows close.
        if any(w.isVisible() for w in dialog.replay_windows):
            return app.exec()
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
