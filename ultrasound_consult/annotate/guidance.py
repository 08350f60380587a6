"""Probe-guidance state: which cue the station shows, and what became of each.

The station keeps a :class:`GuidanceBoard`: one cue on screen at a time (a newer one
replaces it), each ending as done, can't, cancelled or replaced. Viewers mirror it
from the station's ``cue.state`` messages. Also the pictogram geometry: where each
direction points on the body marker (patient supine, seen from the feet: the
patient's left on the viewer's right).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from ultrasound_consult.protocol.guidance import (
    FINAL_STATUSES,
    Action,
    Cue,
    CueState,
    CueStatus,
    Direction,
)

#: Cues remembered (with their outcome) per board.
HISTORY = 200


@dataclass(frozen=True)
class CueEntry:
    cue: Cue
    status: CueStatus
    by: str = ""
    at_ms: int = 0


class GuidanceBoard:
    def __init__(self) -> None:
        self._entries: OrderedDict[str, CueEntry] = OrderedDict()
        self.active: str | None = None
        self.revision = 0

    def get(self, cue_id: str) -> CueEntry | None:
        return self._entries.get(cue_id)

    def entries(self) -> tuple[CueEntry, ...]:
        return tuple(self._entries.values())

    @property
    def active_entry(self) -> CueEntry | None:
        return None if self.active is None else self._entries.get(self.active)

    # --- station -----------------------------------------------------------

    def show(self, cue: Cue, now_ms: int) -> list[CueState]:
        """A new cue from an expert: it goes on screen, the one before is replaced."""
        if cue.id in self._entries:
            return []  # a retry
        changes: list[CueState] = []
        if self.active is not None:
            changes += self._set(self.active, CueStatus.REPLACED, "", now_ms)
        self._entries[cue.id] = CueEntry(cue, CueStatus.SENT)
        while len(self._entries) > HISTORY:
            self._entries.popitem(last=False)
        changes += self._set(cue.id, CueStatus.SHOWN, "", now_ms)
        self.active = cue.id
        return changes

    def answer(self, cue_id: str, status: CueStatus, by: str, now_ms: int) -> list[CueState]:
        """The sonographer's done / can't, or the expert's cancel."""
        entry = self._entries.get(cue_id)
        if entry is None or entry.status in FINAL_STATUSES:
            return []
        return self._set(cue_id, status, by, now_ms)

    # --- viewers -------------------------------------------------------------

    def remember(self, cue: Cue) -> None:
        """An expert's own cue, before the station has said anything about it."""
        if cue.id not in self._entries:
            self._entries[cue.id] = CueEntry(cue, CueStatus.SENT)
            self.revision += 1

    def apply_state(self, state: CueState, cue: Cue | None = None) -> bool:
        entry = self._entries.get(state.id)
        if entry is None:
            if cue is None:
                return False
            entry = CueEntry(cue, CueStatus.SENT)
        self._entries[state.id] = CueEntry(entry.cue, state.status, state.by, state.at_ms)
        if state.status is CueStatus.SHOWN:
            self.active = state.id
        elif self.active == state.id:
            self.active = None
        self.revision += 1
        return True

    def _set(self, cue_id: str, status: CueStatus, by: str, now_ms: int) -> list[CueState]:
        entry = self._entries[cue_id]
        self._entries[cue_id] = CueEntry(entry.cue, status, by, now_ms)
        if status in FINAL_STATUSES and self.active == cue_id:
            self.active = None
        self.revision += 1
        return [CueState(cue_id, status, by, now_ms)]


#: Direction on the pictogram (x right, y down) for the body-frame directions.
_BODY_VECTORS = {
    Direction.HEAD: (0.0, -1.0),
    Direction.FEET: (0.0, 1.0),
    # Patient supine, seen from the feet: their left is on the viewer's right.
    Direction.PATIENT_LEFT: (1.0, 0.0),
    Direction.PATIENT_RIGHT: (-1.0, 0.0),
}


def marker_vector(marker_deg: float) -> tuple[float, float]:
    """Where the probe's marker points on the pictogram (0° = head, 90° = patient's left)."""
    r = math.radians(marker_deg)
    return (math.sin(r), -math.cos(r))


def motion_vector(cue: Cue) -> tuple[float, float] | None:
    """The pictogram direction of a sliding/sweeping/tilting motion, if it has one."""
    if cue.direction in _BODY_VECTORS:
        return _BODY_VECTORS[cue.direction]
    if cue.direction in (Direction.TOWARD_MARKER, Direction.AWAY_FROM_MARKER):
        mx, my = marker_vector(cue.marker_deg if cue.marker_deg is not None else 90.0)
        sign = 1.0 if cue.direction is Direction.TOWARD_MARKER else -1.0
        return (sign * mx, sign * my)
    return None


def spin(cue: Cue) -> float:
    """+1 clockwise, -1 counter-clockwise, 0 for non-rotations."""
    if cue.action is not Action.ROTATE:
        return 0.0
    return 1.0 if cue.direction is Direction.CLOCKWISE else -1.0
