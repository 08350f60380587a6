# ruff: noqa: E501  (a style sheet reads better one rule per line)
"""The look: a dark theme for a dim scanning room, the same in every window.

Fusion with a dark palette (so dialogs, menus and scroll bars are dark too, on any
platform) and one style sheet. Sizes are in points or Qt's device-independent
pixels, so high-DPI screens scale cleanly (Qt 6 scales by the screen's factor).
Targets are large where a gloved or gel-covered hand presses them.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#0b0c0e"
PANEL = "#15171a"
TEXT = "#eceef0"
MUTED = "#9aa0a6"
ACCENT = "#4f8fd0"
GOOD, FAIR, POOR = "#3ccf6e", "#f2c14e", "#f0554a"
QUALITY_COLOURS = {"good": GOOD, "fair": FAIR, "poor": POOR}

STYLE = """
QMainWindow, QWidget#central, QDialog { background: #0b0c0e; }
QStatusBar { background: #15171a; color: #d8dadd; }
QStatusBar QLabel { color: #d8dadd; padding: 0 8px; }
QLabel#banner { background: #7a1f1f; color: white; padding: 8px 12px; font-size: 11pt; }
QLabel#notice { background: #5a4a12; color: white; padding: 8px 12px; font-size: 11pt; }
QStatusBar QLabel#rec { background: #c62828; color: white; font-weight: bold; border-radius: 4px; }
QPushButton#record:checked { background: #7a1f1f; border-color: #a33; }
QPushButton { background: #2a2e33; color: #eceef0; border: 1px solid #3b4047;
              border-radius: 4px; padding: 6px 14px; }
QPushButton:hover { background: #353a40; }
QPushButton:focus { border-color: #4f8fd0; }
QPushButton#mic, QPushButton#camera, QPushButton#record, QPushButton#status, QPushButton#plain, QPushButton#chatbutton { padding: 2px 10px; }
QPushButton#chatbutton[alert="true"] { background: #8a6d1f; border-color: #d0a93f; color: white; font-weight: bold; }
QPushButton#chatbutton:checked { background: #2d5b8a; border-color: #4f8fd0; }
QPushButton#camera:!checked { color: #7d838a; }
QPushButton#mic:checked { background: #7a1f1f; border-color: #a33; }
QPushButton#mic:disabled { color: #7d838a; }
QStatusBar QPushButton, QStatusBar QComboBox { min-height: 28px; }
QPushButton#attention { background: #2d6a3e; border-color: #5fd07f; color: white; font-weight: bold; padding: 2px 12px; }
QPushButton#endcall { background: #8a2323; border-color: #b03a3a; font-weight: bold; padding: 2px 16px; }
QWidget#toolbar { background: #15171a; }
QLabel#hint { color: #9aa0a6; }
QPushButton#tool { padding: 5px 10px; }
QPushButton#tool:checked, QPushButton#choice:checked { background: #2d5b8a; border-color: #4f8fd0; }
QPushButton#choice { padding: 4px 6px; font-size: 9pt; }
QPushButton#primary { background: #2d6a3e; border-color: #3c8f53; font-weight: bold; padding: 8px; }
QPushButton:disabled { color: #6b7077; }
QWidget#cuepanel, QWidget#snapshots, QWidget#sidepanel { background: #15171a; }
QWidget#cuepanel QLabel, QWidget#snapshots QLabel, QWidget#sidepanel QLabel { color: #d8dadd; }
QWidget#answers { background: #1d1f23; }
QLabel#cuehint { color: #ffffff; font-size: 16pt; font-weight: bold; }
QPushButton#done { background: #2d6a3e; border-color: #3c8f53; font-size: 16pt; padding: 12px 28px;}
QPushButton#cant { background: #6a2d2d; border-color: #8f3c3c; font-size: 16pt; padding: 12px 28px;}
QSpinBox, QDoubleSpinBox, QLineEdit, QComboBox, QKeySequenceEdit {
    background: #1f2226; color: #eceef0; border: 1px solid #3b4047; border-radius: 4px; padding: 5px; }
QLineEdit:focus, QComboBox:focus { border-color: #4f8fd0; }
QComboBox QAbstractItemView { background: #1f2226; color: #eceef0; selection-background-color: #2d5b8a; }
QListWidget { background: #15171a; color: #eceef0; border: 1px solid #2a2e33; }
QListWidget::item { padding: 6px; }
QListWidget::item:selected { background: #2d5b8a; }
QLabel { color: #eceef0; }
QLabel#title { font-size: 20pt; font-weight: bold; }
QLabel#subtitle { color: #9aa0a6; font-size: 11pt; }
QLabel#section { color: #9aa0a6; font-size: 9pt; font-weight: bold; text-transform: uppercase; }
QLabel#error { color: #ffb4ab; background: #3a1614; border: 1px solid #7a1f1f; border-radius: 4px; padding: 8px; }
QLabel#ok { color: #a8e6b8; }
QLabel#warn { color: #f2c14e; }
QPushButton#role { text-align: left; padding: 12px 14px; font-size: 12pt; min-height: 44px; }
QPushButton#role:checked { background: #1e3a57; border: 2px solid #4f8fd0; }
QPushButton#join { background: #2d6a3e; border-color: #3c8f53; font-size: 14pt; font-weight: bold;
                   padding: 10px 28px; min-height: 40px; }
QPushButton#join:disabled { background: #25302a; color: #6b7077; }
QProgressBar { background: #1f2226; border: 1px solid #3b4047; border-radius: 4px; height: 14px; }
QProgressBar::chunk { background: #3ccf6e; border-radius: 3px; }
QTabWidget::pane { border: 1px solid #2a2e33; }
QTabBar::tab { background: #1f2226; color: #d8dadd; padding: 6px 14px; }
QTabBar::tab:selected { background: #2d5b8a; }
QCheckBox, QRadioButton { color: #eceef0; }
QToolTip { background: #1f2226; color: #eceef0; border: 1px solid #3b4047; }
"""


def dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#0b0c0e",
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: "#1f2226",
        QPalette.ColorRole.AlternateBase: "#15171a",
        QPalette.ColorRole.ToolTipBase: "#1f2226",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#2a2e33",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#2d5b8a",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: "#7d838a",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7077"))
    return p


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLE)


def restyle(widget, name: str) -> None:
    """Give ``widget`` another object name and re-apply the style sheet to it."""
    widget.setObjectName(name)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
