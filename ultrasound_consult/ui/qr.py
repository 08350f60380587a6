"""A QR code of a join link, for a phone to scan instead of typing 37 characters.

OpenCV (already a dependency) encodes it; no new package. The dialog shows the code
large, with the link under it, and can save it as a PNG to print or send.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from ultrasound_consult.ui.i18n import tr

#: Pixels per QR module, and the quiet zone around the code in modules (the standard's 4).
MODULE_PX = 8
QUIET_MODULES = 4


def qr_image(text: str) -> np.ndarray:
    """A black-on-white QR code of ``text`` (grey uint8), scaled for a screen or print.
    Raises ``ValueError`` if it does not fit a QR code."""
    try:
        modules = cv2.QRCodeEncoder.create().encode(text)
    except cv2.error as exc:
        raise ValueError(f"cannot make a QR code of this text: {exc}") from None
    big = cv2.resize(modules, None, fx=MODULE_PX, fy=MODULE_PX, interpolation=cv2.INTER_NEAREST)
    pad = QUIET_MODULES * MODULE_PX
    return cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


class QrDialog(QDialog):
    """The join link as a QR code: a phone's camera opens it."""

    def __init__(self, link: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Join link as a QR code"))
        self.link = link
        self.image = qr_image(link)
        h, w = self.image.shape
        qimage = QImage(self.image.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        layout = QVBoxLayout(self)
        picture = QLabel()
        picture.setPixmap(QPixmap.fromImage(qimage))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(picture)
        hint = QLabel(tr("Scan with a phone's camera to join with this invite."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        text = QLabel(link)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(text)
        save = QPushButton(tr("Save…"))
        save.clicked.connect(self._save)
        layout.addWidget(save)

    def _save(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, tr("Save"), "invite-qr.png", "PNG (*.png)")
        if name:
            self.save_to(Path(name))

    def save_to(self, path: Path) -> bool:
        return bool(cv2.imwrite(str(path), self.image))
