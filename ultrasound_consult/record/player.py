"""Read a recorded video track frame by frame, with exact seeking.

Opening demuxes the whole file once (no decoding: about a second for 30 minutes)
to learn every frame's timestamp and the keyframes. Seeking then decodes from the
keyframe before the target (at most a second of video, the recorder's GOP), and
playing on decodes one frame at a time. A file cut short by a crash plays up to
its last complete fragment and says how much it could not read.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ultrasound_consult.media.convert import video_frame_to_display

logger = logging.getLogger(__name__)


class VideoReadError(Exception):
    pass


@dataclass(frozen=True)
class FrameIndex:
    """Every frame's presentation time in ticks of ``time_base``, sorted, and keyframes."""

    pts: tuple[int, ...]
    keyframes: tuple[int, ...]  # indices into pts
    time_base: float
    readable_bytes: int
    total_bytes: int
    problem: str = ""


def index_video(path: Path) -> FrameIndex:
    total = Path(path).stat().st_size
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise VideoReadError(f"{Path(path).name} cannot be opened: {exc}") from None
    problem = ""
    entries: list[tuple[int, bool]] = []
    readable = 0
    cut = 0
    try:
        stream = container.streams.video[0]
        if stream.time_base is None:  # no timestamps: no frame could be placed in time
            raise VideoReadError(f"{Path(path).name} has a video stream without a time base")
        time_base = float(stream.time_base)
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                if packet.pos is not None and packet.pos >= 0:
                    if packet.pos + packet.size > total:
                        # A fragment's table names it, but its bytes never reached the disk.
                        cut += 1
                        continue
                    readable = max(readable, packet.pos + packet.size)
                entries.append((packet.pts, packet.is_keyframe))
        except av.FFmpegError as exc:
            problem = f"the video ends in a damaged part after {len(entries)} frames ({exc})"
    except IndexError:
        raise VideoReadError(f"{Path(path).name} has no video stream") from None
    finally:
        container.close()
    entries.sort()
    good = _decodable_tail(path, entries)
    if good < len(entries):
        problem = (
            problem or f"the last {len(entries) - good} frame(s) are cut off (the file ends early)"
        )
        entries = entries[:good]
    pts = tuple(p for p, _ in entries)
    keys = tuple(i for i, (_, k) in enumerate(entries) if k)
    if pts and (not keys or keys[0] != 0):
        keys = (0, *keys)  # the first frame is where decoding starts, whatever its flag
    if cut and not problem:
        problem = f"the last {cut} frame(s) were cut off (the file ends early)"
    if not problem and total - readable > 64 * 1024:
        problem = f"{total - readable} bytes at the end of the file could not be read"
    return FrameIndex(pts, keys, time_base, readable, total, problem)


@dataclass(frozen=True)
class DecodeCheck:
    frames: int
    errors: int
    first_error: str = ""


def decode_check(path: Path) -> DecodeCheck:
    """Decode every frame of the file, counting what the decoder reports as damage.

    Flipped bytes inside a frame do not stop an H.264 decoder: it conceals them and
    says so only in its log, which is read here. Slow on purpose: it is the check.
    """
    frames = 0
    errors: list[str] = []
    previous = av.logging.get_level()
    if previous is None or previous < av.logging.ERROR:
        av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(True) as logs, av.open(str(path)) as container:
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                try:
                    frames += len(stream.codec_context.decode(packet))
                except av.FFmpegError as exc:
                    errors.append(str(exc))
        errors += [text.strip() for level, _name, text in logs if level <= av.logging.ERROR]
    except (av.FFmpegError, IndexError) as exc:
        errors.append(str(exc))
    finally:
        av.logging.set_level(previous)
    return DecodeCheck(frames, len(errors), errors[0][:200] if errors else "")


def _decodable_tail(path: Path, entries: list[tuple[int, bool]]) -> int:
    """How many of ``entries`` decode: the last GOP is decoded to find out.

    A file cut mid-fragment (crash, full disk) still lists the lost frames in the
    fragment's table, and the last one may hold only part of its bytes.
    """
    keys = [i for i, (_, k) in enumerate(entries) if k]
    if not entries:
        return 0
    start = keys[-1] if keys else 0
    decoded: set[int] = set()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(entries[start][0], stream=stream, backward=True)
        try:
            for frame in container.decode(stream):
                if frame.pts is not None:
                    decoded.add(frame.pts)
        except av.FFmpegError:
            pass
    count = len(entries)
    while count > start and entries[count - 1][0] not in decoded:
        count -= 1
    return count


class VideoTrackReader:
    """Frames of one ``video-<track>.mp4`` by index, as display arrays (grey or RGB)."""

    def __init__(self, path: Path, *, t0: float = 0.0) -> None:
        self.path = Path(path)
        self.t0 = t0
        self.index = index_video(self.path)
        if not self.index.pts:
            raise VideoReadError(f"{self.path.name} holds no frames")
        self._container = av.open(str(self.path))
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._decoder: Iterator[av.VideoFrame] | None = None
        self._next_index: int | None = None  # the index the decoder will yield next
        self.width = self._stream.codec_context.width
        self.height = self._stream.codec_context.height

    def __len__(self) -> int:
        return len(self.index.pts)

    def close(self) -> None:
        self._container.close()

    def media_ts(self, i: int) -> float:
        """Station media time of frame ``i``."""
        return self.t0 + self.index.pts[i] * self.index.time_base

    def index_at(self, media_ts: float) -> int:
        """The frame on screen at ``media_ts``: the last one that starts at or before it."""
        tick = round((media_ts - self.t0) / self.index.time_base)
        i = bisect.bisect_right(self.index.pts, tick) - 1
        return min(max(i, 0), len(self) - 1)

    @property
    def duration(self) -> float:
        pts = self.index.pts
        return (pts[-1] - pts[0]) * self.index.time_base if len(pts) > 1 else 0.0

    def frame(self, i: int) -> np.ndarray:
        """Pixels of frame ``i`` (grey or RGB); sequential reads do not seek."""
        return video_frame_to_display(self.av_frame(i))

    def av_frame(self, i: int) -> av.VideoFrame:
        if not 0 <= i < len(self):
            raise IndexError(i)
        if self._must_seek(i):
            self._seek_to(i)
        assert self._next_index is not None
        target = self.index.pts[i]
        while True:
            frame = self._decode_one()
            if frame is None:
                raise VideoReadError(f"frame {i} of {self.path.name} could not be decoded")
            if frame.pts is None or frame.pts < target:
                continue
            self._next_index = bisect.bisect_right(self.index.pts, frame.pts)
            return frame

    def _must_seek(self, i: int) -> bool:
        """Decoding on is cheaper than a seek unless a keyframe lies on the way."""
        n = self._next_index
        if n is None or i < n:
            return True
        k = bisect.bisect_right(self.index.keyframes, n)
        return k < len(self.index.keyframes) and self.index.keyframes[k] <= i

    def _seek_to(self, i: int) -> None:
        k = bisect.bisect_right(self.index.keyframes, i) - 1
        key = self.index.keyframes[max(k, 0)]
        self._container.seek(self.index.pts[key], stream=self._stream, backward=True)
        self._decoder = self._container.decode(self._stream)
        self._next_index = key

    def _decode_one(self) -> av.VideoFrame | None:
        assert self._decoder is not None
        try:
            return next(self._decoder)
        except StopIteration:
            return None
        except av.FFmpegError as exc:
            logger.warning("decoding %s stopped: %s", self.path.name, exc)
            return None
