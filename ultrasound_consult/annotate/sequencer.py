"""Putting a sender's operations back in order when they come by two roads.

Operations normally arrive on the reliable, ordered data channel. When it is down
they go through the signalling server, and when it comes back the two roads can
deliver out of order: an update may overtake the add it updates. Every operation
carries ``seq``, counted from 1 by its sender; :class:`OpSequencer` releases them in
that order, holds an early one until the gap is filled, and gives up waiting after
:data:`GAP_TIMEOUT_S` (a sender that restarted, or an op lost with a dead link) so
nothing is held for ever. Duplicates are released too: the scene ignores them by op
id, and an acknowledgement must still go back for a retry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

GAP_TIMEOUT_S = 1.0
#: Early operations held per sender before the oldest gap is given up on.
MAX_HELD = 512


@dataclass
class _Stream(Generic[T]):
    expected: int = 1
    held: dict[int, tuple[float, T]] = field(default_factory=dict)


class OpSequencer(Generic[T]):
    def __init__(self, *, gap_timeout_s: float = GAP_TIMEOUT_S) -> None:
        self.gap_timeout_s = gap_timeout_s
        self._streams: dict[str, _Stream[T]] = {}
        self.gaps_skipped = 0

    def push(self, sender: str, seq: int, item: T, now: float) -> list[T]:
        """Items now ready, in order (``seq`` 0 means unsequenced: released at once)."""
        if seq <= 0:
            return [item]
        stream = self._streams.setdefault(sender, _Stream())
        if seq < stream.expected:
            return [item]  # a duplicate or a straggler: idempotence sorts it out
        stream.held.setdefault(seq, (now, item))
        ready = self._drain(stream)
        if len(stream.held) > MAX_HELD:
            ready += self._skip_gap(stream)
        return ready

    def due(self, now: float) -> list[tuple[str, T]]:
        """Items released because the gap before them waited too long."""
        out: list[tuple[str, T]] = []
        for sender, stream in self._streams.items():
            while (
                stream.held and now - min(t for t, _ in stream.held.values()) >= self.gap_timeout_s
            ):
                out += [(sender, item) for item in self._skip_gap(stream)]
        return out

    def waiting(self) -> int:
        return sum(len(s.held) for s in self._streams.values())

    def forget(self, sender: str) -> None:
        self._streams.pop(sender, None)

    def _drain(self, stream: _Stream[T]) -> list[T]:
        ready = []
        while stream.expected in stream.held:
            ready.append(stream.held.pop(stream.expected)[1])
            stream.expected += 1
        return ready

    def _skip_gap(self, stream: _Stream[T]) -> list[T]:
        self.gaps_skipped += 1
        stream.expected = min(stream.held)
        return self._drain(stream)
