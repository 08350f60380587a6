"""The annotation scene: operations applied idempotently and in order.

Both the station and the expert keep one. Re-applying an operation (a retry, a
duplicate after reconnect) changes nothing, so both sides converge on the same set.
"""

from __future__ import annotations

from collections import OrderedDict

from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import (
    AnnotationAdd,
    AnnotationClear,
    AnnotationOp,
    AnnotationRemove,
    Pointer,
)

#: How many applied op ids are remembered for idempotence.
SEEN_OPS_LIMIT = 8192


class AnnotationScene:
    def __init__(self) -> None:
        self._items: OrderedDict[str, Annotation] = OrderedDict()
        self._seen: OrderedDict[str, None] = OrderedDict()
        #: Bumped on every change, so a view can skip redraws when nothing moved.
        self.revision = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, annotation_id: str) -> bool:
        return annotation_id in self._items

    def get(self, annotation_id: str) -> Annotation | None:
        return self._items.get(annotation_id)

    def annotations(self) -> tuple[Annotation, ...]:
        """Everything in the scene, oldest first (the drawing order)."""
        return tuple(self._items.values())

    def apply(self, op: AnnotationOp) -> bool:
        """Apply one operation; returns whether the scene changed."""
        if op.op in self._seen:
            return False
        self._seen[op.op] = None
        if len(self._seen) > SEEN_OPS_LIMIT:
            self._seen.popitem(last=False)
        changed = self._apply(op)
        if changed:
            self.revision += 1
        return changed

    def _apply(self, op: AnnotationOp) -> bool:
        if isinstance(op, AnnotationAdd):
            # Same id again replaces it: an update keeps its place in the drawing order.
            if self._items.get(op.ann.id) == op.ann:
                return False
            self._items[op.ann.id] = op.ann
            return True
        if isinstance(op, AnnotationRemove):
            return self._items.pop(op.id, None) is not None
        if isinstance(op, AnnotationClear):
            doomed = [
                k for k, a in self._items.items() if op.author is None or a.author == op.author
            ]
            for k in doomed:
                del self._items[k]
            return bool(doomed)
        raise TypeError(f"not an annotation operation: {op!r}")

    def expire(self, now_ms: int) -> bool:
        """Drop annotations whose lifetime has run out; returns whether any went."""
        doomed = [
            k
            for k, a in self._items.items()
            if a.lifetime_s is not None and now_ms - a.created_ms >= a.lifetime_s * 1000
        ]
        for k in doomed:
            del self._items[k]
        if doomed:
            self.revision += 1
        return bool(doomed)


class PointerBoard:
    """The latest live pointer of each author; late (reordered) updates are ignored."""

    def __init__(self) -> None:
        self._latest: dict[str, Pointer] = {}

    def update(self, pointer: Pointer) -> bool:
        current = self._latest.get(pointer.author)
        if current is not None and pointer.seq <= current.seq:
            return False
        self._latest[pointer.author] = pointer
        return True

    def visible(self) -> tuple[Pointer, ...]:
        return tuple(p for p in self._latest.values() if p.visible)

    def forget(self, author: str) -> None:
        self._latest.pop(author, None)
