"""The call's text messages, as this side has them: who wrote what, and which of mine
the station has not confirmed yet (or refused, with why)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from ultrasound_consult.protocol.chat import ChatSend
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.observer import ChatLine
from ultrasound_consult.session.ports import CollabContext, now_ms

#: Messages kept (and resent to someone who (re)joins): a consult's whole conversation.
CHAT_KEPT = 200
CHAT_RESENT = 50


class ChatLog:
    def __init__(self, ctx: CollabContext) -> None:
        self.ctx = ctx
        self._lines: OrderedDict[str, ChatLine] = OrderedDict()

    def compose(self, text: str) -> ChatSend:
        """A message of mine, numbered like every operation (raises :class:`CallError`)."""
        op, seq = self.ctx.next_op()
        try:
            return ChatSend(op, self.ctx.new_id("m"), text, self.ctx.ports.author(), now_ms(), seq)
        except ProtocolError as exc:
            raise CallError(exc.reason) from None

    def send_from_station(self, msg: ChatSend) -> None:
        """The station's own message: straight to every viewer (nobody acknowledges)."""
        msg = replace(msg, seq=0)
        self.ctx.record(msg, msg.by)
        self.add(msg)
        self.ctx.ports.stats.chat_sent += 1
        self.ctx.ports.messenger.to_viewers(msg)

    def lines(self) -> tuple[ChatLine, ...]:
        return tuple(self._lines.values())

    def messages(self) -> tuple[ChatSend, ...]:
        return tuple(line.message for line in self._lines.values() if not line.refused)

    def add(self, msg: ChatSend, *, pending: bool = False) -> bool:
        """A message written here or received; False if it was already here."""
        if msg.id in self._lines:
            return False
        self._lines[msg.id] = ChatLine(msg, pending)
        while len(self._lines) > CHAT_KEPT:
            self._lines.popitem(last=False)
        self._notify()
        return True

    def answered(self, chat_id: str, ok: bool, reason: str) -> None:
        line = self._lines.get(chat_id)
        if line is not None:
            self._lines[chat_id] = ChatLine(line.message, False, "" if ok else reason or "?")
            self._notify()

    def _notify(self) -> None:
        self.ctx.ports.events.on_chat(self.lines())
