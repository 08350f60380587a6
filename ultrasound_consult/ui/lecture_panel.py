"""The trainer's lecture panel: who watches and how well, raised hands, the questions.

Shown as a tab beside the guidance cues (the window's right column keeps its width,
so the image keeps its share of a 1366x768 screen). Each watcher says its frame rate,
bit rate and loss, with a word and a colour for a poor link; one with a raised hand
(or speaking) has an Unmute (Mute) button; the questions are listed oldest first,
each with "Answered" and "Unmute". Clicks become :attr:`LecturePanel.control_requested`
(the window sends them to the station).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.protocol.lecture import (
    LectureAction,
    QueuedQuestion,
    Roster,
    Watcher,
    WatchReport,
)
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.theme import FAIR, GOOD, POOR

#: A link this bad is "poor" (red): the trainee misses what is shown.
POOR_LOSS, POOR_FPS = 0.05, 10.0
FAIR_LOSS, FAIR_FPS = 0.02, 20.0


def link_quality(report: WatchReport | None) -> str:
    """good / fair / poor / waiting (no report yet) / reconnecting."""
    if report is None:
        return "waiting"
    if not report.watching:
        return "reconnecting"
    if report.loss >= POOR_LOSS or report.fps < POOR_FPS:
        return "poor"
    if report.loss >= FAIR_LOSS or report.fps < FAIR_FPS:
        return "fair"
    return "good"


def quality_word(quality: str) -> str:
    return {
        "good": tr("Good"),
        "fair": tr("Fair"),
        "poor": tr("Poor"),
        "waiting": tr("no report yet"),
        "reconnecting": tr("reconnecting"),
    }.get(quality, quality)


QUALITY_COLOR = {"good": GOOD, "fair": FAIR, "poor": POOR, "reconnecting": POOR}


class WatcherRow(QFrame):
    """One trainee: name, marks, figures, and Unmute / Mute where it applies."""

    def __init__(self, panel: LecturePanel, watcher: Watcher) -> None:
        super().__init__(objectName="lecturerow")  # type: ignore[call-arg]
        self.panel = panel
        self.watcher = watcher
        grid = QVBoxLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setSpacing(2)
        top = QHBoxLayout()
        self.name = QLabel()
        self.marks = QLabel()
        self.button = QPushButton(objectName="plain")  # type: ignore[call-overload]
        self.button.clicked.connect(self._clicked)
        top.addWidget(self.name, 1)
        top.addWidget(self.marks)
        top.addWidget(self.button)
        grid.addLayout(top)
        self.figures = QLabel(objectName="hint")  # type: ignore[call-overload]
        grid.addWidget(self.figures)
        self.show_watcher(watcher)

    def show_watcher(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.name.setText(f"<b>{_escape(watcher.name or '?')}</b>")
        marks = []
        if watcher.hand:
            marks.append(tr("Hand up"))
        if watcher.speaking:
            marks.append(tr("Speaking"))
        self.marks.setText(" · ".join(marks))
        self.marks.setStyleSheet("color: #f2c14e; font-weight: bold;" if marks else "")
        quality = link_quality(watcher.report)
        color = QUALITY_COLOR.get(quality, "#9aa0a6")
        word = f"<span style='color:{color}'>● {_escape(quality_word(quality))}</span>"
        report = watcher.report
        if report is None or not report.watching:
            self.figures.setText(word)
        else:
            self.figures.setText(
                word
                + " · "
                + tr("{fps:.0f} fps · {kbps:.0f} kbps · loss {loss:.1f}%").format(
                    fps=report.fps, kbps=report.kbps, loss=report.loss * 100
                )
            )
        self.button.setVisible(watcher.hand or watcher.speaking)
        self.button.setText(tr("Mute") if watcher.speaking else tr("Unmute"))

    def _clicked(self) -> None:
        action = LectureAction.MUTE if self.watcher.speaking else LectureAction.UNMUTE
        self.panel.control_requested.emit(action, self.watcher.peer, "")


class QuestionRow(QFrame):
    """One question: who asked, when, the text, and Answered / Unmute."""

    def __init__(self, panel: LecturePanel, question: QueuedQuestion) -> None:
        super().__init__(objectName="lecturerow")  # type: ignore[call-arg]
        self.question = question
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 4, 6, 4)
        col.setSpacing(2)
        when = dt.datetime.fromtimestamp(question.at_ms / 1000).strftime("%H:%M")
        self.who = QLabel(
            f"<b>{_escape(question.name or '?')}</b> <span style='color:#9aa0a6'>{when}</span>"
        )
        self.text = QLabel(_escape(question.text))
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.who, 1)
        self.answered_button = QPushButton(tr("Answered"), objectName="plain")  # type: ignore[call-overload]
        self.answered_button.setToolTip(tr("Take the question off the queue"))
        self.unmute_button = QPushButton(tr("Unmute"), objectName="plain")  # type: ignore[call-overload]
        self.unmute_button.setToolTip(tr("Let this trainee speak to everyone"))
        self.answered_button.clicked.connect(
            lambda: panel.control_requested.emit(LectureAction.ANSWERED, "", question.id)
        )
        self.unmute_button.clicked.connect(
            lambda: panel.control_requested.emit(LectureAction.UNMUTE, question.peer, "")
        )
        row.addWidget(self.unmute_button)
        row.addWidget(self.answered_button)
        col.addLayout(row)
        col.addWidget(self.text)


class LecturePanel(QWidget):
    """The roster and the questions, as the station last sent them."""

    #: (action, trainee peer id or "", question id or "")
    control_requested = Signal(object, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="sidepanel")  # type: ignore[call-arg]
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 8, 8, 8)
        self.status = QLabel()
        self.status.setWordWrap(True)
        col.addWidget(self.status)
        self.questions_title = QLabel(objectName="section")  # type: ignore[call-overload]
        col.addWidget(self.questions_title)
        self.questions_box = QWidget()
        self.questions_col = QVBoxLayout(self.questions_box)
        self.questions_col.setContentsMargins(0, 0, 0, 0)
        self.questions_col.addStretch(1)
        col.addWidget(_scroll(self.questions_box), 3)
        self.watchers_title = QLabel(objectName="section")  # type: ignore[call-overload]
        col.addWidget(self.watchers_title)
        self.watchers_box = QWidget()
        self.watchers_col = QVBoxLayout(self.watchers_box)
        self.watchers_col.setContentsMargins(0, 0, 0, 0)
        self.watchers_col.addStretch(1)
        col.addWidget(_scroll(self.watchers_box), 4)
        self.watcher_rows: dict[str, WatcherRow] = {}
        self.question_rows: dict[str, QuestionRow] = {}
        self.roster = Roster()
        self.on = False
        self.show_roster(Roster())

    def set_on(self, on: bool) -> None:
        self.on = on
        if not on:
            self.show_roster(Roster())
        self._show_status()

    def show_roster(self, roster: Roster) -> None:
        self.roster = roster
        for watcher in roster.watchers:
            row = self.watcher_rows.get(watcher.peer)
            if row is None:
                row = self.watcher_rows[watcher.peer] = WatcherRow(self, watcher)
                self.watchers_col.insertWidget(self.watchers_col.count() - 1, row)
            else:
                row.show_watcher(watcher)
        _drop(self.watcher_rows, {w.peer for w in roster.watchers})
        for question in roster.questions:  # the station sends them oldest first
            if question.id not in self.question_rows:
                qrow = self.question_rows[question.id] = QuestionRow(self, question)
                self.questions_col.insertWidget(self.questions_col.count() - 1, qrow)
        _drop(self.question_rows, {q.id for q in roster.questions})
        hands = sum(w.hand for w in roster.watchers)
        self.watchers_title.setText(
            tr("Watching: {n}").format(n=len(roster.watchers))
            + ("  ·  " + tr("hands up: {n}").format(n=hands) if hands else "")
        )
        self.questions_title.setText(tr("Questions: {n}").format(n=len(roster.questions)))
        self._show_status()

    def _show_status(self) -> None:
        if not self.on:
            self.status.setText(
                tr("No lecture. Start one to let trainees watch through the relay.")
            )
            return
        poor = [
            w for w in self.roster.watchers if link_quality(w.report) in ("poor", "reconnecting")
        ]
        text = tr("Lecture on: {n} watching").format(n=len(self.roster.watchers))
        if poor:
            text += "<br><span style='color:{c}'>{t}</span>".format(
                c=POOR, t=_escape(tr("{n} with a poor link").format(n=len(poor)))
            )
        self.status.setText(text)

    def summary(self) -> str:
        """The tab's title: the questions waiting, at a glance."""
        waiting = len(self.roster.questions)
        return tr("Lecture ({n})").format(n=waiting) if waiting else tr("Lecture")


def _drop(rows: dict, keep: set[str]) -> None:
    for key in [k for k in rows if k not in keep]:
        rows.pop(key).deleteLater()


def _scroll(inner: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(inner)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
