"""The annotation scene: operations applied idempotently and in order.

Both the station and every viewer keep one. Re-applying an operation (a retry, a
duplicate after reconnect) changes nothing, so all sides converge on the same set;
after a reconnect the station resends its whole scene (``scene.sync``) and the viewer
starts again from it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from ultrasound_consult.protocol.annotation import (
    MAX_STROKE_POINTS,
    POINT_COUNTS,
    Annotation,
    AnnotationKind,
)
from ultrasound_consult.protocol.channel import (
    AnnotationAdd,
    AnnotationClear,
    AnnotationExtend,
    AnnotationOp,
    AnnotationRemove,
    AnnotationUpdate,
    Pointer,
)

#: How many applied op ids are remembered for idempotence.
SEEN_OPS_LIMIT = 8192
#: Annotations with a lifetime fade out over their last this many seconds.
FADE_S = 1.0
#: Annotations one scene holds; beyond it an add is refused (clear some first).
MAX_ANNOTATIONS = 500


class SceneError(ValueError):
    """An operation that cannot apply to this scene; the message says why."""


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

    def seen(self, op_id: str) -> bool:
        return op_id in self._seen

    def apply(self, op: AnnotationOp) -> bool:
        """Apply one operation; returns whether the scene changed.

        Raises :class:`SceneError` for an operation that can never apply (extending
        a circle, a stroke past its limit); the op then counts as seen.
        """
        if op.op in self._seen:
            return False
        self._seen[op.op] = None
        if len(self._seen) > SEEN_OPS_LIMIT:
            self._seen.popitem(last=False)
        changed = self._apply(op)
        if changed:
            self.revision += 1
        return changed

    def replay(self, op: AnnotationOp) -> bool:
        """Apply an operation seen before (one's own, laid back on after a resync)."""
        changed = self._apply(op)
        if changed:
            self.revision += 1
        return changed

    def _apply(self, op: AnnotationOp) -> bool:
        if isinstance(op, AnnotationAdd):
            # Same id again replaces it: an update keeps its place in the drawing order.
            current = self._items.get(op.ann.id)
            if current == op.ann:
                return False
            if current is None and len(self._items) >= MAX_ANNOTATIONS:
                raise SceneError(
                    f"the picture already holds {MAX_ANNOTATIONS} annotations; clear some first"
                )
            self._items[op.ann.id] = op.ann
            return True
        if isinstance(op, AnnotationUpdate):
            return self._update(op)
        if isinstance(op, AnnotationExtend):
            return self._extend(op)
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

    def _update(self, op: AnnotationUpdate) -> bool:
        current = self._items.get(op.id)
        if current is None:
            return False  # removed or cleared meanwhile: nothing to change
        changes: dict[str, object] = {}
        if op.points is not None:
            lo, hi = POINT_COUNTS[current.kind]
            if not lo <= len(op.points) <= hi:
                raise SceneError(
                    f"a {current.kind.value} needs {lo}..{hi} points, got {len(op.points)}"
                )
            changes["points"] = op.points
        if op.label is not None:
            if current.kind is AnnotationKind.TEXT and not op.label.strip():
                raise SceneError("a text annotation cannot have an empty label")
            changes["label"] = op.label
        if op.color is not None:
            changes["color"] = op.color
        updated = replace(current, **changes)  # type: ignore[arg-type]
        if updated == current:
            return False
        self._items[op.id] = updated
        return True

    def _extend(self, op: AnnotationExtend) -> bool:
        current = self._items.get(op.id)
        if current is None:
            return False
        if current.kind is not AnnotationKind.STROKE:
            raise SceneError(f"only a freehand stroke can be extended, not a {current.kind.value}")
        if len(current.points) + len(op.points) > MAX_STROKE_POINTS:
            raise SceneError(f"a stroke may have at most {MAX_STROKE_POINTS} points")
        self._items[op.id] = current.with_points(current.points + op.points)
        return True

    def reset(self, annotations: tuple[Annotation, ...] = ()) -> None:
        """Replace everything (a resync); remembered op ids are kept."""
        self._items = OrderedDict((a.id, a) for a in annotations)
        self.revision += 1

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

    def fading(self, now_ms: int) -> bool:
        """Whether something is fading out now (the view must keep repainting)."""
        return any(opacity(a, now_ms) < 1.0 for a in self._items.values())


def opacity(ann: Annotation, now_ms: int) -> float:
    """1 for a lasting annotation; falls to 0 over the last :data:`FADE_S` of a lifetime."""
    if ann.lifetime_s is None:
        return 1.0
    left = ann.lifetime_s - (now_ms - ann.created_ms) / 1000.0
    return max(0.0, min(1.0, left / FADE_S))


class PointerBoard:
    """The latest live pointer of each author; late (reordered) updates are ignored.

    Each pointer is kept with the time it took effect (``at``, any clock the caller
    uses), so replay can let a pointer that stopped moving disappear."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[float, Pointer]] = {}

    def update(self, pointer: Pointer, at: float = 0.0) -> bool:
        current = self._latest.get(pointer.author)
        if current is not None and pointer.seq <= current[1].seq:
            return False
        self._latest[pointer.author] = (at, pointer)
        return True

    def visible(self, now: float | None = None, hold: float = 0.0) -> tuple[Pointer, ...]:
        """Pointers shown; with ``now``, only those that moved within ``hold`` before it."""
        return tuple(
            p
            for at, p in self._latest.values()
            if p.visible and (now is None or 0 <= now - at <= hold)
        )

    def forget(self, author: str) -> None:
        self._latest.pop(author, None)
