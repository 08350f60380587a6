"""What was on screen at any media time of a recording: annotations, cue, pointer, scale.

Replay feeds the recorded events through the live view's own reducer
(:class:`~ultrasound_consult.annotate.overlay.Overlay`), in media-time order. An
annotation is placed at the frame its author was looking at (its anchor), so the
annotation made on frame N shows from frame N on. Seeking restores the nearest
checkpoint before the target and applies the events after it, so a seek anywhere in
a long session costs a few hundred events at most.
"""

from __future__ import annotations

import bisect
import copy
import logging
from dataclasses import dataclass, field

from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.annotate.overlay import OVERLAY_TYPES, Overlay
from ultrasound_consult.annotate.scene import SceneError
from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import (
    CalibrationSet,
    ChannelMessage,
    Pointer,
    parse_channel_message,
)
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.fields import encode_object
from ultrasound_consult.record.bundle import PEER_LEFT, Event, SessionInfo

logger = logging.getLogger(__name__)

#: A pointer disappears this long after its last move (it was not moving: hand elsewhere).
POINTER_HOLD_S = 1.0
CHECKPOINT_EVERY = 200
#: Ticks (1/90000 s) by which times are compared: the clock the video itself uses.
TICKS = 90_000


def tick(seconds: float) -> int:
    return round(seconds * TICKS)


@dataclass(frozen=True)
class ReplayState:
    annotations: tuple[Annotation, ...]
    cue: CueEntry | None
    cues: tuple[CueEntry, ...]
    pointers: tuple[Pointer, ...]
    calibration: CalibrationSet | None
    #: Wall-clock milliseconds at this moment (for fading annotations), if known.
    wall_ms: int | None


@dataclass
class _Cursor:
    position: int = 0  # events applied: items[:position]
    overlay: Overlay = field(default_factory=Overlay)


@dataclass(frozen=True)
class _Left:
    """Someone left the call (their pointer goes, as it does live)."""

    name: str


def effective_time(event: Event) -> float | None:
    """When an event takes effect in replay: its anchor if it has one, else its time."""
    if event.anchor is not None and (event.t is None or event.anchor <= event.t):
        return event.anchor
    return event.t


class Timeline:
    def __init__(self, events: list[Event], session: SessionInfo | None = None) -> None:
        self.session = session
        timed: list[tuple[float, int, ChannelMessage | _Left]] = []
        self.skipped = 0
        for order, event in enumerate(events):
            if event.type == PEER_LEFT:
                t = effective_time(event)
                name = event.data.get("by") if isinstance(event.data, dict) else None
                if isinstance(name, str):
                    timed.append((float("-inf") if t is None else t, order, _Left(name)))
                continue
            if event.type not in OVERLAY_TYPES:
                continue
            try:
                msg = parse_channel_message(encode_object(event.data))
            except ProtocolError as exc:
                self.skipped += 1
                logger.info("replay skips a %s event: %s", event.type, exc.reason)
                continue
            t = effective_time(event)
            timed.append((float("-inf") if t is None else t, order, msg))
        timed.sort(key=lambda item: (item[0], item[1]))  # one list of both kinds
        self._ticks = [tick(t) if t != float("-inf") else -(2**62) for t, _, _ in timed]
        self._messages: list[ChannelMessage | _Left] = [msg for _, _, msg in timed]
        self._checkpoints: list[_Cursor] = []
        self._build_checkpoints()
        self._cursor = self._restore(0)

    def __len__(self) -> int:
        return len(self._messages)

    def _build_checkpoints(self) -> None:
        cursor = _Cursor()
        calib = self.session.calibration if self.session is not None else None
        if calib:
            # The scale in force when recording started (later changes are events).
            try:
                msg = parse_channel_message(encode_object(calib))
                if isinstance(msg, CalibrationSet):
                    self._apply(cursor, msg, 0)
            except ProtocolError as exc:
                logger.info("replay ignores the recorded calibration: %s", exc.reason)
        self._checkpoints.append(copy.deepcopy(cursor))
        for i, item in enumerate(self._messages):
            self._apply(cursor, item, self._ticks[i])
            cursor.position = i + 1
            if cursor.position % CHECKPOINT_EVERY == 0:
                self._checkpoints.append(copy.deepcopy(cursor))

    def _restore(self, position: int) -> _Cursor:
        k = min(position // CHECKPOINT_EVERY, len(self._checkpoints) - 1)
        return copy.deepcopy(self._checkpoints[k])

    def state_at(self, media_ts: float) -> ReplayState:
        """What was drawn over the frame shown at ``media_ts``."""
        target = bisect.bisect_right(self._ticks, tick(media_ts))
        if target < self._cursor.position:
            self._cursor = self._restore(target)
        elif target - self._cursor.position > CHECKPOINT_EVERY:
            restored = self._restore(target)
            if restored.position > self._cursor.position:
                self._cursor = restored
        cursor = self._cursor
        while cursor.position < target:
            self._apply(cursor, self._messages[cursor.position], self._ticks[cursor.position])
            cursor.position += 1
        wall = self.session.wall_at(media_ts) if self.session is not None else None
        wall_ms = None if wall is None else int(wall * 1000)
        overlay = cursor.overlay
        annotations = overlay.scene.annotations()
        if wall_ms is not None:
            annotations = tuple(
                a
                for a in annotations
                if a.lifetime_s is None or wall_ms - a.created_ms < a.lifetime_s * 1000
            )
        pointers = overlay.pointers.visible(now=tick(media_ts), hold=tick(POINTER_HOLD_S))
        board = overlay.guidance
        return ReplayState(
            annotations, board.active_entry, board.entries(), pointers, overlay.calibration, wall_ms
        )

    @staticmethod
    def _apply(cursor: _Cursor, msg: ChannelMessage | _Left, at: int) -> None:
        """The live view's reducer, at the moment the event took effect."""
        if isinstance(msg, _Left):
            cursor.overlay.forget_author(msg.name)
            return
        try:
            cursor.overlay.apply(msg, at)
        except SceneError as exc:
            logger.debug("replay: %s", exc)
