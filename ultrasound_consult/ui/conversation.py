"""What people in the call write to each other, beside the picture: text messages
and the expert's written opinion.

Two buttons over the video's top-right corner (letterboxing, as a rule: the status
bar has no room left at 1366 wide): **Messages** opens the chat panel beside the
picture; **Opinion** appears once an expert's opinion has arrived and opens it to
read, print or save as PDF. Either turns amber with a notice when something new
comes while it is closed.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QPushButton, QWidget

from ultrasound_consult.session.call import ConsultCall
from ultrasound_consult.session.observer import ChatLine, OpinionEntry
from ultrasound_consult.ui.bridge import EngineBridge
from ultrasound_consult.ui.chat_panel import ChatPanel
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.opinion_dialog import OpinionView


class Host(Protocol):
    """The call window, as far as the conversation uses it."""

    @property
    def view(self) -> QWidget: ...
    @property
    def bridge(self) -> EngineBridge: ...
    @property
    def call(self) -> ConsultCall: ...

    def show_notice(self, text: str, *, kind: str = "") -> None: ...


def _alert(button: QPushButton, on: bool) -> None:
    button.setProperty("alert", on)
    button.style().polish(button)


class Conversation(QObject):
    def __init__(self, window: Host) -> None:
        super().__init__(window)  # type: ignore[arg-type]
        self.window = window
        view = window.view
        self.panel = ChatPanel()
        self.panel.hide()
        self.panel.send_requested.connect(self.send_chat)
        self.chat_button = QPushButton(tr("Messages"), view, objectName="chatbutton")  # type: ignore[call-overload]
        self.chat_button.setCheckable(True)
        self.chat_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.chat_button.setToolTip(tr("Text messages with everyone in the call"))
        self.chat_button.toggled.connect(self.show_chat)
        self.panel.closed.connect(lambda: self.chat_button.setChecked(False))
        self.unread = 0
        self.opinion_button = QPushButton(tr("Opinion"), view, objectName="chatbutton")  # type: ignore[call-overload]
        self.opinion_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.opinion_button.setToolTip(tr("The expert's written opinion: read, print, save"))
        self.opinion_button.clicked.connect(self.open_opinion)
        self.opinion_button.hide()
        self.opinion_entries: tuple[OpinionEntry, ...] = ()
        self.opinion_view: OpinionView | None = None
        view.installEventFilter(self)
        window.bridge.chat_changed.connect(self._on_chat)
        window.bridge.opinions_changed.connect(self._on_opinions)

    # --- text messages ----------------------------------------------------------------

    def send_chat(self, text: str) -> None:
        self.window.bridge.call(self.window.call.collab.send_chat, text)

    def _on_chat(self, lines: tuple[ChatLine, ...]) -> None:
        me = self.window.call.author
        known = {line.message.id for line in self.panel.lines}
        new = [ln for ln in lines if ln.message.id not in known and ln.message.by != me]
        self.panel.set_lines(lines)
        if new and not self.panel.isVisible():
            self.unread += len(new)
            self.chat_button.setText(tr("Messages ({n})").format(n=self.unread))
            _alert(self.chat_button, True)
            self.place_buttons()
        if new:
            last = new[-1].message
            notice = tr("{name}: {text}").format(name=last.by, text=last.text[:160])
            self.window.show_notice(notice)

    def show_chat(self, on: bool) -> None:
        self.panel.setVisible(on)
        if on:
            self.unread = 0
            self.chat_button.setText(tr("Messages"))
            _alert(self.chat_button, False)
            self.place_buttons()
            self.panel.entry.setFocus()

    # --- the expert's opinion -----------------------------------------------------------

    def _on_opinions(self, entries: tuple[OpinionEntry, ...]) -> None:
        known = {(e.opinion.id, e.opinion.version) for e in self.opinion_entries}
        self.opinion_entries = entries
        me = self.window.call.author
        new = [e for e in entries if (e.opinion.id, e.opinion.version) not in known]
        new = [e for e in new if e.signer != me]
        if not new:
            return
        self.window.show_notice(
            tr("{who} sent an opinion (version {n}): open it with the Opinion button.").format(
                who=new[-1].signer, n=new[-1].opinion.version
            )
        )
        self.opinion_button.show()
        _alert(self.opinion_button, True)
        self.place_buttons()

    def open_opinion(self) -> OpinionView | None:
        """The latest version of the latest opinion received, to read, print or save."""
        me = self.window.call.author
        received = [e for e in self.opinion_entries if e.signer != me]
        if not received:
            return None
        _alert(self.opinion_button, False)
        parent = self.window if isinstance(self.window, QWidget) else None
        view = OpinionView(received[-1], parent, room=self.window.call.config.room)
        view.show()
        self.opinion_view = view
        return view

    # --- placing the buttons --------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window.view and event.type() == QEvent.Type.Resize:
            self.place_buttons()
        return super().eventFilter(watched, event)

    def place_buttons(self) -> None:
        right = self.window.view.width() - 8
        for button in (self.chat_button, self.opinion_button):
            button.adjustSize()
            button.move(right - button.width(), 8)
            button.raise_()
            right -= button.width() + 6
