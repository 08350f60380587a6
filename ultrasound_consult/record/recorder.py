"""Write a session bundle while the call goes on, on a thread of its own.

The engine loop only hands frames and events over (a deque append under a lock);
encoding, muxing, writing and fsync happen on the recorder's thread, so recording
never slows the live picture. If the thread falls behind, the oldest queued frames
are dropped and counted (the live call is never held back for the record).

Crash safety: video is fragmented MP4 cut every half second, written straight to
the OS (no Python buffer), events are flushed after every batch; both are fsynced
once a second. A kill -9 or a pulled plug loses at most about a second of each.
A write that fails (disk full, USB disk pulled) stops the recording with a clear
message; what is already on disk stays readable.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from ultrasound_consult.media.convert import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, to_video_frame
from ultrasound_consult.private_files import make_private, private_dir
from ultrasound_consult.record.bundle import (
    EVENTS_FILE,
    REC_PROBLEM,
    REC_PROGRESS,
    REC_START,
    REC_STOP,
    SESSION_FILE,
    SNAPSHOTS_DIR,
    Event,
    SessionInfo,
    TrackInfo,
    video_file,
    write_json_atomic,
)

logger = logging.getLogger(__name__)

#: Fragment length: what a crash can lose of the video, at most (plus the frames queued).
FRAGMENT_S = 0.5
#: Keyframe interval: seeking decodes at most this much video.
GOP_S = 1.0
#: How often everything written is forced to the disk (and progress is logged).
SYNC_INTERVAL_S = 1.0
#: Kept free on the disk so that a recording stopped by a full disk can still close its
#: files and say why (released when recording stops).
RESERVE_BYTES = 256 * 1024
RESERVE_FILE = ".reserve"
#: Frames that may wait for the encoder, per track, before the oldest are dropped.
QUEUE_FRAMES = 45


@dataclass(frozen=True)
class EncoderSettings:
    """H.264 for the record: near-lossless for the ultrasound, cheap enough for 2 cores."""

    crf: int = 20
    preset: str = "superfast"
    codec: str = "libx264"

    def options(self, fps: float) -> dict[str, str]:
        gop = max(1, round(GOP_S * fps))
        return {
            "crf": str(self.crf),
            "preset": self.preset,
            # No lookahead, no B-frames: frames leave the encoder at once, so a crash
            # loses only what is in the current fragment.
            "tune": "zerolatency",
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
            "bf": "0",
        }


@dataclass
class _QueuedFrame:
    media_ts: float
    image: np.ndarray | None = None  # a station frame (already masked)
    mask: Any = None
    frame: av.VideoFrame | None = None  # a decoded, received frame


@dataclass
class TrackStats:
    queued: int = 0
    written: int = 0
    dropped: int = 0
    bytes: int = 0
    last_media_ts: float | None = None


class RecordingFailed(Exception):
    pass


class _TrackWriter:
    """One ``video-<name>.mp4``: opened on its first frame, at that frame's size."""

    def __init__(self, folder: Path, info: TrackInfo, settings: EncoderSettings) -> None:
        self.info = info
        self.settings = settings
        self.path = folder / info.file
        self._fh: Any = None
        self._container: Any = None
        self._stream: Any = None
        self._last_pts = -1
        self.size: tuple[int, int] | None = None
        self.resized = False

    def write(self, item: _QueuedFrame) -> None:
        if self._container is None:
            self._open(item)
        assert self.size is not None and self.info.t0 is not None
        pts = round((item.media_ts - self.info.t0) * VIDEO_CLOCK_RATE)
        if pts <= self._last_pts:
            return  # the same frame twice, or the clock went back: keep time monotonic
        frame = self._to_frame(item)
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def _to_frame(self, item: _QueuedFrame) -> av.VideoFrame:
        assert self.size is not None
        if item.image is not None:
            image = item.image
            size = (image.shape[1] - image.shape[1] % 2, image.shape[0] - image.shape[0] % 2)
            if size != self.size:
                self.resized = True
            return to_video_frame(image, item.media_ts, mask=item.mask, size=self.size)
        assert item.frame is not None
        frame = item.frame
        if (frame.width, frame.height) != self.size or frame.format.name != "yuv420p":
            self.resized = self.resized or (frame.width, frame.height) != self.size
            frame = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        return frame

    def _open(self, first: _QueuedFrame) -> None:
        if first.image is not None:
            h, w = first.image.shape[:2]
        else:
            assert first.frame is not None
            w, h = first.frame.width, first.frame.height
        self.size = (w - w % 2, h - h % 2)
        self.info.width, self.info.height = self.size
        self.info.t0 = first.media_ts
        fps = self.info.fps or 30.0
        # buffering=0: every write reaches the OS at once; fsync is ours to call.
        self._fh = open(self.path, "wb", buffering=0)  # noqa: SIM115
        make_private(self.path)  # clinical data: owner-only
        self._container = av.open(
            self._fh,
            "w",
            format="mp4",
            options={
                "movflags": "empty_moov+default_base_moof",
                "frag_duration": str(int(FRAGMENT_S * 1_000_000)),
            },
        )
        stream = self._container.add_stream(
            self.settings.codec, rate=Fraction(fps).limit_denominator(1001)
        )
        stream.width, stream.height = self.size
        stream.pix_fmt = "yuv420p"
        stream.time_base = VIDEO_TIME_BASE
        stream.codec_context.time_base = VIDEO_TIME_BASE
        options = self.settings.options(fps)
        stream.options = options
        self.info.settings = dict(options)
        self._stream = stream

    @property
    def opened(self) -> bool:
        return self._container is not None

    def tell(self) -> int:
        return self._fh.tell() if self._fh is not None else 0

    def sync(self) -> None:
        if self._fh is not None:
            os.fsync(self._fh.fileno())

    def close(self, *, flush: bool = True) -> None:
        """Finish the file; with ``flush`` False (the disk failed) write nothing more."""
        if self._container is None:
            return
        try:
            if flush:
                for packet in self._stream.encode(None):
                    self._container.mux(packet)
                self._container.close()
                self.sync()
        finally:
            if not flush:
                with contextlib.suppress(Exception):
                    self._container.close()
            with contextlib.suppress(OSError):
                self._fh.close()
            self._container = None


@dataclass
class _Pending:
    frames: dict[str, deque[_QueuedFrame]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    blobs: list[tuple[str, Callable[[], bytes]]] = field(default_factory=list)
    session_dirty: bool = False


class BundleRecorder:
    """Records one session into ``folder`` (created; must not exist or be empty).

    Call :meth:`start`, then :meth:`video` and :meth:`event` from any thread (they
    return at once), then :meth:`stop` (blocks until the files are closed: call it
    through ``asyncio.to_thread`` from a loop). ``on_problem(code, message)`` is
    called from the recorder's thread when recording stops on its own.
    """

    def __init__(
        self,
        folder: Path,
        info: SessionInfo,
        *,
        settings: EncoderSettings | None = None,
        on_problem: Callable[[str, str], None] | None = None,
        queue_frames: int = QUEUE_FRAMES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = Path(folder)
        self.info = info
        self.settings = settings or EncoderSettings()
        self._on_problem = on_problem
        self._queue_frames = queue_frames
        self._clock = clock
        self._cond = threading.Condition()
        self._pending = _Pending()
        self._writers: dict[str, _TrackWriter] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._stop_reason = ""
        self._events_fh: Any = None
        self.stats: dict[str, TrackStats] = {}
        self.events_written = 0
        #: Why recording stopped on its own (disk full...), or None.
        self.failed: str | None = None
        #: The newest media time seen: the ``t`` of events that carry none.
        self.media_now: float | None = None

    # --- control ---------------------------------------------------------------------

    def start(self) -> None:
        """Create the folder and files; raises :class:`RecordingFailed` with a reason."""
        try:
            private_dir(self.folder)
            if any(self.folder.iterdir()):
                raise RecordingFailed(f"{self.folder} is not empty; choose a new folder")
            self.info.started_wall = self._clock()
            with open(self.folder / RESERVE_FILE, "wb") as fh:
                fh.write(b"\0" * RESERVE_BYTES)
            write_json_atomic(self.folder / SESSION_FILE, self.info.to_json())
            self._events_fh = open(self.folder / EVENTS_FILE, "a", encoding="utf-8")  # noqa: SIM115
            make_private(self.folder / EVENTS_FILE)
        except OSError as exc:
            raise RecordingFailed(_describe(exc, self.folder)) from None
        self.event(REC_START, data={"folder": str(self.folder)})
        self._thread = threading.Thread(target=self._run, name="bundle-recorder", daemon=True)
        self._thread.start()

    def stop(self, reason: str = "") -> None:
        with self._cond:
            self._stopping = True
            self._stop_reason = reason
            self._cond.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping

    # --- input (any thread; returns at once) -------------------------------------------

    def add_track(self, name: str, *, fps: float, source: str = "") -> None:
        with self._cond:
            if self.info.track(name) is None:
                self.info.tracks.append(TrackInfo(name, video_file(name), "h264", fps=fps))
            self.stats.setdefault(name, TrackStats())
            self._pending.frames.setdefault(name, deque())
            self._pending.session_dirty = True

    def video(
        self,
        track: str,
        media_ts: float,
        *,
        image: np.ndarray | None = None,
        mask: Any = None,
        frame: av.VideoFrame | None = None,
    ) -> None:
        """A frame of ``track`` at station media time ``media_ts`` (pixels or a decoded frame)."""
        if self.failed is not None or self._stopping:
            return
        with self._cond:
            queue = self._pending.frames.get(track)
            if queue is None:
                return
            stats = self.stats[track]
            if len(queue) >= self._queue_frames:
                queue.popleft()
                stats.dropped += 1
            queue.append(_QueuedFrame(media_ts, image=image, mask=mask, frame=frame))
            stats.queued += 1
            if self.media_now is None or media_ts > self.media_now:
                self.media_now = media_ts
            self._cond.notify()

    def event(
        self,
        kind: str,
        *,
        by: str = "",
        data: dict[str, Any] | None = None,
        t: float | None = None,
        anchor: float | None = None,
    ) -> None:
        if self.failed is not None:
            return
        event = Event(
            t=self.media_now if t is None else t,
            wall=self._clock(),
            type=kind,
            by=by,
            data=data or {},
            anchor=anchor,
        )
        with self._cond:
            self._pending.events.append(event)
            self._cond.notify()

    def blob(self, relative: str, produce: Callable[[], bytes]) -> None:
        """A file inside the bundle, produced (encoded) and written on the recorder's thread."""
        if self.failed is not None:
            return
        with self._cond:
            self._pending.blobs.append((relative, produce))
            self._cond.notify()

    def update_session(self, change: Callable[[SessionInfo], None]) -> None:
        with self._cond:
            change(self.info)
            self._pending.session_dirty = True
            self._cond.notify()

    # --- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        last_sync = time.monotonic()
        try:
            while True:
                with self._cond:
                    if not self._has_work() and not self._stopping:
                        self._cond.wait(timeout=SYNC_INTERVAL_S / 4)
                    events, self._pending.events = self._pending.events, []
                    blobs, self._pending.blobs = self._pending.blobs, []
                    frames = {n: list(q) for n, q in self._pending.frames.items() if q}
                    for q in self._pending.frames.values():
                        q.clear()
                    session_dirty, self._pending.session_dirty = self._pending.session_dirty, False
                    stopping = self._stopping
                self._write_events(events)
                for name, items in frames.items():
                    self._write_frames(name, items)
                for relative, produce in blobs:
                    self._write_blob(relative, produce)
                if session_dirty:
                    self._write_session()
                now = time.monotonic()
                if now - last_sync >= SYNC_INTERVAL_S:
                    last_sync = now
                    self._progress()
                    self._sync()
                if stopping:
                    break
            self._finish()
        except OSError as exc:
            self._fail(exc)
        except Exception as exc:  # an encoder or muxer error: stop cleanly, keep the files
            logger.exception("recording stopped")
            self._fail(exc)

    def _has_work(self) -> bool:
        p = self._pending
        return bool(p.events or p.blobs or p.session_dirty or any(p.frames.values()))

    def _write_events(self, events: list[Event]) -> None:
        if not events:
            return
        self._events_fh.write("".join(e.to_line() for e in events))
        self._events_fh.flush()
        self.events_written += len(events)

    def _write_frames(self, name: str, items: list[_QueuedFrame]) -> None:
        writer = self._writers.get(name)
        if writer is None:
            track = self.info.track(name)
            assert track is not None
            writer = self._writers[name] = _TrackWriter(self.folder, track, self.settings)
        was_open = writer.opened
        stats = self.stats[name]
        for item in items:
            writer.write(item)
            stats.written += 1
            stats.last_media_ts = item.media_ts
        stats.bytes = writer.tell()
        if not was_open and writer.opened:
            with self._cond:
                if name == self.info.tracks[0].name and self.info.clock_media_ts is None:
                    self.info.clock_media_ts = items[0].media_ts
                    self.info.clock_wall = self._clock()
            self._write_session()

    def _write_blob(self, relative: str, produce: Callable[[], bytes]) -> None:
        path = self.folder / relative
        private_dir(path.parent)
        try:
            data = produce()
        except Exception:
            logger.exception("could not prepare %s for the recording", relative)
            return
        with open(path, "wb") as fh:
            fh.write(data)
        make_private(path)

    def _write_session(self) -> None:
        with self._cond:
            snapshot = self.info.to_json()
        write_json_atomic(self.folder / SESSION_FILE, snapshot)

    def _progress(self) -> None:
        data = {
            name: {
                "written": s.written,
                "dropped": s.dropped,
                "bytes": s.bytes,
                "last_media_ts": s.last_media_ts,
            }
            for name, s in self.stats.items()
        }
        events = [Event(self.media_now, self._clock(), REC_PROGRESS, data=data)]
        for name, writer in self._writers.items():
            if writer.resized and writer.size is not None:
                writer.resized = False
                w, h = writer.size
                problem = f"the picture size changed; recorded scaled to {w}x{h}"
                events.append(
                    Event(self.media_now, self._clock(), REC_PROBLEM,
                          data={"track": name, "problem": problem})
                )  # fmt: skip
        self._write_events(events)

    def _sync(self) -> None:
        os.fsync(self._events_fh.fileno())
        for writer in self._writers.values():
            writer.sync()

    def _finish(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for name, writer in self._writers.items():
            self.stats[name].bytes = writer.path.stat().st_size
        self._write_events(
            [
                Event(
                    self.media_now,
                    self._clock(),
                    REC_STOP,
                    data={
                        "reason": self._stop_reason,
                        "frames": {n: s.written for n, s in self.stats.items()},
                        "dropped": {n: s.dropped for n, s in self.stats.items()},
                    },
                )
            ]
        )
        os.fsync(self._events_fh.fileno())
        self._events_fh.close()
        self._release_reserve()
        with self._cond:
            self.info.status = "complete"
            self.info.stop_reason = self._stop_reason
            self.info.ended_wall = self._clock()
        self._write_session()

    def _release_reserve(self) -> None:
        with contextlib.suppress(OSError):
            (self.folder / RESERVE_FILE).unlink()

    def _fail(self, exc: BaseException) -> None:
        message = (
            _describe(exc, self.folder)
            if isinstance(exc, OSError)
            else f"Recording stopped: {exc}. What was recorded so far is kept in {self.folder}."
        )
        self.failed = message
        logger.error("%s", message)
        self._release_reserve()
        for writer in self._writers.values():
            with contextlib.suppress(Exception):
                writer.close(flush=False)
        # The events and session files may still take a last line (the disk may have
        # room for a few bytes, and a failing USB disk may not): try, never insist.
        with contextlib.suppress(Exception):
            self._events_fh.write(
                Event(self.media_now, self._clock(), REC_STOP, data={"reason": message}).to_line()
            )
            self._events_fh.flush()
        with contextlib.suppress(Exception):
            self._events_fh.close()
        with contextlib.suppress(Exception):
            self.info.status = "failed"
            self.info.stop_reason = message
            self.info.ended_wall = self._clock()
            self._write_session()
        with self._cond:
            self._stopping = True
        if self._on_problem is not None:
            code = (
                "disk_full"
                if isinstance(exc, OSError) and exc.errno == errno.ENOSPC
                else ("recording_failed")
            )
            self._on_problem(code, message)


def _describe(exc: BaseException, folder: Path) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            f"The disk holding {folder} is full: recording stopped. The call goes on. "
            "What was recorded until now is kept and can be replayed; free some space or "
            "record to another disk."
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write to {folder} ({exc.strerror}): choose a folder you may write to."
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return (
        f"Recording stopped: writing to {folder} failed ({reason}). The call goes on; what "
        "was recorded until now is kept."
    )


def jpeg_of(image: np.ndarray, quality: int = 92) -> Callable[[], bytes]:
    """A snapshot image (grey or RGB) encoded as JPEG when the recorder gets to it."""

    def produce() -> bytes:
        pixels = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return data.tobytes()

    return produce


def snapshot_path(snapshot_id: str) -> str:
    safe = "".join(c for c in snapshot_id if c.isalnum() or c in "-_")[:80] or "snapshot"
    return f"{SNAPSHOTS_DIR}/{safe}.jpg"
