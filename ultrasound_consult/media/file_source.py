"""A video file as a source (``file:PATH``), decoded with PyAV and looped at its rate.

For teaching and testing: a recorded scan played as if it came from the scanner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from ultrasound_consult.media.source import PacedSource, SourceError, SourceInfo

logger = logging.getLogger(__name__)


class VideoFileSource(PacedSource):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        self._lock = threading.Lock()
        self._container = self._open()
        stream = self._container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 30.0
        width, height = stream.codec_context.width, stream.codec_context.height
        self._frames: Iterator[av.VideoFrame] = self._container.decode(video=0)
        self._decoded = -1  # index of the last decoded frame, counted across loops
        super().__init__(
            SourceInfo(
                description=f"File {self.path.name} ({width}x{height} @ {fps:.3g} fps)",
                width=width,
                height=height,
                fps=fps,
            )
        )

    def _open(self) -> av.container.InputContainer:
        try:
            container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as exc:
            raise SourceError(f"cannot open {self.path} as a video ({exc}).") from None
        if not container.streams.video:
            container.close()
            raise SourceError(f"{self.path} has no video stream.")
        return container

    def render(self, index: int) -> np.ndarray:
        with self._lock:
            frame = None
            # Decode forward to the wanted frame; frames the consumer skipped are dropped.
            while self._decoded < index:
                frame = self._next_decoded()
                self._decoded += 1
            assert frame is not None, "frames are requested in increasing order"
            return frame.to_ndarray(format="rgb24")

    def _next_decoded(self) -> av.VideoFrame:
        for _ in range(2):
            try:
                return next(self._frames)
            except StopIteration:
                # Loop: rewind and decode from the start.
                self._container.seek(0)
                self._frames = self._container.decode(video=0)
            except av.FFmpegError as exc:
                raise SourceError(
                    f"{self.path} is damaged and cannot be decoded further ({exc})."
                ) from None
        raise SourceError(f"{self.path} contains no decodable video frames.")

    async def stop(self) -> None:
        with self._lock:
            self._container.close()
