"""Opinions outside a call, in the consult window: the expert writes one for the call
that just ended (it goes through the server and waits there for the station); the
station sees those that arrived and opens one to read, print or save as PDF. And the
consult window's tray icon.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QStyle,
    QSystemTrayIcon,
    QWidget,
)

from ultrasound_consult.protocol.opinion import Opinion
from ultrasound_consult.record.opinions import OpinionStore, StoredOpinion
from ultrasound_consult.session.observer import OpinionEntry
from ultrasound_consult.session.opinions import device_signer
from ultrasound_consult.session.signing import SigningError
from ultrasound_consult.ui.consult_bridge import PresenceBridge
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.opinion_dialog import OpinionForm, OpinionView


class OpinionRow(QWidget):
    """One row of buttons: the expert's "Write opinion for the last call…", or the
    station's "Opinions received (n)"."""

    def __init__(
        self,
        bridge: PresenceBridge,
        *,
        writes: bool,
        say: Callable[[str], None],
        sign: Callable[[Opinion], Opinion] | None = None,
        store: OpinionStore | None = None,
    ) -> None:
        super().__init__()
        self.bridge = bridge
        self.say = say
        self.sign = sign or device_signer()
        self.store = store or OpinionStore()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        #: The call the expert may write for (the last one that ended), and what was sent.
        self.last_call: str | None = None
        self.sent: dict[str, Opinion] = {}
        self.write_button = QPushButton(tr("Write opinion for the last call…"))
        self.write_button.setEnabled(False)
        self.write_button.clicked.connect(self.write)
        self.write_button.setVisible(writes)
        self.received_button = QPushButton(tr("Opinions received"))
        self.received_button.clicked.connect(self.open_latest)
        self.received_button.setVisible(not writes)
        self.hint = QLabel()
        row.addWidget(self.write_button)
        row.addWidget(self.received_button)
        row.addWidget(self.hint, 1)
        self.form: OpinionForm | None = None
        self.view: OpinionView | None = None
        self.refresh()

    # --- the expert ---------------------------------------------------------------------

    def call_ended(self, call_id: str) -> None:
        self.last_call = call_id
        self.write_button.setEnabled(True)

    def write(self) -> OpinionForm | None:
        if self.last_call is None:
            return None
        form = OpinionForm(self, self.sent.get(self.last_call))
        form.accepted.connect(lambda: self._submit(form))
        form.show()
        self.form = form
        return form

    def _submit(self, form: OpinionForm) -> None:
        call_id, draft = self.last_call, form.result_opinion
        if call_id is None or draft is None:
            return
        previous = self.sent.get(call_id)
        opinion = replace(
            draft,
            # A new opinion gets its id here; an amendment keeps its own (the form's).
            id=previous.id if previous else f"op-{secrets.token_hex(8)}",
            author=self.bridge.credential.name,  # the enrolled name: the server checks it
            created_ms=int(time.time() * 1000),
        )
        try:
            signed = self.sign(opinion)
        except SigningError as exc:
            self.say(str(exc))
            return
        self.sent[call_id] = signed
        self.bridge.ask(
            "submit_opinion", lambda: self.bridge.client.submit_opinion(call_id, signed)
        )
        self.say(tr("Opinion signed and sent; the clinic gets it as soon as it is online."))

    # --- the station --------------------------------------------------------------------

    def arrived(self, stored: StoredOpinion) -> None:
        self.say(
            tr("{who} sent an opinion (version {n}): see Opinions received.").format(
                who=stored.signer, n=stored.opinion.version
            )
        )
        self.refresh()

    def refresh(self) -> None:
        count = len(self.store.all()) if self.received_button.isVisible() else 0
        self.received_button.setText(tr("Opinions received ({n})").format(n=count))
        self.received_button.setEnabled(count > 0)

    def open_latest(self) -> OpinionView | None:
        kept = self.store.all()
        if not kept:
            return None
        latest = max(kept, key=lambda s: s.opinion.created_ms)
        entry = OpinionEntry(
            latest.opinion, latest.signer, latest.verified, True, "", str(latest.path)
        )
        view = OpinionView(entry, self, room=latest.path.parent.name)
        view.show()
        self.view = view
        return view


def tray_icon(window: QMainWindow) -> QSystemTrayIcon | None:
    """A tray icon where the desktop has one: the app stays signed in when the consult
    window is closed, and a ring or an arrived opinion is also a notification there."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(
        window.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon), window
    )
    menu = QMenu(window)
    menu.addAction(tr("Experts and requests"), window.showNormal)
    tray.setContextMenu(menu)
    tray.activated.connect(lambda _reason: window.showNormal())
    tray.setToolTip(window.windowTitle())
    tray.show()
    return tray
