"""Settings (language, name, server, devices, quality, shortcuts) and About (version,
where the log, settings, masks and recordings are)."""

from __future__ import annotations

import platform
import sys

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult import APP_ID, __version__
from ultrasound_consult.logs import log_file
from ultrasound_consult.media.mask_store import MaskStore
from ultrasound_consult.media.quality import PRESETS
from ultrasound_consult.session.recording import recordings_root
from ultrasound_consult.ui.devices import audio_choices, chosen_spec, source_choices
from ultrasound_consult.ui.i18n import LANGUAGES, tr
from ultrasound_consult.ui.messages import preset_text
from ultrasound_consult.ui.settings import DEFAULT_SHORTCUTS, AppSettings


def shortcut_names() -> dict[str, str]:
    return {
        "cue_done": tr("Cue done"),
        "cue_done_pedal": tr("Cue done (foot pedal)"),
        "cue_cant": tr("Cue can't be done"),
        "cue_cant_pedal": tr("Cue can't be done (foot pedal)"),
        "mute": tr("Mute the microphone"),
        "record": tr("Record"),
        "end_call": tr("End the call"),
        "zoom_in": tr("Zoom in"),
        "zoom_out": tr("Zoom out"),
        "zoom_fit": tr("Whole image"),
    }


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(tr("Settings — ultrasound-consult"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        tabs = QTabWidget()
        layout.addWidget(tabs)

        general = QWidget()
        form = QFormLayout(general)
        self.language = QComboBox()
        self.language.addItem(tr("System language"), "auto")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.name = QLineEdit(settings.name)
        self.server = QLineEdit(settings.server)
        form.addRow(tr("Language"), self.language)
        form.addRow(tr("My name"), self.name)
        form.addRow(tr("Server"), self.server)
        tabs.addTab(general, tr("General"))

        devices = QWidget()
        form = QFormLayout(devices)
        self.source = QComboBox()
        self.source.setEditable(True)
        for label, spec in source_choices(settings.source):
            self.source.addItem(label, spec)
        self.source.setCurrentIndex(max(0, self.source.findData(settings.source)))
        self.camera = QLineEdit(settings.camera)
        self.camera.setPlaceholderText(tr("none (e.g. device:1 for a webcam)"))
        # Lists of the devices found now (the remembered one kept even if unplugged).
        self.microphone = device_combo(audio_choices("input", settings.microphone))
        self.microphone.setCurrentIndex(max(0, self.microphone.findData(settings.microphone)))
        self.speaker = device_combo(audio_choices("output", settings.speaker))
        self.speaker.setCurrentIndex(max(0, self.speaker.findData(settings.speaker)))
        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(preset_text(name), name)
        self.preset.setCurrentIndex(max(0, self.preset.findData(settings.preset)))
        form.addRow(tr("Ultrasound source"), self.source)
        form.addRow(tr("Second camera"), self.camera)
        form.addRow(tr("Microphone"), self.microphone)
        form.addRow(tr("Speaker"), self.speaker)
        form.addRow(tr("Quality"), self.preset)
        masks = QLabel(
            tr("Privacy masks are remembered per source in {path}.").format(path=MaskStore().path)
        )
        masks.setWordWrap(True)
        form.addRow(masks)
        tabs.addTab(devices, tr("Devices"))

        keys = QWidget()
        form = QFormLayout(keys)
        self.keys: dict[str, QKeySequenceEdit] = {}
        for action, label in shortcut_names().items():
            edit = QKeySequenceEdit(QKeySequence(settings.shortcut(action)))
            self.keys[action] = edit
            form.addRow(label, edit)
        hint = QLabel(
            tr("Most foot pedals send Page Down / Page Up; press the pedal in a box to use it.")
        )
        hint.setWordWrap(True)
        form.addRow(hint)
        tabs.addTab(keys, tr("Shortcuts"))

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).setText(
            tr("Restore defaults")
        )
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_defaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def restore_defaults(self) -> None:
        for action, edit in self.keys.items():
            edit.setKeySequence(QKeySequence(DEFAULT_SHORTCUTS[action]))

    def accept(self) -> None:
        s = self.settings
        s.language = self.language.currentData()
        s.name = self.name.text()
        s.server = self.server.text()
        s.source = chosen_spec(self.source)
        s.camera = self.camera.text()
        s.microphone = chosen_spec(self.microphone)
        s.speaker = chosen_spec(self.speaker)
        s.preset = self.preset.currentData()
        for action, edit in self.keys.items():
            s.set_shortcut(action, edit.keySequence().toString())
        super().accept()


class AboutDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("About ultrasound-consult"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        title = QLabel(tr("Ultrasound consult {version}").format(version=__version__))
        title.setObjectName("title")
        layout.addWidget(title)
        text = QLabel(
            tr(
                "Open, vendor-neutral remote ultrasound consultation and teaching. "
                "When something goes wrong, send the log file below to your IT contact: "
                "it holds the details (invite codes are masked in it)."
            )
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.app_id = QLineEdit(f"{APP_ID} {__version__} ({build_kind()})")
        self.app_id.setReadOnly(True)
        form.addRow(tr("App id"), self.app_id)
        self.paths = {
            "log": str(log_file()),
            "settings": str(settings.path),
            "masks": str(MaskStore().path),
            "recordings": str(recordings_root()),
        }
        labels = {
            "log": tr("Log file"),
            "settings": tr("Settings"),
            "masks": tr("Privacy masks"),
            "recordings": tr("Recordings"),
        }
        for key, path in self.paths.items():
            field = QLineEdit(path)
            field.setReadOnly(True)
            field.setCursorPosition(0)
            form.addRow(labels[key], field)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def build_kind() -> str:
    """How this copy runs: a packaged bundle (no Python needed) or Python from source."""
    if getattr(sys, "frozen", False):
        return tr("packaged")
    return tr("Python {version}").format(version=platform.python_version())


def device_combo(choices: list[tuple[str, str]]) -> QComboBox:
    """A list of devices; still editable for a spec (``tone:440``, ``file:PATH``)."""
    combo = QComboBox()
    combo.setEditable(True)
    for label, spec in choices:
        combo.addItem(label, spec)
    return combo
