"""The consult service's window for an enrolled device: who is online and on duty,
"Call an expert", one's own duty, the ringing dialog, requests and their queue.

It only shows and edits: the connection is :class:`PresenceBridge`'s. When a call is
answered it emits ``call_ready`` and the launcher opens the ordinary call window with
the invite the server handed out.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.protocol.consult import (
    CallFailed,
    CallFailure,
    CallReady,
    Declined,
    DeviceEntry,
    Directory,
    Duty,
    DutyHours,
    Presence,
    Queue,
    Ready,
    RequestInfo,
    RequestStatus,
    Ring,
    Ringing,
    RingStop,
    Status,
)
from ultrasound_consult.session.presence import (
    ConnectionLost,
    ConsultRefused,
    OpinionStored,
    Reconnected,
)
from ultrasound_consult.ui.consult_bridge import PresenceBridge
from ultrasound_consult.ui.consult_dialogs import (
    DutyHoursDialog,
    RequestDialog,
    RingingDialog,
    kind_text,
    urgency_text,
)
from ultrasound_consult.ui.consult_opinions import OpinionRow, tray_icon
from ultrasound_consult.ui.i18n import tr

logger = logging.getLogger(__name__)

EXPERT_KINDS = ("expert", "trainer")


def status_text(status: Status) -> str:
    return {
        Status.OFFLINE: tr("offline"),
        Status.ONLINE: tr("online"),
        Status.ON_DUTY: tr("on duty"),
        Status.BUSY: tr("busy"),
        Status.IN_CALL: tr("in a call"),
    }[status]


def request_status_text(status: str) -> str:
    return {
        "open": tr("waiting for an expert"),
        "taken": tr("taken"),
        "called": tr("called back"),
        "done": tr("done"),
        "cancelled": tr("cancelled"),
    }.get(status, status)


def failure_text(failed: CallFailed) -> str:
    """What happened and what to do next, in the app's language."""
    return {
        CallFailure.NOBODY: tr(
            "Nobody is on duty for this now: leave a request, and an expert will call back."
        ),
        CallFailure.BUSY: tr(
            "Everyone on duty is busy: try again in a few minutes, or leave a request."
        ),
        CallFailure.DECLINED: tr(
            "Every expert called declined: leave a request, or try again later."
        ),
        CallFailure.NO_ANSWER: tr("No answer: try again, or leave a request."),
        CallFailure.CANCELLED: tr("The call was cancelled."),
        CallFailure.OFFLINE: tr("Not connected now: leave a request, or call a specialty."),
        CallFailure.INTERRUPTED: tr("The server restarted while it was ringing: call again."),
    }[failed.reason]


class ConsultWindow(QMainWindow):
    call_ready = Signal(object)  # CallReady

    def __init__(self, bridge: PresenceBridge) -> None:
        super().__init__()
        self.bridge = bridge
        self.kind = bridge.credential.kind
        self.directory: dict[str, DeviceEntry] = {}
        self.requests: dict[str, RequestInfo] = {}
        self.ringing: dict[str, RingingDialog] = {}
        self.calling: str | None = None
        self.active_call: str | None = None
        self.setWindowTitle(tr("Ultrasound consult — experts and requests"))
        central = QWidget(objectName="central")  # type: ignore[call-arg]
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.setSpacing(10)
        header = QHBoxLayout()
        self.me = QLabel(  # type: ignore[call-overload]
            tr("{name} ({kind})").format(name=bridge.credential.name, kind=kind_text(self.kind)),
            objectName="title",
        )
        header.addWidget(self.me, 1)
        self.connection = QLabel(tr("Connecting…"))
        header.addWidget(self.connection)
        self.duty = QComboBox()
        for duty, text in (
            (Duty.OFF, tr("Off duty")),
            (Duty.ON, tr("On duty")),
            (Duty.BUSY, tr("Busy")),
            (Duty.HOURS, tr("On duty in my hours")),
        ):
            self.duty.addItem(text, duty.value)
        self.duty.setVisible(self.kind in EXPERT_KINDS)
        self.duty.activated.connect(self._duty_chosen)
        header.addWidget(self.duty)
        self.hours_button = QPushButton(tr("Duty hours…"))
        self.hours_button.setVisible(self.kind in EXPERT_KINDS)
        self.hours_button.clicked.connect(self.edit_hours)
        header.addWidget(self.hours_button)
        self.hours: list[DutyHours] = []
        outer.addLayout(header)

        outer.addWidget(QLabel(tr("Directory"), objectName="section"))  # type: ignore[call-overload]
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [tr("Name"), tr("Role"), tr("Site"), tr("Specialties"), tr("Status")]
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        outer.addWidget(self.table, 2)

        calls = QHBoxLayout()
        self.specialty = QComboBox()
        self.specialty.setMinimumWidth(140)
        calls.addWidget(QLabel(tr("Specialty")))
        calls.addWidget(self.specialty)
        self.call_button = QPushButton(tr("Call an expert"), objectName="primary")  # type: ignore[call-overload]
        self.call_button.clicked.connect(self.call_specialty)
        calls.addWidget(self.call_button)
        self.call_person_button = QPushButton(tr("Call the selected person"))
        self.call_person_button.clicked.connect(self.call_selected)
        calls.addWidget(self.call_person_button)
        self.invite_button = QPushButton(tr("Invite the selected trainee"))
        self.invite_button.setVisible(self.kind in EXPERT_KINDS)
        self.invite_button.setEnabled(False)
        self.invite_button.clicked.connect(self.invite_selected)
        calls.addWidget(self.invite_button)
        self.cancel_button = QPushButton(tr("Hang up"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_call)
        calls.addWidget(self.cancel_button)
        calls.addStretch(1)
        outer.addLayout(calls)
        self.status = QLabel("", objectName="info")  # type: ignore[call-overload]
        self.status.setWordWrap(True)
        outer.addWidget(self.status)

        title = tr("Request queue") if self.kind in EXPERT_KINDS else tr("My requests")
        outer.addWidget(QLabel(title, objectName="section"))  # type: ignore[call-overload]
        self.queue = QTableWidget(0, 6)
        self.queue.setHorizontalHeaderLabels(
            [
                tr("Clinic"),
                tr("Exam"),
                tr("Urgency"),
                tr("Preferred time"),
                tr("Question"),
                tr("Status"),
            ]
        )
        self.queue.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.queue.verticalHeader().setVisible(False)
        self.queue.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        outer.addWidget(self.queue, 1)
        actions = QHBoxLayout()
        self.request_button = QPushButton(tr("Leave a request…"))
        self.request_button.clicked.connect(self.leave_request)
        self.request_button.setVisible(self.kind == "station")
        self.take_button = QPushButton(tr("Take and call back"))
        self.take_button.clicked.connect(self.take_selected)
        self.take_button.setVisible(self.kind in EXPERT_KINDS)
        actions.addWidget(self.request_button)
        actions.addWidget(self.take_button)
        actions.addStretch(1)
        outer.addLayout(actions)
        self.opinions = OpinionRow(
            bridge, writes=self.kind in EXPERT_KINDS, say=self.status.setText
        )
        outer.addWidget(self.opinions)
        self.call_button.setVisible(self.kind != "trainee")
        self.call_person_button.setVisible(self.kind != "trainee")
        self.specialty.setVisible(self.kind != "trainee")

        self.tray = tray_icon(self)
        bridge.server_event.connect(self.on_event)
        bridge.answered.connect(self.on_answer)
        bridge.signed_in.connect(self.on_ready)

    # --- server news ------------------------------------------------------------------

    def on_ready(self, ready: Ready) -> None:
        self.hours = list(ready.hours)
        self.connection.setText(
            tr("Status: {status}").format(status=status_text(ready.device.status))
        )
        index = self.duty.findData(ready.duty.value)
        if index >= 0:
            self.duty.setCurrentIndex(index)
        self.refresh()

    def refresh(self) -> None:
        self.bridge.ask("directory", self.bridge.client.directory)
        if self.kind != "trainee":
            self.bridge.ask("queue", self.bridge.client.queue)

    def on_event(self, event: object) -> None:
        if isinstance(event, Presence):
            self.directory[event.device.id] = event.device
            if event.device.id == self.bridge.credential.device_id:
                self.connection.setText(
                    tr("Status: {status}").format(status=status_text(event.device.status))
                )
            self.fill_directory()
        elif isinstance(event, Ring):
            self.show_ring(event)
        elif isinstance(event, RingStop):
            dialog = self.ringing.pop(event.call_id, None)
            if dialog is not None:
                text = (
                    tr("{name} took the call.").format(name=event.taken_by)
                    if event.reason == "taken"
                    else tr("It stopped ringing.")
                )
                dialog.stop(text)
        elif isinstance(event, Declined):
            self.status.setText(
                tr("{name} declined; still ringing the others.").format(name=event.by)
            )
        elif isinstance(event, CallFailed):
            if event.call_id == self.calling:
                self.calling = None
                self.cancel_button.setEnabled(False)
            self.status.setText(failure_text(event))
        elif isinstance(event, CallReady):
            self.calling = None
            self.active_call = event.call_id
            self.invite_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
            self.status.setText(tr("In a call with {name}.").format(name=event.peer.name))
            self.call_ready.emit(event)
        elif isinstance(event, OpinionStored):
            self.opinions.arrived(event.stored)
        elif isinstance(event, RequestStatus):
            self.requests[event.request.id] = event.request
            self.fill_queue()
        elif isinstance(event, ConnectionLost):
            self.connection.setText(
                tr("Revoked or refused: enroll again") if event.final else tr("Reconnecting…")
            )
        elif isinstance(event, Reconnected):
            self.connection.setText(
                tr("Status: {status}").format(status=status_text(event.ready.device.status))
            )
            self.refresh()

    def on_answer(self, what: str, result: object) -> None:
        if isinstance(result, ConsultRefused):
            if what == "sign_in":
                self.connection.setText(tr("Not signed in"))
            self.status.setText(tr("Refused: {reason}").format(reason=result.message))
            return
        if what == "invite_trainee":
            self.status.setText(tr("Trainee invited: they join as an observer."))
        elif isinstance(result, Directory):
            self.directory = {d.id: d for d in result.devices}
            self.fill_directory()
        elif isinstance(result, Queue):
            self.requests = {r.id: r for r in result.requests}
            self.fill_queue()
        elif isinstance(result, Ringing):
            self.calling = result.call_id
            self.cancel_button.setEnabled(True)
            self.status.setText(tr("Ringing {count} expert(s)…").format(count=result.rung))
        elif isinstance(result, CallFailed):
            self.status.setText(failure_text(result))
        elif isinstance(result, RequestStatus):
            self.requests[result.request.id] = result.request
            self.fill_queue()
            if what == "take":
                self.bridge.ask(
                    "call",
                    lambda: self.bridge.client.call(
                        f"device:{result.request.station_id}",
                        request_id=result.request.id,
                    ),
                )

    # --- views --------------------------------------------------------------------------

    def fill_directory(self) -> None:
        me = self.bridge.credential.device_id
        entries = sorted(
            (d for d in self.directory.values() if d.id != me),
            key=lambda d: (d.status is Status.OFFLINE, d.kind.value, d.name),
        )
        self.table.setRowCount(len(entries))
        for row, d in enumerate(entries):
            values = (
                d.name,
                kind_text(d.kind.value),
                d.site,
                ", ".join(s.upper() for s in d.specialties),
                status_text(d.status),
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, d.id)
                self.table.setItem(row, col, item)
        current = self.specialty.currentData()
        specialties = sorted(
            {
                s
                for d in self.directory.values()
                if d.kind.value in EXPERT_KINDS
                for s in d.specialties
            }
        )
        self.specialty.clear()
        for s in specialties:
            self.specialty.addItem(s.upper(), s)
        if current in specialties:
            self.specialty.setCurrentIndex(specialties.index(current))

    def fill_queue(self) -> None:
        rows = sorted(self.requests.values(), key=lambda r: r.created_at)
        self.queue.setRowCount(len(rows))
        for row, r in enumerate(rows):
            status = request_status_text(r.status)
            if r.taken_by:
                status = tr("{status} by {name}").format(status=status, name=r.taken_by)
            values = (
                r.station or r.site,
                r.exam,
                urgency_text(r.urgency.value),
                r.preferred_time,
                r.question,
                status,
            )
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, r.id)
                self.queue.setItem(row, col, item)

    # --- actions ------------------------------------------------------------------------

    def _duty_chosen(self) -> None:
        duty = Duty(self.duty.currentData())
        self.bridge.ask("duty", lambda: self.bridge.client.set_duty(duty))

    def call_specialty(self) -> None:
        specialty = self.specialty.currentData()
        if not specialty:
            self.status.setText(tr("No specialty to call yet: nobody with one is enrolled."))
            return
        self.status.setText(tr("Calling…"))
        self.bridge.ask("call", lambda: self.bridge.client.call(f"specialty:{specialty}"))

    def call_selected(self) -> None:
        items = self.table.selectedItems()
        if not items:
            self.status.setText(tr("Select someone in the directory first."))
            return
        device_id = items[0].data(Qt.ItemDataRole.UserRole)
        self.status.setText(tr("Calling…"))
        self.bridge.ask("call", lambda: self.bridge.client.call(f"device:{device_id}"))

    def edit_hours(self) -> DutyHoursDialog:
        dialog = DutyHoursDialog(self.hours, self)

        def chosen() -> None:
            self.hours = dialog.hours()
            hours = list(self.hours)
            self.duty.setCurrentIndex(self.duty.findData(Duty.HOURS.value))
            self.bridge.ask("duty", lambda: self.bridge.client.set_duty(Duty.HOURS, hours))

        dialog.accepted.connect(chosen)
        dialog.open()
        return dialog

    def invite_selected(self) -> None:
        """A trainer (or expert) in a call brings the selected enrolled trainee in."""
        items = self.table.selectedItems()
        if not self.active_call or not items:
            self.status.setText(tr("Select a trainee in the directory first."))
            return
        call_id, device_id = self.active_call, items[0].data(Qt.ItemDataRole.UserRole)
        self.bridge.ask(
            "invite_trainee", lambda: self.bridge.client.invite_trainee(call_id, device_id)
        )

    def cancel_call(self) -> None:
        if self.calling:
            call_id = self.calling
            self.bridge.ask("cancel", lambda: self.bridge.client.cancel(call_id))

    def call_ended(self, *, recorded: bool = False, opinion: bool = False) -> None:
        """The launcher's call window closed: the session ends for the consult log."""
        self.invite_button.setEnabled(False)
        if self.active_call:
            call_id, self.active_call = self.active_call, None
            self.opinions.call_ended(call_id)
            self.bridge.ask(
                "hang_up",
                lambda: self.bridge.client.hang_up(call_id, recorded=recorded, opinion=opinion),
            )
            self.status.setText(tr("Call ended."))

    def show_ring(self, ring: Ring) -> RingingDialog:
        dialog = RingingDialog(ring, self)
        if self.tray is not None:
            self.tray.showMessage(tr("Incoming call"), ring.caller.name)
        dialog.answered.connect(self._ring_answered)
        self.ringing[ring.call_id] = dialog
        # A raised window or a notification: show ourselves too if minimised.
        self.showNormal()
        self.raise_()
        dialog.show()
        return dialog

    def _ring_answered(self, call_id: str, accepted: bool) -> None:
        self.ringing.pop(call_id, None)
        if accepted:
            self.bridge.ask("accept", lambda: self.bridge.client.accept(call_id))
        else:
            self.bridge.ask("decline", lambda: self.bridge.client.decline(call_id))

    def leave_request(self) -> RequestDialog:
        specialties = sorted({s for d in self.directory.values() for s in d.specialties})
        dialog = RequestDialog(specialties, self)
        dialog.accepted.connect(lambda: self._send_request(dialog))
        dialog.open()
        return dialog

    def _send_request(self, dialog: RequestDialog) -> None:
        values = dialog.values()
        self.bridge.ask(
            "request",
            lambda: self.bridge.client.leave_request(**values),  # type: ignore[arg-type]
        )

    def take_selected(self) -> None:
        items = self.queue.selectedItems()
        if not items:
            self.status.setText(tr("Select a request first."))
            return
        request_id = items[0].data(Qt.ItemDataRole.UserRole)
        self.bridge.ask("take", lambda: self.bridge.client.take(request_id))
