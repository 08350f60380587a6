"""The expert's live pointer: where their hand is over the image, as it moves.

Coalesced to :data:`POINTER_HZ` and sent on the unreliable ``pointer`` channel only:
a late pointer is worth nothing, so it is never retransmitted or relayed.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from ultrasound_consult.protocol.channel import Pointer
from ultrasound_consult.session.ports import CollabPorts

#: Live pointer updates are coalesced to at most this rate.
POINTER_HZ = 60.0


class PointerSender:
    def __init__(self, ports: CollabPorts) -> None:
        self.ports = ports
        self._counter = itertools.count()
        self._last_sent = 0.0
        self._pending: Pointer | None = None
        self._timer: asyncio.TimerHandle | None = None

    def move(self, x: float, y: float, *, visible: bool = True) -> None:
        """The pointer is at (x, y) (0..1 of the image), or it left the image."""
        self._pending = Pointer(
            seq=next(self._counter),
            x=min(1.0, max(0.0, x)),
            y=min(1.0, max(0.0, y)),
            author=self.ports.author(),
            visible=visible,
            media_ts=self.ports.media_ts(),
        )
        if self._timer is not None:
            return
        wait = self._last_sent + 1.0 / POINTER_HZ - time.perf_counter()
        if wait <= 0 or not visible:
            self._flush()
        else:
            self._timer = asyncio.get_running_loop().call_later(wait, self._flush)

    def _flush(self) -> None:
        self._timer = None
        if self._pending is None:
            return
        msg, self._pending = self._pending, None
        self._last_sent = time.perf_counter()
        self.ports.stats.pointer_sent += self.ports.messenger.pointer_to_station(msg)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
