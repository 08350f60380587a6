"""The expert's tool palette: drawing tools, colours, undo/redo, clear, freeze.

Every tool has a one-key shortcut (shown in its tooltip), so an expert can keep the
mouse on the image: P point, D draw, E ellipse, B box, T text, C caliper, A area,
K calibrate; 1-6 colours; Ctrl+Z / Ctrl+Shift+Z undo and redo; Delete clears one's
own marks, Shift+Delete everyone's; F freezes the view, Enter sends the frozen frame.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QWidget

from ultrasound_consult.ui.i18n import tr

COLORS = ("#ffd400", "#40e0ff", "#5cff5c", "#ff5cf0", "#ff5050", "#ffffff")


def tools() -> list[tuple[str, str, str, str]]:
    """(name, label, shortcut, what it does)."""
    return [
        ("point", tr("Point"), "P", tr("Click to mark a spot, drag to draw an arrow")),
        ("stroke", tr("Draw"), "D", tr("Draw freehand")),
        ("ellipse", tr("Ellipse"), "E", tr("Drag to circle a structure")),
        ("rect", tr("Box"), "B", tr("Drag to draw a box")),
        ("text", tr("Text"), "T", tr("Click where the text goes, then type it")),
        ("caliper", tr("Caliper"), "C", tr("Drag to measure a distance")),
        ("area", tr("Area"), "A", tr("Drag a box around a structure to measure its ellipse area")),
        ("calibrate", tr("Calibrate"), "K",
         tr("Drag between two depth-scale marks, then type the distance")),
    ]  # fmt: skip


class ToolPalette(QWidget):
    tool_changed = Signal(str)
    color_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="toolbar")  # type: ignore[call-arg]
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(4)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QPushButton] = {}
        for name, label, key, what in tools():
            button = QPushButton(label, objectName="tool")  # type: ignore[call-overload]
            button.setCheckable(True)
            button.setToolTip(f"{what} ({key})")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.group.addButton(button)
            self.buttons[name] = button
            button.clicked.connect(lambda _=False, n=name: self.select(n))
            QShortcut(QKeySequence(key), parent or self, activated=lambda n=name: self.select(n))  # type: ignore[call-overload]
            row.addWidget(button)
        row.addSpacing(10)
        self.swatches: dict[str, QPushButton] = {}
        for i, color in enumerate(COLORS, start=1):
            swatch = QPushButton(objectName="swatch")  # type: ignore[call-overload]
            swatch.setCheckable(True)
            swatch.setFixedSize(24, 24)
            swatch.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            swatch.setStyleSheet(
                f"QPushButton {{ background: {color}; border: 2px solid #222; "
                "border-radius: 12px; }"
                "QPushButton:checked { border: 3px solid white; }"
            )
            swatch.setToolTip(tr("Colour {n}").format(n=i) + f" ({i})")
            swatch.clicked.connect(lambda _=False, c=color: self.set_color(c))
            QShortcut(  # type: ignore[call-overload]
                QKeySequence(str(i)), parent or self, activated=lambda c=color: self.set_color(c)
            )
            self.swatches[color] = swatch
            row.addWidget(swatch)
        row.addStretch(1)
        self.undo_button = self._action(row, tr("Undo"), tr("Undo your last change (Ctrl+Z)"))
        self.redo_button = self._action(row, tr("Redo"), tr("Redo (Ctrl+Shift+Z)"))
        self.clear_button = self._action(row, tr("Clear mine"), tr("Remove your marks (Delete)"))
        self.clear_all_button = self._action(
            row, tr("Clear all"), tr("Remove everyone's marks (Shift+Delete)")
        )
        self.freeze_button = self._action(
            row, tr("Freeze"), tr("Hold this frame to draw on it, then send it (F)")
        )
        self.freeze_button.setCheckable(True)
        self.send_button = self._action(
            row,
            tr("Send frame"),
            tr("Send the frozen frame with its drawing to the station (Enter)"),
        )
        self.send_button.setEnabled(False)
        self.tool = "point"
        self.color = COLORS[0]
        self.select("point")
        self.set_color(COLORS[0])

    def _action(self, row: QHBoxLayout, label: str, tip: str) -> QPushButton:
        button = QPushButton(label)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(button)
        return button

    def select(self, tool: str) -> None:
        self.tool = tool
        self.buttons[tool].setChecked(True)
        self.tool_changed.emit(tool)

    def set_color(self, color: str) -> None:
        self.color = color
        for c, swatch in self.swatches.items():
            swatch.setChecked(c == color)
        self.color_changed.emit(color)
