"""Choosing a video source without typing a spec: a file picker for DICOM and video
files, and the station's "Switch source" dialog with the masked preview, so the
privacy check ("is the name covered?") is made again before the call switches.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.ui.devices import chosen_spec, source_choices
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.messages import error_html
from ultrasound_consult.ui.precheck import SourcePreview
from ultrasound_consult.ui.video_view import VideoView

#: Suffixes read as video files; anything else is tried as DICOM (often no suffix).
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg"})


def spec_for_file(path: str | Path) -> str:
    """The source spec of a file the user picked: ``file:`` for a video, else ``dicom:``."""
    path = Path(path)
    kind = "file" if path.suffix.lower() in VIDEO_SUFFIXES else "dicom"
    return f"{kind}:{path}"


def pick_source_file(parent: QWidget, start: str = "") -> str:
    """A file chooser for DICOM images/cines and video files; the spec, or ""."""
    name, _ = QFileDialog.getOpenFileName(
        parent,
        tr("Choose a DICOM or video file"),
        start,
        tr("DICOM or video (*.dcm *.DCM *.mp4 *.mov *.avi *.mkv *.m4v);;All files (*)"),
    )
    return spec_for_file(name) if name else ""


def add_file_choice(combo: QComboBox, spec: str) -> None:
    """Put ``spec`` (a picked file) in a source combo and select it."""
    index = combo.findData(spec)
    if index < 0:
        combo.insertItem(0, Path(spec.split(":", 1)[1]).name + f"  ({spec.split(':')[0]})", spec)
        index = 0
    combo.setCurrentIndex(index)


class SwitchSourceDialog(QDialog):
    """Pick the next source, see it through its privacy mask, then switch."""

    def __init__(self, engine: EngineThread, current: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Switch source"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Carry on from this source (the call goes on):")))
        row = QHBoxLayout()
        self.source = QComboBox()
        self.source.setEditable(True)
        for label, spec in source_choices(current):
            self.source.addItem(label, spec)
        self.source.activated.connect(lambda _i: self.preview_chosen())
        editor = self.source.lineEdit()
        assert editor is not None  # an editable combo box has one
        editor.returnPressed.connect(self.preview_chosen)
        self.browse = QPushButton(tr("File…"))
        self.browse.setToolTip(tr("A DICOM image or cine, or a video file"))
        self.browse.clicked.connect(self._browse)
        row.addWidget(self.source, 1)
        row.addWidget(self.browse)
        layout.addLayout(row)
        self.view = VideoView()
        self.view.setMinimumSize(480, 360)
        self.view.set_placeholder(tr("Choose the video source"))
        layout.addWidget(self.view, 1)
        layout.addWidget(QLabel(tr("This is what the expert will see: check that no name shows.")))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.preview = SourcePreview(engine, self.view, self)
        self.preview.failed.connect(self._failed)
        self.spec = ""

    def _browse(self) -> None:
        spec = pick_source_file(self)
        if spec:
            add_file_choice(self.source, spec)
            self.preview_chosen()

    def preview_chosen(self) -> bool:
        """Show the chosen source through its mask; OK only once it shows."""
        self.spec = chosen_spec(self.source)
        self.problem.hide()
        ok = bool(self.spec) and self.preview.start(self.spec)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    def _failed(self, code: str, message: str) -> None:
        if code == "mask":
            return  # the default band applies; the preview shows it
        self.problem.setText(error_html(code, message))
        self.problem.show()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

    def done(self, result: int) -> None:  # accept or reject: release the source first
        self.preview.stop()
        super().done(result)
