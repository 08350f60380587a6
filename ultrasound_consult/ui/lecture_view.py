"""The lecture in the call windows (issue 17): what each role sees and can do.

* A **trainer** gets "Start lecture" / "Stop lecture" in the row under the tools and a
  "Lecture" tab beside the guidance cues (:mod:`lecture_panel`): the roster and the
  questions, with Answered / Unmute / Mute.
* A **trainee** (observer) gets a column with how it watches, Raise hand and Ask a
  question (:mod:`lecture_trainee`), and a green banner when the trainer unmutes it.
* The **station** shows "Lecture: N watching" in its status bar.

Everything comes from the bridge (``lecture_changed``, ``roster_changed``) and goes
to the engine through ``bridge.call``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton, QTabWidget

from ultrasound_consult.protocol.lecture import LectureAction, Roster
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.observer import LectureStatus
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.lecture_panel import LecturePanel, link_quality, quality_word
from ultrasound_consult.ui.lecture_trainee import TraineePanel

# The call window (not imported: the windows import this module).
Window = Any


class TrainerLecture:
    """The trainer's button and Lecture tab in an expert window."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.on = False
        self.button = QPushButton(tr("Start lecture"), objectName="plain")  # type: ignore[call-overload]
        self.button.setToolTip(
            tr("Let many trainees watch through the lecture relay; they can raise hands and ask")
        )
        self.button.clicked.connect(self.toggle)
        window.info_row.layout().insertWidget(3, self.button)  # before the zoom figure
        self.panel = LecturePanel()
        self.panel.control_requested.connect(self.control)
        # The guidance column becomes two tabs of the same width: the image keeps its room.
        column = window.cue_column
        index = window.body.indexOf(column)
        window.body.removeWidget(column)
        self.tabs = QTabWidget(objectName="lecturetabs")  # type: ignore[call-arg]
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(column, tr("Guidance"))
        self.tabs.addTab(self.panel, self.panel.summary())
        self.tabs.setFixedWidth(column.width())
        window.body.insertWidget(index, self.tabs)
        window.bridge.lecture_changed.connect(self.show_status)
        window.bridge.roster_changed.connect(self.show_roster)
        window.bridge.error_raised.connect(self._error)

    def toggle(self) -> None:
        self.control(LectureAction.STOP if self.on else LectureAction.START, "", "")
        self.button.setEnabled(False)  # until the station says the lecture changed
        self.window.show_notice(
            tr("Stopping the lecture…") if self.on else tr("Starting the lecture…")
        )

    def control(self, action: LectureAction, peer: str, question: str) -> None:
        call = self.window.call
        self.window.bridge.call(
            call.lecture.control, action, peer=peer or None, question=question or None
        )

    def show_status(self, status: LectureStatus) -> None:
        was_on, self.on = self.on, status.on
        self.button.setEnabled(True)
        self.button.setText(tr("Stop lecture") if status.on else tr("Start lecture"))
        self.panel.set_on(status.on)
        if status.on and not was_on:
            self.tabs.setCurrentWidget(self.panel)
        self._title()

    def show_roster(self, roster: Roster) -> None:
        self.panel.show_roster(roster)
        self._title()

    def _error(self, code: str, message: str) -> None:
        # A refused start or stop (or no station): the button is the user's again.
        if code in ("lecture_refused", "lecture_unavailable", "action_refused"):
            self.button.setEnabled(True)

    def _title(self) -> None:
        self.tabs.setTabText(self.tabs.indexOf(self.panel), self.panel.summary())


class TraineeLecture:
    """The trainee's column and the "speak now" banner in a watch-only window."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.panel = TraineePanel()
        self.panel.hide()
        self.panel.hand_requested.connect(
            lambda up: window.bridge.call(window.call.lecture.raise_hand, up)
        )
        self.panel.ask_requested.connect(
            lambda text: window.bridge.call(window.call.lecture.ask, text)
        )
        window.body.addWidget(self.panel)
        self.speak_banner = QLabel(objectName="speak")  # type: ignore[call-overload]
        self.speak_banner.setWordWrap(True)
        self.speak_banner.setStyleSheet(
            "background: #2d6a3e; color: white; padding: 10px 14px; font-size: 15pt;"
            " font-weight: bold;"
        )
        self.speak_banner.hide()
        window.layout_.insertWidget(0, self.speak_banner)
        window.bridge.lecture_changed.connect(self.show_status)
        # After the window's own handler: with no peer link, the relay's figures
        # replace its "No connection yet".
        window.bridge.stats_changed.connect(lambda _stats: self._show_relay())
        self.status: LectureStatus | None = None

    def _show_relay(self) -> None:
        status = self.status
        if status is None or not status.on or self.window.latest_stats:
            return
        quality = link_quality(status.report) if status.relayed else "reconnecting"
        parts = [quality_word(quality), tr("relay")]
        if status.report is not None and status.relayed:
            parts.append(tr("{fps:.0f} fps").format(fps=status.report.fps))
            if status.report.loss:
                parts.append(tr("loss {pct:.1f}%").format(pct=status.report.loss * 100))
        self.window.status_button.setText("● " + " · ".join(parts))

    def show_status(self, status: LectureStatus) -> None:
        self.status = status
        self._show_relay()
        self.panel.setVisible(status.on)
        if status.on:
            self.panel.show_status(status)
            self.window.hint.setText(
                tr("Lecture — watching through the relay")
                if status.relayed
                else tr("Reconnecting to the lecture…")
            )
        else:
            self.window.hint.setText(tr("Watching (observers cannot draw)"))
        self.speak_banner.setVisible(status.on and status.speaking)
        self.speak_banner.setText(tr("The trainer has unmuted you — speak now"))


class StationLecture:
    """ "Lecture: N watching" in the station's status bar."""

    def __init__(self, window: Window) -> None:
        self.label = QLabel(objectName="lecture")  # type: ignore[call-overload]
        self.label.hide()
        self.on = False
        self.watching = 0
        self.label.setStyleSheet("color: #a8e6b8; font-weight: bold;")
        # First of the permanent widgets (index 0 is the call's state, stretched).
        window.statusBar().insertPermanentWidget(1, self.label)
        window.bridge.lecture_changed.connect(self.show_status)
        window.bridge.roster_changed.connect(self.show_roster)

    def show_status(self, status: LectureStatus) -> None:
        self.on = status.on
        if not status.on:
            self.watching = 0
        self._show()

    def show_roster(self, roster: Roster) -> None:
        self.watching = len(roster.watchers)
        self._show()

    def _show(self) -> None:
        self.label.setVisible(self.on)
        self.label.setText(tr("Lecture: {n} watching").format(n=self.watching))


def attach(window: Window) -> TrainerLecture | TraineeLecture | None:
    """The lecture's controls for this window's role (experts get none)."""
    role = window.call.role
    if role is Role.TRAINER:
        return TrainerLecture(window)
    if role is Role.OBSERVER:
        return TraineeLecture(window)
    return None
