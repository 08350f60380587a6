"""The enrolled device's background connection (:class:`PresenceClient`, on the engine
thread) as Qt signals on the GUI thread."""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.opinions import arrival_keeper
from ultrasound_consult.session.presence import (
    ConsultRefused,
    DeviceCredential,
    Event,
    PresenceClient,
    redeem,
)

logger = logging.getLogger(__name__)


class PresenceBridge(QObject):
    #: Every server message and connection change (see presence.Event).
    server_event = Signal(object)
    #: (what was asked, its answer or a ConsultRefused)
    answered = Signal(str, object)
    signed_in = Signal(object)  # the Ready message

    def __init__(self, engine: EngineThread, credential: DeviceCredential) -> None:
        super().__init__()
        self.engine = engine
        self.credential = credential
        # A station keeps the opinions the server hands it (written after a call).
        keep = arrival_keeper() if credential.kind == "station" else None
        self.client = PresenceClient(credential, on_event=self._on_event, keep_opinion=keep)

    def _on_event(self, event: Event) -> None:
        self.server_event.emit(event)  # queued to the GUI thread by Qt

    def start(self) -> None:
        self.ask("sign_in", self.client.start)

    def ask(self, what: str, coro: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run ``coro()`` on the engine; ``answered(what, result)`` comes back."""

        async def run() -> Any:
            return await coro()

        future = self.engine.submit(run())
        future.add_done_callback(lambda f: self._done(what, f))

    def _done(self, what: str, future: concurrent.futures.Future[Any]) -> None:
        try:
            result: Any = future.result()
        except ConsultRefused as exc:
            result = exc
        except Exception as exc:  # a bug must not leave the window waiting forever
            logger.exception("consult request %s failed", what)
            result = ConsultRefused("internal", str(exc))
        if what == "sign_in" and not isinstance(result, ConsultRefused):
            self.signed_in.emit(result)
        self.answered.emit(what, result)

    def stop(self) -> None:
        future = self.engine.submit(self.client.close())
        try:
            future.result(timeout=5)
        except Exception:  # closing is best effort
            logger.debug("closing the presence client", exc_info=True)


class Redemption(QObject):
    """Redeem an enrollment code on the engine thread; ``done(credential or error)``."""

    done = Signal(object)

    def __init__(self, engine: EngineThread) -> None:
        super().__init__()
        self.engine = engine

    def redeem(self, server: str, code: str) -> None:
        future = self.engine.submit(redeem(server, code))
        future.add_done_callback(self._finished)

    def _finished(self, future: concurrent.futures.Future[DeviceCredential]) -> None:
        try:
            self.done.emit(future.result())
        except ConsultRefused as exc:
            self.done.emit(exc)
        except Exception as exc:
            self.done.emit(ConsultRefused("internal", str(exc)))
