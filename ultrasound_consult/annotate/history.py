"""Undo and redo of one author's drawing, as intents rather than operations.

Operations are idempotent by op id, so undo cannot resend an old one: each step
stores what the scene should get (an annotation to put back, or an id to take away)
and the caller turns that into fresh operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from ultrasound_consult.protocol.annotation import Annotation

#: An annotation to (re)put in the scene, or the id of one to delete.
Intent = Annotation | str

MAX_STEPS = 100


@dataclass(frozen=True)
class Step:
    do: tuple[Intent, ...]
    undo: tuple[Intent, ...]


def added(ann: Annotation) -> Step:
    return Step(do=(ann,), undo=(ann.id,))


def changed(before: Annotation, after: Annotation) -> Step:
    return Step(do=(after,), undo=(before,))


def removed(annotations: tuple[Annotation, ...]) -> Step:
    return Step(do=tuple(a.id for a in annotations), undo=annotations)


class UndoHistory:
    def __init__(self) -> None:
        self._done: list[Step] = []
        self._undone: list[Step] = []

    def record(self, step: Step) -> None:
        if not step.do:
            return
        self._done.append(step)
        del self._done[:-MAX_STEPS]
        self._undone.clear()

    def amend_last(self, annotation_id: str, now: Annotation) -> None:
        """A stroke grew after its step was recorded: redo must bring back all of it."""
        if self._done:
            last = self._done[-1]
            if (
                len(last.do) == 1
                and isinstance(last.do[0], Annotation)
                and last.do[0].id == annotation_id
            ):
                self._done[-1] = Step(do=(now,), undo=last.undo)

    def undo(self) -> tuple[Intent, ...] | None:
        if not self._done:
            return None
        step = self._done.pop()
        self._undone.append(step)
        return step.undo

    def redo(self) -> tuple[Intent, ...] | None:
        if not self._undone:
            return None
        step = self._undone.pop()
        self._done.append(step)
        return step.do

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)
