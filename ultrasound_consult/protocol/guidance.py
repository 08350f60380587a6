"""Probe-guidance cues: what the expert asks the sonographer's hand to do.

The vocabulary is the AIUM one (slide, sweep, rock, tilt/fan, rotate, compress,
hold still) plus imaging requests. Every motion carries an explicit direction in the
**patient's** frame, never "left" or "up" on somebody's screen:

* ``head`` / ``feet``: toward the patient's head or feet;
* ``patient_left`` / ``patient_right``: the patient's own left or right;
* ``toward_marker`` / ``away_from_marker``: toward or away from the probe's
  orientation marker (the notch or ridge on its side);
* ``clockwise`` / ``counterclockwise``: as seen looking down the probe's handle onto
  the skin, with an angle in degrees;
* ``more`` / ``less``: pressure, for compress.

A cue may also place the probe on the body-marker pictogram: ``probe`` is a point of
the pictogram (0..1, patient supine seen from the feet end: the patient's right on the
viewer's left, head at the top) and ``marker_deg`` is where the probe's marker points
on that drawing (0 = toward the head, 90 = toward the patient's left, clockwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from ultrasound_consult.protocol.annotation import MAX_AUTHOR_CHARS, Point, check_point
from ultrasound_consult.protocol.fields import (
    bad,
    opt_float,
    opt_seq,
    opt_str,
    req_enum,
    req_id,
    req_int,
    req_object,
    req_str,
)

MAX_NOTE_CHARS = 120


class Action(StrEnum):
    # Probe motions (AIUM).
    SLIDE = "slide"
    SWEEP = "sweep"
    ROCK = "rock"
    TILT = "tilt"  # also called fanning
    ROTATE = "rotate"
    COMPRESS = "compress"  # with more / less: press or release
    HOLD = "hold"
    # Imaging requests.
    DEPTH_UP = "depth_up"
    DEPTH_DOWN = "depth_down"
    GAIN_UP = "gain_up"
    GAIN_DOWN = "gain_down"
    COLOR_DOPPLER = "color_doppler"
    POWER_DOPPLER = "power_doppler"
    FREEZE = "freeze"
    SAVE_CLIP = "save_clip"


class Direction(StrEnum):
    HEAD = "head"
    FEET = "feet"
    PATIENT_LEFT = "patient_left"
    PATIENT_RIGHT = "patient_right"
    TOWARD_MARKER = "toward_marker"
    AWAY_FROM_MARKER = "away_from_marker"
    CLOCKWISE = "clockwise"
    COUNTERCLOCKWISE = "counterclockwise"
    MORE = "more"
    LESS = "less"


_BODY = frozenset({Direction.HEAD, Direction.FEET, Direction.PATIENT_LEFT, Direction.PATIENT_RIGHT})
_MARKER = frozenset({Direction.TOWARD_MARKER, Direction.AWAY_FROM_MARKER})

#: The directions each action accepts; an empty set means the action takes none.
DIRECTIONS: dict[Action, frozenset[Direction]] = {
    Action.SLIDE: _BODY | _MARKER,
    Action.SWEEP: _BODY | _MARKER,
    Action.ROCK: _MARKER,
    Action.TILT: _BODY | _MARKER,
    Action.ROTATE: frozenset({Direction.CLOCKWISE, Direction.COUNTERCLOCKWISE}),
    Action.COMPRESS: frozenset({Direction.MORE, Direction.LESS}),
    Action.HOLD: frozenset(),
    **{
        a: frozenset()
        for a in (
            Action.DEPTH_UP,
            Action.DEPTH_DOWN,
            Action.GAIN_UP,
            Action.GAIN_DOWN,
            Action.COLOR_DOPPLER,
            Action.POWER_DOPPLER,
            Action.FREEZE,
            Action.SAVE_CLIP,
        )
    },
}
MOTIONS = (
    Action.SLIDE,
    Action.SWEEP,
    Action.ROCK,
    Action.TILT,
    Action.ROTATE,
    Action.COMPRESS,
    Action.HOLD,
)
REQUESTS = tuple(a for a in Action if a not in MOTIONS)
#: Actions that may carry an angle (degrees), and the one that must.
ANGLED = frozenset({Action.ROCK, Action.TILT, Action.ROTATE})
MAX_ANGLE_DEG = 180.0


class CueStatus(StrEnum):
    SENT = "sent"  # the expert's side, until the station says more
    SHOWN = "shown"  # on the station's screen
    DONE = "done"
    CANT = "cant"  # the sonographer cannot do it (say why by voice)
    CANCELLED = "cancelled"  # withdrawn by the expert
    REPLACED = "replaced"  # a newer cue took its place


FINAL_STATUSES = frozenset(
    {CueStatus.DONE, CueStatus.CANT, CueStatus.CANCELLED, CueStatus.REPLACED}
)


@dataclass(frozen=True)
class Cue:
    id: str
    action: Action
    author: str
    direction: Direction | None = None
    angle_deg: float | None = None
    probe: Point | None = None
    marker_deg: float | None = None
    note: str = ""
    created_ms: int = 0
    media_ts: float | None = None

    def __post_init__(self) -> None:
        allowed = DIRECTIONS[self.action]
        if self.direction is None and allowed:
            raise bad(f"'{self.action.value}' needs a direction: " + _names(allowed))
        if self.direction is not None and self.direction not in allowed:
            raise bad(
                f"'{self.action.value}' cannot go '{self.direction.value}'"
                + (f"; it takes {_names(allowed)}" if allowed else "; it takes no direction")
            )
        if self.angle_deg is not None and self.action not in ANGLED:
            raise bad(f"'{self.action.value}' takes no angle")
        if self.action is Action.ROTATE and self.angle_deg is None:
            raise bad("'rotate' needs 'angle_deg' (how far to turn)")
        if self.angle_deg is not None and not 1.0 <= self.angle_deg <= MAX_ANGLE_DEG:
            raise bad(f"'angle_deg' must be between 1 and {MAX_ANGLE_DEG:.0f}")
        if self.marker_deg is not None and self.probe is None:
            raise bad("'marker_deg' needs 'probe' (where on the body the probe is)")

    @property
    def is_motion(self) -> bool:
        return self.action in MOTIONS

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "action": self.action.value,
            "author": self.author,
            "created_ms": self.created_ms,
        }
        if self.direction is not None:
            out["direction"] = self.direction.value
        if self.angle_deg is not None:
            out["angle_deg"] = round(self.angle_deg, 2)
        if self.probe is not None:
            out["probe"] = [round(self.probe[0], 4), round(self.probe[1], 4)]
        if self.marker_deg is not None:
            out["marker_deg"] = round(self.marker_deg, 2)
        if self.note:
            out["note"] = self.note
        if self.media_ts is not None:
            out["media_ts"] = round(self.media_ts, 6)
        return out

    @classmethod
    def from_wire(cls, obj: Any) -> Cue:
        if not isinstance(obj, dict):
            raise bad("'cue' must be an object")
        direction = None if obj.get("direction") is None else req_enum(obj, "direction", Direction)
        probe = None if obj.get("probe") is None else check_point(obj["probe"], "probe")
        return cls(
            id=req_id(obj, "id"),
            action=req_enum(obj, "action", Action),
            author=req_str(obj, "author", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            direction=direction,
            angle_deg=opt_float(obj, "angle_deg", lo=-1e9, hi=1e9),
            probe=probe,
            marker_deg=opt_float(obj, "marker_deg", lo=-360.0, hi=720.0),
            note=opt_str(obj, "note", max_len=MAX_NOTE_CHARS, default="") or "",
            created_ms=req_int(obj, "created_ms", lo=0),
            media_ts=opt_float(obj, "media_ts", lo=0.0),
        )


def _names(directions: frozenset[Direction]) -> str:
    return ", ".join(sorted(d.value for d in directions))


@dataclass(frozen=True)
class CueSend:
    """Expert to station (ops channel): show this cue."""

    TYPE: ClassVar[str] = "cue"
    op: str
    cue: Cue
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "seq": self.seq, "cue": self.cue.to_wire()}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> CueSend:
        return cls(
            op=req_id(obj, "op"),
            cue=Cue.from_wire(req_object(obj, "cue")),
            seq=opt_seq(obj),
        )


@dataclass(frozen=True)
class CueCancel:
    """Expert to station: withdraw a cue."""

    TYPE: ClassVar[str] = "cue.cancel"
    op: str
    id: str
    seq: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "op": self.op, "seq": self.seq, "id": self.id}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> CueCancel:
        return cls(op=req_id(obj, "op"), id=req_id(obj, "id"), seq=opt_seq(obj))


@dataclass(frozen=True)
class CueState:
    """Station to everyone: what became of a cue (shown, done, can't, ...)."""

    TYPE: ClassVar[str] = "cue.state"
    id: str
    status: CueStatus
    by: str = ""
    at_ms: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "id": self.id,
            "status": self.status.value,
            "by": self.by,
            "at_ms": self.at_ms,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> CueState:
        return cls(
            id=req_id(obj, "id"),
            status=req_enum(obj, "status", CueStatus),
            by=req_str(obj, "by", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            at_ms=req_int(obj, "at_ms", lo=0),
        )
