"""The annotation as it travels: kind, geometry in normalised image coordinates, author.

Geometry is always in 0..1 of the transmitted frame (x right, y down), never widget
pixels, so any window size, zoom or replay draws the same picture. ``media_ts`` is the
station's media time (seconds) of the frame the author was looking at.

Kinds and their points:

========  =========================================================================
mark      1: a pin on one point ("here")
arrow     2: tail, head
stroke    1..MAX_STROKE_POINTS: freehand line; long strokes travel as an ``ann.add``
          with the first points and ``ann.extend`` messages with the rest
ellipse   2: opposite corners of the bounding box (a circle when it is square on screen)
rect      2: opposite corners
text      1: where the label's baseline starts; the text is ``label`` (required)
caliper   2: the two ends of a distance measurement
area      3: ends of the first axis, then a point whose distance from that axis is the
          other half-axis: an ellipse area measurement as scanners do it
========  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ultrasound_consult.protocol.fields import (
    bad,
    check_float,
    opt_float,
    opt_str,
    req_color,
    req_enum,
    req_id,
    req_int,
    req_list,
    req_str,
)

Point = tuple[float, float]

MAX_AUTHOR_CHARS = 64
MAX_LABEL_CHARS = 200
#: Points one message may carry: keeps every message under the 16 KiB channel limit.
MAX_POINTS_PER_MESSAGE = 600
#: Points a freehand stroke may have in all (a minute of drawing at 300 points/s).
MAX_STROKE_POINTS = 20_000


class AnnotationKind(StrEnum):
    MARK = "mark"
    ARROW = "arrow"
    STROKE = "stroke"
    ELLIPSE = "ellipse"
    RECT = "rect"
    TEXT = "text"
    CALIPER = "caliper"
    AREA = "area"


#: (minimum, maximum) number of points each kind carries.
POINT_COUNTS: dict[AnnotationKind, tuple[int, int]] = {
    AnnotationKind.MARK: (1, 1),
    AnnotationKind.ARROW: (2, 2),
    AnnotationKind.STROKE: (1, MAX_STROKE_POINTS),
    AnnotationKind.ELLIPSE: (2, 2),
    AnnotationKind.RECT: (2, 2),
    AnnotationKind.TEXT: (1, 1),
    AnnotationKind.CALIPER: (2, 2),
    AnnotationKind.AREA: (3, 3),
}


def check_point(value: Any, name: str) -> Point:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise bad(f"'{name}' must be a pair [x, y]")
    x = check_float(value[0], f"{name}.x", lo=0.0, hi=1.0)
    y = check_float(value[1], f"{name}.y", lo=0.0, hi=1.0)
    return (x, y)


def check_points(raw: list[Any], name: str = "points") -> tuple[Point, ...]:
    return tuple(check_point(p, f"{name}[{i}]") for i, p in enumerate(raw))


def wire_points(points: tuple[Point, ...]) -> list[list[float]]:
    # Five decimals: 0.02 px on a 1920-wide frame, well inside a caliper's pixel.
    return [[round(x, 5), round(y, 5)] for x, y in points]


@dataclass(frozen=True)
class Annotation:
    id: str
    kind: AnnotationKind
    points: tuple[Point, ...]
    author: str
    color: str = "#ffd400"
    media_ts: float | None = None
    created_ms: int = 0
    lifetime_s: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        lo, hi = POINT_COUNTS[self.kind]
        if not lo <= len(self.points) <= hi:
            raise bad(f"a {self.kind.value} needs {lo}..{hi} points, got {len(self.points)}")
        if self.kind is AnnotationKind.TEXT and not self.label.strip():
            raise bad("a text annotation needs a non-empty 'label'")
        if self.media_ts is not None and self.media_ts != round(self.media_ts, 6):
            # At the wire's precision from the start, so the author's own copy equals
            # the one every other side (and the recording) decodes.
            object.__setattr__(self, "media_ts", round(self.media_ts, 6))

    def with_points(self, points: tuple[Point, ...]) -> Annotation:
        return replace(self, points=points)

    def to_wire(self, *, max_points: int | None = None) -> dict[str, Any]:
        """The annotation as JSON; ``max_points`` keeps only the first points (the rest
        travel as extensions)."""
        points = self.points if max_points is None else self.points[:max_points]
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "points": wire_points(points),
            "author": self.author,
            "color": self.color,
            "created_ms": self.created_ms,
        }
        if self.media_ts is not None:
            out["media_ts"] = round(self.media_ts, 6)
        if self.lifetime_s is not None:
            out["lifetime_s"] = self.lifetime_s
        if self.label:
            out["label"] = self.label
        return out

    @classmethod
    def from_wire(cls, obj: Any, *, max_points: int = MAX_POINTS_PER_MESSAGE) -> Annotation:
        if not isinstance(obj, dict):
            raise bad("'ann' must be an object")
        kind = req_enum(obj, "kind", AnnotationKind)
        _, hi = POINT_COUNTS[kind]
        points = check_points(req_list(obj, "points", max_len=min(hi, max_points)))
        return cls(
            id=req_id(obj, "id"),
            kind=kind,
            points=points,
            author=req_str(obj, "author", max_len=MAX_AUTHOR_CHARS, allow_empty=True),
            color=req_color(obj, "color"),
            media_ts=opt_float(obj, "media_ts", lo=0.0),
            created_ms=req_int(obj, "created_ms", lo=0),
            lifetime_s=opt_float(obj, "lifetime_s", lo=0.0, hi=3600.0),
            label=opt_str(obj, "label", max_len=MAX_LABEL_CHARS, default="") or "",
        )
