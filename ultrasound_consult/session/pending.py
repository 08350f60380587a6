"""A viewer's operations the station has not answered yet.

Each is shown at once (annotations dashed), resent in order when the data channel
comes back, laid back over a resent scene, and timed: the round trip from sending to
its ``ack`` is what the expert's window shows ("Station confirmed in 30 ms").
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from ultrasound_consult.protocol.channel import ANNOTATION_OPS, AnnotationOp, ViewerOp


@dataclass
class Pending:
    op: ViewerOp | None  # None: a snapshot, whose round trip is all that is kept
    sent_at: float
    annotation_id: str | None = None
    via_server: bool = False


class PendingOps:
    def __init__(self) -> None:
        self._items: OrderedDict[str, Pending] = OrderedDict()

    def add(self, op: ViewerOp, annotation_id: str | None = None) -> Pending:
        pending = Pending(op, time.perf_counter(), annotation_id)
        self._items[op.op] = pending
        return pending

    def add_snapshot(self, snapshot_id: str) -> None:
        self._items[snapshot_id] = Pending(None, time.perf_counter())

    def answered(self, op_id: str) -> tuple[Pending, float] | None:
        """The pending operation ``op_id`` and its round trip in ms (None: not mine)."""
        pending = self._items.pop(op_id, None)
        if pending is None:
            return None
        return pending, (time.perf_counter() - pending.sent_at) * 1000.0

    def discard(self, op_id: str) -> None:
        self._items.pop(op_id, None)

    def ops(self) -> list[ViewerOp]:
        """Every unanswered operation, in the order sent (snapshots aside)."""
        return [p.op for p in self._items.values() if p.op is not None]

    def annotation_ops(self) -> list[AnnotationOp]:
        return [p.op for p in self._items.values() if isinstance(p.op, ANNOTATION_OPS)]

    def annotation_ids(self) -> frozenset[str]:
        return frozenset(p.annotation_id for p in self._items.values() if p.annotation_id)
