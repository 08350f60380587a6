"""The session bundle on disk: a folder readable without the app (see docs/bundle.md).

::

    session.json          what was recorded: schema, participants, times, source, tracks
    events.jsonl          one JSON object a line: annotation ops, cues, acks, markers...
    video-ultrasound.mp4  the ultrasound track, fragmented MP4 (H.264)
    video-camera.mp4      the second camera, if there was one
    snapshots/            the experts' frozen frames (JPEG) named by snapshot id
    reviews/              QC reviews, one JSON file each: never part of the record

This module only reads and writes the JSON parts; it does no media work.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeGuard

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.fields import check_text_tree
from ultrasound_consult.schema import Migration, SchemaError, migrate

SCHEMA_VERSION = 1
#: session.json's migrations, ``{from_schema: step}`` (see :mod:`ultrasound_consult.schema`).
SESSION_STEPS: dict[int, Migration] = {}
SESSION_FILE = "session.json"
EVENTS_FILE = "events.jsonl"
SNAPSHOTS_DIR = "snapshots"
REVIEWS_DIR = "reviews"
#: The tracks a bundle may hold; each is ``video-<name>.mp4``.
ULTRASOUND = "ultrasound"
CAMERA = "camera"
TRACKS = (ULTRASOUND, CAMERA)
#: Larger lines are refused by the reader (the biggest op is well under 16 KiB).
MAX_EVENT_LINE = 64 * 1024


class BundleError(Exception):
    """The folder is not a readable bundle; the message says why and what to do."""


#: A bundle's files are untrusted input (copied around, possibly damaged or forged):
#: they are read with the limits of the wire decoders.
MAX_SESSION_BYTES = 4 * 1024 * 1024
MAX_EVENTS_BYTES = 512 * 1024 * 1024
MAX_PARTICIPANTS = 1000


def load_json(text: str, what: str) -> Any:
    """Parse ``text`` as the wire decoders do: no NaN/Infinity, no 20+ digit integers,
    at most :data:`MAX_DEPTH` levels, text only; a refusal is a :class:`BundleError`."""
    try:
        obj = json.loads(text, parse_constant=_no_constant, parse_int=_small_int)
        check_text_tree(obj)
    except ProtocolError as exc:
        raise BundleError(f"{what}: {exc.reason}") from None
    except RecursionError:
        raise BundleError(f"{what}: nested too deeply") from None
    except ValueError as exc:
        raise BundleError(f"{what}: not JSON ({getattr(exc, 'msg', exc)})") from None
    return obj


def _no_constant(name: str) -> Any:
    raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{name} is not a number JSON allows")


def _small_int(text: str) -> int:
    if len(text.lstrip("-")) > 20:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "an integer has too many digits")
    return int(text)


def confined_file(folder: Path, name: Any) -> Path:
    """``folder / name`` for a plain file name of the bundle; anything that could point
    elsewhere (``../x``, ``/etc/x``, ``a/b``) is refused."""
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or Path(name).is_absolute()
    ):
        raise BundleError(f"{name!r} is not a file name inside the recording's folder")
    return Path(folder) / name


def video_file(track: str) -> str:
    return f"video-{track}.mp4"


@dataclass
class TrackInfo:
    """One recorded video track.

    ``t0`` is the station media time of the file's first frame: a frame's media time
    is ``t0 + pts * time_base``. (MP4 muxers move the first timestamp to zero, so the
    offset cannot live in the file itself.)
    """

    name: str
    file: str
    codec: str
    width: int = 0
    height: int = 0
    fps: float = 0.0
    t0: float | None = None
    settings: dict[str, str] = field(default_factory=dict)


@dataclass
class Participant:
    id: str
    name: str
    role: str
    joined_wall: float | None = None
    left_wall: float | None = None


@dataclass
class SessionInfo:
    """``session.json``. Written when recording starts, rewritten (atomically) as it
    learns more and when it ends; ``status`` is ``recording`` until a clean stop."""

    room: str
    recorded_by: str
    recorder_role: str
    app_version: str
    schema: int = SCHEMA_VERSION
    status: str = "recording"
    stop_reason: str = ""
    started_wall: float = 0.0
    ended_wall: float | None = None
    source: str = ""
    calibration: dict[str, Any] | None = None
    participants: list[Participant] = field(default_factory=list)
    tracks: list[TrackInfo] = field(default_factory=list)
    #: A station media time and the wall clock at that moment: maps one onto the other.
    clock_media_ts: float | None = None
    clock_wall: float | None = None

    def track(self, name: str) -> TrackInfo | None:
        return next((t for t in self.tracks if t.name == name), None)

    def wall_at(self, media_ts: float) -> float | None:
        if self.clock_media_ts is None or self.clock_wall is None:
            return None
        return self.clock_wall + (media_ts - self.clock_media_ts)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: Any) -> SessionInfo:
        if not isinstance(obj, dict):
            raise BundleError("session.json is not a JSON object")
        if "schema" not in obj:
            raise BundleError("session.json has no schema version")
        try:
            # In memory only: a recording is never rewritten by reading it.
            obj, _ = migrate(
                obj, what="this recording", current=SCHEMA_VERSION, steps=SESSION_STEPS
            )
        except SchemaError as exc:
            raise BundleError(str(exc)) from None
        try:
            data = _typed(cls, obj, _SESSION_TYPES)
            participants = _list(obj.get("participants", []), "participants")
            tracks = _list(obj.get("tracks", []), "tracks")
            if len(participants) > MAX_PARTICIPANTS or len(tracks) > len(TRACKS):
                raise TypeError("too many participants or tracks")
            data["participants"] = [
                Participant(**_typed(Participant, p, _PARTICIPANT_TYPES)) for p in participants
            ]
            data["tracks"] = [TrackInfo(**_typed(TrackInfo, t, _TRACK_TYPES)) for t in tracks]
            for track in data["tracks"]:
                if track.name not in TRACKS:
                    raise TypeError(f"unknown track {track.name[:40]!r}")
                confined_file(Path("."), track.file)
            return cls(**data)
        except (TypeError, AttributeError) as exc:
            raise BundleError(f"session.json is malformed: {exc}") from None
        except BundleError as exc:
            raise BundleError(f"session.json is malformed: {exc}") from None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


#: Times (Unix seconds, media seconds) beyond this are not times: 1e11 s is the year 5138.
#: A finite 1e305 passed the finite test and overflowed the replay's clock (fuzzed).
MAX_SECONDS = 1e11


def _seconds(value: Any) -> TypeGuard[float]:
    return _number(value) and abs(value) <= MAX_SECONDS


def _opt(check: Any) -> Any:
    return lambda v: v is None or check(v)


def _is_str(v: Any) -> bool:
    return isinstance(v, str) and len(v) <= 4096


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 1_000_000


def _is_str_map(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_str(k) and _is_str(x) for k, x in v.items())


#: The type each field of session.json must have (anything else is refused, never used).
_SESSION_TYPES: dict[str, Any] = {
    "room": _is_str,
    "recorded_by": _is_str,
    "recorder_role": _is_str,
    "app_version": _is_str,
    "schema": _is_int,
    "status": _is_str,
    "stop_reason": _is_str,
    "started_wall": _seconds,
    "ended_wall": _opt(_seconds),
    "source": _is_str,
    "calibration": _opt(lambda v: isinstance(v, dict)),
    "clock_media_ts": _opt(_seconds),
    "clock_wall": _opt(_seconds),
}
_PARTICIPANT_TYPES: dict[str, Any] = {
    "id": _is_str,
    "name": _is_str,
    "role": _is_str,
    "joined_wall": _opt(_seconds),
    "left_wall": _opt(_seconds),
}
_TRACK_TYPES: dict[str, Any] = {
    "name": _is_str,
    "file": _is_str,
    "codec": _is_str,
    "width": _is_int,
    "height": _is_int,
    "fps": lambda v: _number(v) and 0 <= v <= 1000,
    "t0": _opt(_seconds),
    "settings": _is_str_map,
}


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"'{name}' is not a list")
    return value


def _typed(cls: type, obj: Any, types: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``cls`` found in ``obj``, each checked against ``types``."""
    if not isinstance(obj, dict):
        raise TypeError(f"expected an object, got {type(obj).__name__}")
    names = {f.name for f in fields(cls)}
    out = {}
    for key, value in obj.items():
        if key not in names or key in ("participants", "tracks"):
            continue
        check = types.get(key)
        if check is not None and not check(value):
            raise TypeError(f"'{key}' has the wrong type or range")
        out[key] = value
    return out


@dataclass(frozen=True)
class Event:
    """One line of ``events.jsonl``.

    ``t``: station media time the event belongs to (seconds; None before the first
    frame). ``wall``: Unix time when it was logged. ``type``: a data-channel message
    type (``ann.add``, ``cue``, ``cue.state``, ``calib``...) whose wire form is
    ``data``, or one of the recorder's own types (:data:`RECORDER_TYPES`). ``by``: who
    caused it. ``anchor``: for an annotation, the media time of the frame its author
    was looking at (replay shows it from that frame on).
    """

    t: float | None
    wall: float
    type: str
    by: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    anchor: float | None = None

    def to_line(self) -> str:
        obj: dict[str, Any] = {
            "t": None if self.t is None else round(self.t, 6),
            "wall": round(self.wall, 6),
            "type": self.type,
        }
        if self.by:
            obj["by"] = self.by
        if self.anchor is not None:
            obj["anchor"] = round(self.anchor, 6)
        if self.data:
            obj["data"] = self.data
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"

    @classmethod
    def from_line(cls, line: str) -> Event:
        if len(line) > MAX_EVENT_LINE:
            raise BundleError("line too long")
        obj = load_json(line, "line")
        if not isinstance(obj, dict):
            raise BundleError("not a JSON object")
        t, wall, anchor = obj.get("t"), obj.get("wall"), obj.get("anchor")
        kind, by, data = obj.get("type"), obj.get("by", ""), obj.get("data", {})
        if not isinstance(kind, str) or not kind:
            raise BundleError("no type")
        if (
            not _seconds(wall)
            or not (t is None or _seconds(t))
            or not (anchor is None or _seconds(anchor))
        ):
            raise BundleError("bad time")
        if not isinstance(by, str) or not isinstance(data, dict):
            raise BundleError("bad by/data")
        return cls(
            t=None if t is None else float(t),
            wall=float(wall),
            type=kind,
            by=by,
            data=data,
            anchor=None if anchor is None else float(anchor),
        )


#: Event types the recorder writes itself (the rest are data-channel messages).
REC_START = "rec.start"
REC_PROGRESS = "rec.progress"  # once a second: frames written so far, per track
REC_STOP = "rec.stop"
REC_PROBLEM = "rec.problem"  # frames dropped, a write that failed
MARKER = "marker"  # a moment someone flagged ("look here"), with a label
CALL_STATE = "call.state"
PEER_JOINED = "peer.joined"
PEER_LEFT = "peer.left"
SOURCE_SWITCH = "source.switch"  # the station carried on from another source
QUALITY = "quality"  # the station's quality preset changed (by whom)
ERROR = "error"
ACK = "ack"
SNAPSHOT = "snapshot"
CHAT = "chat"
#: A lecture's course: started or stopped (``on``), a question asked, a trainee unmuted.
LECTURE = "lecture.event"
RECORDER_TYPES = (
    REC_START,
    REC_PROGRESS,
    REC_STOP,
    REC_PROBLEM,
    MARKER,
    CALL_STATE,
    PEER_JOINED,
    PEER_LEFT,
    ERROR,
    ACK,
    SNAPSHOT,
    CHAT,
    LECTURE,
)


@dataclass
class EventLog:
    """The events a reader could get out of ``events.jsonl``, and what it could not."""

    events: list[Event]
    #: (line number, reason) for each line that was skipped.
    bad_lines: list[tuple[int, str]]
    #: The file ended in the middle of a line (a crash while writing it).
    truncated_tail: bool = False


def read_events(path: Path) -> EventLog:
    """Every readable line; a bad line is skipped and reported, never fatal."""
    events: list[Event] = []
    bad: list[tuple[int, str]] = []
    truncated = False
    with open(path, "rb") as fh:
        raw = fh.read(MAX_EVENTS_BYTES + 1)
    if len(raw) > MAX_EVENTS_BYTES:
        raw = raw[:MAX_EVENTS_BYTES]
        bad.append((0, f"the file is over {MAX_EVENTS_BYTES >> 20} MB; the rest is not read"))
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        truncated = True  # no newline after the last line: it was being written
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(Event.from_line(line.decode("utf-8")))
        except UnicodeDecodeError:
            bad.append((number, "not UTF-8"))
        except BundleError as exc:
            if truncated and number == len(lines):
                continue  # the half-written last line: reported as truncated_tail
            bad.append((number, str(exc)))
    return EventLog(events, bad, truncated)


def read_session(folder: Path) -> SessionInfo:
    path = Path(folder) / SESSION_FILE
    try:
        if path.stat().st_size > MAX_SESSION_BYTES:
            raise BundleError(f"{SESSION_FILE} is over {MAX_SESSION_BYTES >> 20} MB: not ours")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BundleError(
            f"{SESSION_FILE} is damaged (not UTF-8); the video may still play"
        ) from None
    except FileNotFoundError:
        raise BundleError(
            f"{folder} has no {SESSION_FILE}: it is not a recording made by ultrasound-consult"
        ) from None
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from None
    try:
        obj = load_json(text, SESSION_FILE)
    except BundleError as exc:
        raise BundleError(f"{exc}: damaged; the video may still play") from None
    return SessionInfo.from_json(obj)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write to a temporary file, fsync, rename: a crash leaves the old or the new file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes it owner-only (0600), as every file of a recording is: clinical
        # data is shared on purpose (README), not by default.
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, ensure_ascii=False, indent=2, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
