"""A trainee's side of a lecture: how it watches, a raised hand, questions in text, and
a banner that cannot be missed when the trainer unmutes it.

The window stays watch-only (no drawing tools); this column appears beside the image
while the call is a lecture.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ultrasound_consult.protocol.lecture import MAX_QUESTION_CHARS
from ultrasound_consult.session.observer import AskedQuestion, LectureStatus
from ultrasound_consult.ui.chat_panel import ChatEntry
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.theme import FAIR, GOOD, POOR

#: Questions listed (the newest); older ones have been seen already.
SHOWN_QUESTIONS = 6


def refusal_text(reason: str) -> str:
    """The station's reason (English from the engine) in the user's language, where known."""
    return {
        "too many questions wait; ask again later": tr(
            "too many questions are waiting; ask again later"
        ),
        "questions are for a lecture's trainees": tr("the lecture has ended"),
    }.get(reason, reason or "?")


def asked_state(asked: AskedQuestion) -> tuple[str, str]:
    """What became of a question, and its colour."""
    if asked.delivered is None:
        return tr("sent…"), "#9aa0a6"
    if asked.delivered:
        return tr("received by the trainer"), GOOD
    return tr("refused: {reason}").format(reason=refusal_text(asked.refused)), POOR


def status_text(status: LectureStatus) -> tuple[str, str]:
    if status.relayed:
        return tr("Lecture — watching through the relay"), GOOD
    return tr("Reconnecting to the lecture…"), FAIR


class TraineePanel(QWidget):
    #: The trainee raised (True) or lowered its hand.
    hand_requested = Signal(bool)
    #: A question to send.
    ask_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="sidepanel")  # type: ignore[call-arg]
        self.setFixedWidth(300)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 10, 10, 10)
        col.setSpacing(8)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.speaker = QLabel(objectName="hint")  # type: ignore[call-overload]
        self.speaker.setWordWrap(True)
        self.hand_button = QPushButton(tr("Raise hand"), objectName="tool")  # type: ignore[call-overload]
        self.hand_button.setCheckable(True)
        self.hand_button.setToolTip(tr("The trainer sees your raised hand and may unmute you"))
        self.hand_button.toggled.connect(self._hand_toggled)
        ask_title = QLabel(tr("Ask a question"), objectName="section")  # type: ignore[call-overload]
        row = QHBoxLayout()
        self.entry = ChatEntry()
        self.entry.setMaxLength(MAX_QUESTION_CHARS)
        self.entry.setPlaceholderText(tr("Your question to the trainer"))
        self.entry.returnPressed.connect(self._send)
        self.send_button = QPushButton(tr("Send"))
        self.send_button.clicked.connect(self._send)
        row.addWidget(self.entry, 1)
        row.addWidget(self.send_button)
        self.asked = QLabel()
        self.asked.setWordWrap(True)
        self.asked.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.asked.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.status)
        col.addWidget(self.speaker)
        col.addWidget(self.hand_button)
        col.addSpacing(8)
        col.addWidget(ask_title)
        col.addLayout(row)
        col.addWidget(self.asked, 1)
        self.lecture = LectureStatus()

    def show_status(self, status: LectureStatus) -> None:
        self.lecture = status
        text, color = status_text(status)
        self.status.setText(f"<b style='color:{color}'>● {html.escape(text)}</b>")
        if status.speaking:
            self.speaker.setText(tr("You are unmuted: everyone hears you."))
        elif status.speaker:
            self.speaker.setText(tr("{name} is speaking.").format(name=status.speaker))
        else:
            self.speaker.setText(tr("Only the trainer speaks; raise your hand to be heard."))
        if self.hand_button.isChecked() != status.hand:
            self.hand_button.blockSignals(True)
            self.hand_button.setChecked(status.hand)
            self.hand_button.blockSignals(False)
        self._show_hand()
        lines = []
        for asked in status.asked[-SHOWN_QUESTIONS:]:
            state, color = asked_state(asked)
            lines.append(
                f"<p style='margin:0 0 6px 0'>{html.escape(asked.text)}<br>"
                f"<span style='color:{color}'>{html.escape(state)}</span></p>"
            )
        self.asked.setText("".join(lines))

    def _hand_toggled(self, up: bool) -> None:
        self._show_hand()
        self.hand_requested.emit(up)

    def _show_hand(self) -> None:
        up = self.hand_button.isChecked()
        self.hand_button.setText(tr("Lower hand") if up else tr("Raise hand"))

    def _send(self) -> None:
        text = self.entry.text().strip()
        if text:
            self.ask_requested.emit(text)
            self.entry.clear()
