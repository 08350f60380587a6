"""The call's text messages, beside the live image: speech fails on weak links and in
noisy rooms, text does not.

Each line says who wrote it and when; mine say "sending…" until the station confirms
and "not delivered" (with why) if it refused. Enter sends.
"""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.protocol.chat import MAX_CHAT_CHARS
from ultrasound_consult.session.observer import ChatLine
from ultrasound_consult.ui.i18n import tr


def line_html(line: ChatLine) -> str:
    msg = line.message
    when = dt.datetime.fromtimestamp(msg.created_ms / 1000).strftime("%H:%M")
    state = ""
    if line.refused:
        state = " <span style='color:#ff6b6b'>✗ {}</span>".format(
            html.escape(tr("not delivered: {reason}").format(reason=line.refused))
        )
    elif line.pending:
        state = " <span style='color:#9aa0a6'>{}</span>".format(html.escape(tr("sending…")))
    return (
        f"<p style='margin:0 0 6px 0'><b>{html.escape(msg.by)}</b> "
        f"<span style='color:#9aa0a6'>{when}</span>{state}<br>"
        f"{html.escape(msg.text).replace(chr(10), '<br>')}</p>"
    )


TYPED_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_Backspace)


class ChatEntry(QLineEdit):
    """The line a message is typed in. While it has the focus, the keys it types are
    its own: the window's shortcuts (Space answers a cue at the station, Enter sends a
    frozen frame at the expert) must not fire from a sentence being written."""

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (event.key() in TYPED_KEYS or (event.text() and event.text().isprintable()))
        ):
            event.accept()
            return True
        return super().event(event)


class ChatPanel(QWidget):
    #: The user wrote a message to send.
    send_requested = Signal(str)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="chat")  # type: ignore[call-arg]
        self.setMinimumWidth(260)
        self.setMaximumWidth(380)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 8, 8, 8)
        head = QHBoxLayout()
        title = QLabel(tr("Messages"), objectName="chattitle")  # type: ignore[call-overload]
        self.close_button = QPushButton(tr("Hide"))
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self._close)
        head.addWidget(title, 1)
        head.addWidget(self.close_button)
        col.addLayout(head)
        self.log = QTextBrowser()
        self.log.setOpenLinks(False)
        col.addWidget(self.log, 1)
        row = QHBoxLayout()
        self.entry = ChatEntry()
        self.entry.setMaxLength(MAX_CHAT_CHARS)
        self.entry.setPlaceholderText(tr("Write to everyone in the call"))
        self.entry.returnPressed.connect(self._send)
        self.send_button = QPushButton(tr("Send"))
        self.send_button.clicked.connect(self._send)
        row.addWidget(self.entry, 1)
        row.addWidget(self.send_button)
        col.addLayout(row)
        self.lines: tuple[ChatLine, ...] = ()

    def set_lines(self, lines: tuple[ChatLine, ...]) -> None:
        self.lines = lines
        self.log.setHtml("".join(line_html(line) for line in lines))
        bar = self.log.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _send(self) -> None:
        text = self.entry.text().strip()
        if text:
            self.send_requested.emit(text)
            self.entry.clear()

    def _close(self) -> None:
        self.hide()
        self.closed.emit()
