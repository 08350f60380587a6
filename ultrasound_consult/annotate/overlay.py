"""What is drawn over the picture, and the one reducer that changes it.

The live view of every viewer and the replay of a recording feed the messages they
get (or the events recorded) through :meth:`Overlay.apply`, so a replay shows what
the expert saw: the same annotations, cue, pointers and scale, changed by the same
code. The station, which decides what the scene is, uses the same models but
applies its viewers' operations itself (it checks budgets and answers each one).
"""

from __future__ import annotations

from ultrasound_consult.annotate.guidance import GuidanceBoard
from ultrasound_consult.annotate.scene import AnnotationScene, PointerBoard
from ultrasound_consult.protocol.channel import (
    ANNOTATION_OPS,
    CalibrationOrigin,
    CalibrationSet,
    ChannelMessage,
    Pointer,
    SceneSync,
)
from ultrasound_consult.protocol.guidance import CueSend, CueState

#: The messages that change what is drawn over the picture.
OVERLAY_MESSAGES = (*ANNOTATION_OPS, SceneSync, CueSend, CueState, CalibrationSet, Pointer)
#: Their wire types: the recorded events replay feeds through the reducer.
OVERLAY_TYPES = frozenset(cls.TYPE for cls in OVERLAY_MESSAGES)


class Overlay:
    """Annotations, guidance cues, live pointers and the frame's scale."""

    def __init__(self) -> None:
        self.scene = AnnotationScene()
        self.guidance = GuidanceBoard()
        self.pointers = PointerBoard()
        self.calibration: CalibrationSet | None = None
        #: Between a ``scene.sync`` begin and its end: the scene is being resent.
        self.sync_epoch: str | None = None

    def apply(self, msg: ChannelMessage, at: float = 0.0) -> bool:
        """Apply one message; returns whether what is drawn changed.

        ``at`` is when it took effect (for pointers). Raises
        :class:`~ultrasound_consult.annotate.scene.SceneError` for an annotation
        operation that can never apply (it then counts as seen).
        """
        if isinstance(msg, ANNOTATION_OPS):
            return self.scene.apply(msg)
        if isinstance(msg, SceneSync):
            if msg.phase == "begin":
                self.sync_epoch = msg.epoch
                self.scene.reset(())
            else:
                self.sync_epoch = None
            return True
        if isinstance(msg, CueSend):
            before = self.guidance.revision
            self.guidance.remember(msg.cue)
            return self.guidance.revision != before
        if isinstance(msg, CueState):
            return self.guidance.apply_state(msg)
        if isinstance(msg, CalibrationSet):
            scale = msg if msg.origin is not CalibrationOrigin.NONE else None
            changed = scale != self.calibration
            self.calibration = scale
            return changed
        if isinstance(msg, Pointer):
            return self.pointers.update(msg, at)
        return False

    def forget_author(self, author: str) -> None:
        """``author`` left the call: their pointer goes."""
        self.pointers.forget(author)
