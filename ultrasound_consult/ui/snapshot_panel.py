"""Frozen, annotated frames the expert sent: shown beside the live image.

The live stream goes on in the main view; the panel holds the latest snapshot (and
earlier ones, one click back), drawn with its annotations, the author and the time.
"Larger" opens it in a window of its own (zoom with the wheel); "Save…" keeps it as a
PNG with the annotations drawn in (the frame was masked before it left the station).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import cv2
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.annotate.render import render_annotations
from ultrasound_consult.session.observer import Snapshot
from ultrasound_consult.session.recording import recordings_root
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.screen_fit import place
from ultrasound_consult.ui.video_view import VideoView

logger = logging.getLogger(__name__)


class SnapshotPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="snapshots")  # type: ignore[call-arg]
        # Beside the live image, never instead of it.
        self.setMinimumWidth(260)
        self.setMaximumWidth(400)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 8, 8, 8)
        self.title = QLabel(objectName="snaptitle")  # type: ignore[call-overload]
        self.title.setWordWrap(True)
        col.addWidget(self.title)
        self.view = VideoView(interactive=False)
        self.view.setMinimumSize(280, 210)
        col.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.older = QPushButton(tr("◀ Older"))
        self.newer = QPushButton(tr("Newer ▶"))
        self.close_button = QPushButton(tr("Hide"))
        for b in (self.older, self.newer, self.close_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(b)
        col.addLayout(row)
        keep = QHBoxLayout()
        self.larger_button = QPushButton(tr("Larger"))
        self.larger_button.setToolTip(tr("Open this frame in a window of its own"))
        self.save_button = QPushButton(tr("Save…"))
        self.save_button.setToolTip(tr("Keep this frame, with its marks, as a picture"))
        for b in (self.larger_button, self.save_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            keep.addWidget(b)
        col.addLayout(keep)
        self.saved = QLabel(objectName="hint")  # type: ignore[call-overload]
        self.saved.setWordWrap(True)
        self.saved.hide()
        col.addWidget(self.saved)
        self.larger_button.clicked.connect(self.enlarge)
        self.save_button.clicked.connect(self.save)
        self.viewer: QDialog | None = None
        self.older.clicked.connect(lambda: self._show(self.index - 1))
        self.newer.clicked.connect(lambda: self._show(self.index + 1))
        self.close_button.clicked.connect(self.hide)
        self.snapshots: list[Snapshot] = []
        self.index: int = -1
        self.hide()

    def add(self, snapshot: Snapshot) -> None:
        self.snapshots.append(snapshot)
        del self.snapshots[:-12]
        self._show(len(self.snapshots) - 1)
        self.show()

    def _show(self, index: int) -> None:
        if not self.snapshots:
            return
        self.index = max(0, min(len(self.snapshots) - 1, index))
        snap = self.snapshots[self.index]
        self.view.set_frame(snap.image)
        self.view.set_annotations(snap.header.annotations)
        when = dt.datetime.fromtimestamp(snap.header.created_ms / 1000).strftime("%H:%M:%S")
        self.title.setText(
            "<b>"
            + tr("Frame sent by {name}").format(name=snap.header.author or tr("the expert"))
            + f"</b> · {when}"
            + (f"<br>{snap.header.note}" if snap.header.note else "")
        )
        self.older.setEnabled(self.index > 0)
        self.newer.setEnabled(self.index < len(self.snapshots) - 1)

    @property
    def current(self) -> Snapshot | None:
        return self.snapshots[self.index] if 0 <= self.index < len(self.snapshots) else None

    def enlarge(self) -> QDialog | None:
        """The frame on show, as large as the screen allows, zoomable."""
        snap = self.current
        if snap is None:
            return None
        dialog = QDialog(self.window())
        dialog.setWindowTitle(self.title.text().split("</b>")[0].replace("<b>", ""))
        layout = QVBoxLayout(dialog)
        layout.setContentsMargins(0, 0, 0, 0)
        view = VideoView(interactive=False)
        view.zoomable = True
        view.set_frame(snap.image)
        view.set_annotations(snap.header.annotations)
        layout.addWidget(view)
        dialog.view = view  # type: ignore[attr-defined]
        place(dialog, self.window().geometry())
        dialog.show()
        self.viewer = dialog
        return dialog

    def save(self) -> None:
        snap = self.current
        if snap is None:
            return
        folder = recordings_root() / "snapshots"
        folder.mkdir(parents=True, exist_ok=True)
        name, _ = QFileDialog.getSaveFileName(
            self, tr("Save frame"), str(folder / f"{snap.header.id}.png"), "PNG (*.png)"
        )
        if name:
            self.save_to(Path(name))

    def save_to(self, path: Path) -> bool:
        """The frame on show with its marks drawn in, as PNG; says where (or why not)."""
        snap = self.current
        if snap is None:
            return False
        image = render_annotations(snap.image, snap.header.annotations)
        try:
            ok = cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        except cv2.error:
            ok = False
        if ok:
            self.saved.setText(tr("Saved to {path}").format(path=str(path)))
        else:
            logger.warning("could not save the snapshot to %s", path)
            self.saved.setText(tr("Could not save there. Choose another folder."))
        self.saved.show()
        return ok
