"""Open a recorded session: whatever is readable, and a list of what is not.

A bundle cut short by a crash, a full disk or a careless copy still opens: the
session file, the events and each video are read independently, and every problem
becomes a sentence in :attr:`SessionBundle.problems` rather than an exception.
:meth:`SessionBundle.check` is what ``ultrasound-consult replay BUNDLE --check`` prints.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ultrasound_consult.record.bundle import (
    EVENTS_FILE,
    REC_PROGRESS,
    REC_START,
    REC_STOP,
    SESSION_FILE,
    TRACKS,
    ULTRASOUND,
    BundleError,
    Event,
    EventLog,
    SessionInfo,
    TrackInfo,
    read_events,
    read_session,
    video_file,
)
from ultrasound_consult.record.player import (
    VideoReadError,
    VideoTrackReader,
    decode_check,
    index_video,
)
from ultrasound_consult.record.recorder import RESERVE_FILE
from ultrasound_consult.record.timeline import Timeline

logger = logging.getLogger(__name__)

#: A recording whose files have not changed for this long is not being written (the
#: recorder logs its progress every second).
STALE_S = 30.0


@dataclass
class SessionBundle:
    folder: Path
    info: SessionInfo
    events: list[Event]
    problems: list[str] = field(default_factory=list)
    event_log: EventLog | None = None
    _readers: dict[str, VideoTrackReader] = field(default_factory=dict)
    _timeline: Timeline | None = None

    @classmethod
    def open(cls, folder: Path | str) -> SessionBundle:
        """Raises :class:`BundleError` only if nothing at all can be read."""
        folder = Path(folder)
        if not folder.is_dir():
            raise BundleError(f"{folder} is not a folder; open the recording's folder")
        problems: list[str] = []
        try:
            info = read_session(folder)
        except BundleError as exc:
            if (
                not any((folder / video_file(t)).exists() for t in TRACKS)
                and not (folder / EVENTS_FILE).exists()
            ):
                raise
            problems.append(str(exc))
            info = SessionInfo(room="", recorded_by="", recorder_role="", app_version="?")
            info.status = "unknown"
        events: list[Event] = []
        log = None
        try:
            log = read_events(folder / EVENTS_FILE)
            events = log.events
            if log.bad_lines:
                first = ", ".join(f"{n} ({why})" for n, why in log.bad_lines[:3])
                problems.append(
                    f"{len(log.bad_lines)} line(s) of {EVENTS_FILE} could not be read and were "
                    f"skipped: {first}"
                )
            if log.truncated_tail:
                problems.append(f"{EVENTS_FILE} ends in the middle of a line (cut short)")
        except FileNotFoundError:
            problems.append(f"{EVENTS_FILE} is missing: the video plays without annotations")
        except OSError as exc:
            problems.append(f"{EVENTS_FILE} cannot be read ({exc.strerror})")
        bundle = cls(folder, info, events, problems, log)
        bundle._remove_stale_reserve()
        if info.status == "recording":
            problems.append(
                "the recording did not end cleanly (the app or computer stopped while "
                "recording); everything up to the last second or so is kept"
            )
        elif info.status == "failed":
            problems.append(f"the recording stopped early: {info.stop_reason}")
        return bundle

    def _remove_stale_reserve(self) -> None:
        """The recorder holds a small ``.reserve`` file (room for its last lines on a full
        disk) and deletes it when it stops; a crash leaves it behind. Once nothing has
        been written for :data:`STALE_S`, it is the crash's, and goes."""
        reserve = self.folder / RESERVE_FILE
        if not reserve.exists():
            return
        written = [self.folder / n for n in (EVENTS_FILE, SESSION_FILE)]
        newest = max((p.stat().st_mtime for p in written if p.exists()), default=0.0)
        if self.info.status != "recording" or time.time() - newest > STALE_S:
            try:
                reserve.unlink()
                logger.info("removed %s left by a recording that stopped abruptly", reserve)
            except OSError:
                pass  # a read-only copy: harmless, and not ours to change

    # --- video ---------------------------------------------------------------------------

    def track_info(self, name: str) -> TrackInfo:
        track = self.info.track(name)
        if track is not None:
            return track
        # session.json lost: the file alone, with its first frame at media time 0.
        return TrackInfo(name, video_file(name), "h264", t0=0.0)

    def tracks_on_disk(self) -> list[str]:
        return [t for t in TRACKS if (self.folder / video_file(t)).exists()]

    def reader(self, name: str = ULTRASOUND) -> VideoTrackReader:
        """Raises :class:`VideoReadError` if the track cannot be played at all."""
        reader = self._readers.get(name)
        if reader is None:
            track = self.track_info(name)
            path = self.folder / track.file
            if not path.exists():
                raise VideoReadError(f"this recording has no {name} video ({track.file})")
            reader = VideoTrackReader(path, t0=track.t0 or 0.0)
            if reader.index.problem:
                self.problems.append(f"{track.file}: {reader.index.problem}")
            self._readers[name] = reader
        return reader

    @property
    def timeline(self) -> Timeline:
        if self._timeline is None:
            self._timeline = Timeline(self.events, self.info)
        return self._timeline

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    # --- the integrity check -------------------------------------------------------------

    def check(self) -> dict[str, Any]:
        """One JSON-able summary: frames per track, duration, events by type, problems."""
        problems = list(self.problems)
        tracks: dict[str, Any] = {}
        for name in self.tracks_on_disk():
            track = self.track_info(name)
            try:
                index = index_video(self.folder / track.file)
            except VideoReadError as exc:
                problems.append(str(exc))
                tracks[name] = {"frames": 0, "readable": False}
                continue
            if index.problem:
                problems.append(f"{track.file}: {index.problem}")
            decoded = decode_check(self.folder / track.file)
            if decoded.errors:
                problems.append(
                    f"{track.file}: {decoded.errors} decoding error(s) in {decoded.frames} "
                    f"frames: the video is damaged (first: {decoded.first_error})"
                )
            t0 = track.t0 or 0.0
            first = t0 + index.pts[0] * index.time_base if index.pts else None
            last = t0 + index.pts[-1] * index.time_base if index.pts else None
            tracks[name] = {
                "frames": len(index.pts),
                "keyframes": len(index.keyframes),
                "first_media_ts": _r(first),
                "last_media_ts": _r(last),
                "duration_s": _r(last - first) if first is not None and last is not None else 0,
                "size": [track.width, track.height],
                "bytes": index.total_bytes,
                "decoded_frames": decoded.frames,
                "decode_errors": decoded.errors,
            }
        for name in TRACKS:
            if self.info.track(name) is not None and name not in tracks:
                problems.append(f"{video_file(name)} is missing")
        if self.event_log is not None and not any(e.type == REC_START for e in self.events):
            problems.append(
                f"{EVENTS_FILE} has no '{REC_START}' line: it was emptied or cut at its start"
            )
        if self.info.status == "complete" and not any(e.type == REC_STOP for e in self.events):
            problems.append(f"{EVENTS_FILE} has no '{REC_STOP}' line though the recording ended")
        timed = [e.t for e in self.events if e.t is not None]
        by_type = Counter(e.type for e in self.events)
        lost = self._loss_estimate(tracks)
        if lost:
            problems += lost["notes"]
        ultrasound = tracks.get(ULTRASOUND, {})
        return {
            "bundle": str(self.folder),
            "schema": self.info.schema,
            "status": self.info.status,
            "complete": self.info.status == "complete",
            "room": self.info.room,
            "recorded_by": self.info.recorded_by,
            "duration_s": ultrasound.get("duration_s", 0),
            "tracks": tracks,
            "events": {
                "total": len(self.events),
                "by_type": dict(sorted(by_type.items())),
                "first_media_ts": _r(min(timed)) if timed else None,
                "last_media_ts": _r(max(timed)) if timed else None,
            },
            "lost": {k: v for k, v in lost.items() if k != "notes"} if lost else {},
            "problems": problems,
            "ok": not problems,
        }

    def _loss_estimate(self, tracks: dict[str, Any]) -> dict[str, Any]:
        """For a recording that did not end cleanly: how much the crash took.

        The recorder logs its progress every second; the last progress line says how
        many frames had been handed to the file. Frames in the file short of that,
        plus whatever came after the last line, are what was lost.
        """
        if self.info.status == "complete":
            return {}
        progress = [e for e in self.events if e.type == REC_PROGRESS]
        if not progress:
            return {}
        last = progress[-1]
        notes = []
        out: dict[str, Any] = {"last_progress_wall": _r(last.wall)}
        out["events_end_wall"] = _r(max(e.wall for e in self.events))
        last_event_t = max((e.t for e in self.events if e.t is not None), default=None)
        for name, stats in last.data.items():
            if not isinstance(stats, dict) or name not in tracks:
                continue
            in_file = tracks[name].get("last_media_ts")
            logged = stats.get("last_media_ts")
            if isinstance(logged, int | float) and in_file is not None:
                behind = max(0.0, float(logged) - float(in_file))
                out[f"{name}_video_s_short_of_last_progress"] = _r(behind)
            if last_event_t is not None and in_file is not None:
                gap = max(0.0, last_event_t - float(in_file))
                out[f"{name}_video_s_before_last_event"] = _r(gap)
                notes.append(f"{video_file(name)} ends {gap:.2f} s before the last recorded event")
        out["notes"] = notes
        return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


__all__ = ["SESSION_FILE", "BundleError", "SessionBundle"]
