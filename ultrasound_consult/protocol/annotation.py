"""The annotation as it travels: kind, geometry in normalised image coordinates, author.

Geometry is always in 0..1 of the transmitted frame (x right, y down), never widget
pixels, so any window size, zoom or replay draws the same picture. ``media_ts`` is the
station's media time (seconds) of the frame the author was looking at.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class AnnotationKind(StrEnum):
    MARK = "mark"  # a pin on one point: "here"
    ARROW = "arrow"  # tail -> head: "look at this"


#: (minimum, maximum) number of points each kind carries.
POINT_COUNTS: dict[AnnotationKind, tuple[int, int]] = {
    AnnotationKind.MARK: (1, 1),
    AnnotationKind.ARROW: (2, 2),
}


def check_point(value: Any, name: str) -> Point:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise bad(f"'{name}' must be a pair [x, y]")
    x = check_float(value[0], f"{name}.x", lo=0.0, hi=1.0)
    y = check_float(value[1], f"{name}.y", lo=0.0, hi=1.0)
    return (x, y)


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

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "points": [[round(x, 6), round(y, 6)] for x, y in self.points],
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
    def from_wire(cls, obj: Any) -> Annotation:
        if not isinstance(obj, dict):
            raise bad("'ann' must be an object")
        kind = req_enum(obj, "kind", AnnotationKind)
        _, hi = POINT_COUNTS[kind]
        raw_points = req_list(obj, "points", max_len=hi)
        points = tuple(check_point(p, f"points[{i}]") for i, p in enumerate(raw_points))
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
