"""Dialogs of the consult service: enroll this device, an incoming ring, a request."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTime, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.protocol.consult import DutyHours, Ring, Urgency, check_reference
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.presence import ConsultRefused, DeviceCredential
from ultrasound_consult.ui.consult_bridge import Redemption
from ultrasound_consult.ui.i18n import tr


def kind_text(kind: str) -> str:
    return {
        "station": tr("Clinic station"),
        "expert": tr("Expert"),
        "trainer": tr("Trainer"),
        "trainee": tr("Trainee"),
    }.get(kind, kind)


def urgency_text(urgency: str) -> str:
    return {"routine": tr("Routine"), "soon": tr("Soon"), "urgent": tr("Urgent")}.get(
        urgency, urgency
    )


class EnrollDialog(QDialog):
    """The one-time code IT gave, and the server: redeemed once for this device."""

    enrolled = Signal(object)  # DeviceCredential

    def __init__(self, engine: EngineThread, server: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Enroll this device"))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel(
            tr(
                "Enter the one-time code from your IT department. This computer then "
                "stays signed in to the consult service: experts can be called, and "
                "you can be called."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.server = QLineEdit(server)
        self.code = QLineEdit()
        self.code.setPlaceholderText("K7Q2-9MXD-4TRA")
        form.addRow(tr("Server"), self.server)
        form.addRow(tr("Enrollment code"), self.code)
        layout.addLayout(form)
        self.message = QLabel("", objectName="error")  # type: ignore[call-overload]
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.enroll_button = QPushButton(tr("Enroll"))
        self.enroll_button.setDefault(True)
        buttons.addButton(self.enroll_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        self.enroll_button.clicked.connect(self._enroll)
        layout.addWidget(buttons)
        self._redemption = Redemption(engine)
        self._redemption.done.connect(self._done)
        self.credential: DeviceCredential | None = None

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _enroll(self) -> None:
        if not self.code.text().strip() or not self.server.text().strip():
            self._say(tr("Enter the server and the code."))
            return
        self.enroll_button.setEnabled(False)
        self._say(tr("Enrolling…"))
        self._redemption.redeem(self.server.text().strip(), self.code.text().strip())

    def _done(self, result: object) -> None:
        self.enroll_button.setEnabled(True)
        if isinstance(result, ConsultRefused):
            self._say(tr("Not enrolled: {reason}").format(reason=result.message))
            return
        assert isinstance(result, DeviceCredential)
        self.credential = result
        result.save()
        self.enrolled.emit(result)
        self.accept()


class RingingDialog(QDialog):
    """An incoming call: who, about what; Accept or Decline; it rings until the timeout.

    The window is raised and activated, and the system bell sounds every two seconds
    (Qt's beep: no audio device of the call is taken)."""

    answered = Signal(str, bool)  # call id, accepted

    def __init__(self, ring: Ring, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ring = ring
        self.setWindowTitle(tr("Incoming call"))
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        who = QLabel(  # type: ignore[call-overload]
            tr("{caller} ({kind}) is calling").format(
                caller=ring.caller.name, kind=kind_text(ring.caller.kind.value)
            ),
            objectName="title",
        )
        who.setWordWrap(True)
        layout.addWidget(who)
        target = ring.target.partition(":")
        about = (
            tr("For specialty: {name}").format(name=target[2].upper())
            if target[0] == "specialty"
            else tr("A call to you")
        )
        layout.addWidget(QLabel(about))
        if ring.caller.site:
            layout.addWidget(QLabel(tr("Site: {site}").format(site=ring.caller.site)))
        if ring.request is not None:
            request = QLabel(
                tr("About the request: {exam} ({urgency}) — {question}").format(
                    exam=ring.request.exam,
                    urgency=urgency_text(ring.request.urgency.value),
                    question=ring.request.question,
                )
            )
            request.setWordWrap(True)
            layout.addWidget(request)
        self.countdown = QLabel("")
        layout.addWidget(self.countdown)
        layout.addStretch(1)
        buttons = QDialogButtonBox()
        self.accept_button = QPushButton(tr("Accept"))
        self.decline_button = QPushButton(tr("Decline"))
        self.accept_button.setDefault(True)
        buttons.addButton(self.accept_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.decline_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.accept_button.clicked.connect(lambda: self._answer(True))
        self.decline_button.clicked.connect(lambda: self._answer(False))
        layout.addWidget(buttons)
        self.left_s = int(ring.timeout_s)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._tick()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.raise_()
        self.activateWindow()

    def _tick(self) -> None:
        if self.left_s <= 0:
            self.stop(tr("Stopped ringing: no answer in time."))
            return
        if self.left_s % 2 == 0:
            QApplication.beep()
        self.countdown.setText(tr("Ringing: {seconds} s left").format(seconds=self.left_s))
        self.left_s -= 1

    def _answer(self, accepted: bool) -> None:
        self._timer.stop()
        self.answered.emit(self.ring.call_id, accepted)
        self.done(QDialog.DialogCode.Accepted if accepted else QDialog.DialogCode.Rejected)

    def stop(self, text: str) -> None:
        """It stopped ringing (taken by someone else, cancelled, timed out)."""
        self._timer.stop()
        self.countdown.setText(text)
        self.accept_button.setEnabled(False)
        self.decline_button.setText(tr("Close"))
        self.decline_button.clicked.disconnect()
        self.decline_button.clicked.connect(self.reject)


class RequestDialog(QDialog):
    """A consult request: exam, question, urgency, preferred time, the clinic's reference."""

    def __init__(self, specialties: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Leave a request"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.exam = QLineEdit()
        self.exam.setMaxLength(64)
        self.exam.setPlaceholderText(tr("e.g. knee, second trimester"))
        self.specialty = QComboBox()
        self.specialty.addItem(tr("Any"), "")
        for name in specialties:
            self.specialty.addItem(name.upper(), name)
        self.question = QPlainTextEdit()
        self.question.setPlaceholderText(tr("The clinical question"))
        self.question.setFixedHeight(90)
        self.urgency = QComboBox()
        for u in Urgency:
            self.urgency.addItem(urgency_text(u.value), u.value)
        self.preferred = QLineEdit()
        self.preferred.setMaxLength(32)
        self.preferred.setPlaceholderText(tr("e.g. Friday afternoon"))
        self.reference = QLineEdit()
        self.reference.setMaxLength(32)
        self.reference.setPlaceholderText("PZ-2026-0142")
        form.addRow(tr("Exam"), self.exam)
        form.addRow(tr("Specialty"), self.specialty)
        form.addRow(tr("Question"), self.question)
        form.addRow(tr("Urgency"), self.urgency)
        form.addRow(tr("Preferred time"), self.preferred)
        form.addRow(tr("Clinic reference"), self.reference)
        layout.addLayout(form)
        hint = QLabel(
            tr(
                "Never a patient's name: only your clinic's own number for the visit, "
                "which only your clinic can resolve."
            )
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.message = QLabel("", objectName="error")  # type: ignore[call-overload]
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = QPushButton(tr("Send the request"))
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.clicked.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def values(self) -> dict[str, object]:
        return {
            "exam": self.exam.text().strip(),
            "question": self.question.toPlainText().strip(),
            "urgency": Urgency(self.urgency.currentData()),
            "specialty": self.specialty.currentData() or "",
            "preferred_time": self.preferred.text().strip(),
            "reference": self.reference.text().strip(),
        }

    def _check(self) -> None:
        values = self.values()
        if not values["exam"] or not values["question"]:
            self._say(tr("The exam and the question are needed."))
            return
        try:
            check_reference(str(values["reference"]))
        except ProtocolError:
            self._say(
                tr(
                    "The reference must be your clinic's number for the visit (letters, "
                    "digits and - . / _, with at least one digit), never a name."
                )
            )
            return
        self.accept()


class DutyHoursDialog(QDialog):
    """The weekly hours an expert is on duty when the duty switch says "in my hours"
    (in UTC, as the server keeps them)."""

    def __init__(self, hours: list[DutyHours], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Duty hours"))
        layout = QVBoxLayout(self)
        hint = QLabel(tr("On duty on these days and hours (UTC):"))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        form = QFormLayout()
        days = (
            tr("Monday"),
            tr("Tuesday"),
            tr("Wednesday"),
            tr("Thursday"),
            tr("Friday"),
            tr("Saturday"),
            tr("Sunday"),
        )
        by_day = {h.day: h for h in hours}
        self.rows: list[tuple[QCheckBox, QTimeEdit, QTimeEdit]] = []
        for day, name in enumerate(days):
            on = QCheckBox(name)
            start, end = QTimeEdit(QTime(13, 0)), QTimeEdit(QTime(17, 0))
            for edit in (start, end):
                edit.setDisplayFormat("HH:mm")
            if day in by_day:
                on.setChecked(True)
                start.setTime(QTime.fromString(by_day[day].start, "HH:mm"))
                end.setTime(QTime.fromString(by_day[day].end, "HH:mm"))
            row = QHBoxLayout()
            row.addWidget(start)
            row.addWidget(QLabel("–"))
            row.addWidget(end)
            form.addRow(on, row)
            self.rows.append((on, start, end))
        layout.addLayout(form)
        self.message = QLabel("", objectName="error")  # type: ignore[call-overload]
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def hours(self) -> list[DutyHours]:
        return [
            DutyHours(day, start.time().toString("HH:mm"), end.time().toString("HH:mm"))
            for day, (on, start, end) in enumerate(self.rows)
            if on.isChecked()
        ]

    def _check(self) -> None:
        if any(h.end <= h.start for h in self.hours()):
            self.message.setText(tr("Each day's end must be after its start."))
            self.message.show()
            return
        self.accept()
