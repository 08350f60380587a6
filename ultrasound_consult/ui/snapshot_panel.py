"""Frozen, annotated frames the expert sent: shown beside the live image.

The live stream goes on in the main view; the panel holds the latest snapshot (and
earlier ones, one click back), drawn with its annotations, the author and the time.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ultrasound_consult.session.collab import Snapshot
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.video_view import VideoView


class SnapshotPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="snapshots")
        # Beside the live image, never instead of it.
        self.setMinimumWidth(260)
        self.setMaximumWidth(400)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 8, 8, 8)
        self.title = QLabel(objectName="snaptitle")
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
            b.setFocusPolicy(Qt.NoFocus)
            row.addWidget(b)
        col.addLayout(row)
        self.older.clicked.connect(lambda: self._show(self.index - 1))
        self.newer.clicked.connect(lambda: self._show(self.index + 1))
        self.close_button.clicked.connect(self.hide)
        self.snapshots: list[Snapshot] = []
        self.index = -1
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
