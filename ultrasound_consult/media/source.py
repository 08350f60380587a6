"""What every video source is: frames at the source's own pace, newest first.

A source yields :class:`SourceFrame` objects from :meth:`VideoSource.next_frame`.
Live sources (capture cards) and timed sources (phantom, DICOM cine, video file)
behave the same: a consumer that falls behind gets the *current* frame, never a
backlog, because a consult shows what the probe sees now.

Sources are private to :class:`ultrasound_consult.media.pipeline.StationPipeline`,
which applies the privacy mask before any other code sees a frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ultrasound_consult.annotate.calibration import Calibration, ImageRegion

if TYPE_CHECKING:
    from ultrasound_consult.media.privacy import MaskPlan

logger = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """A source cannot start or has stopped: ``str(exc)`` tells the user what to do."""


@dataclass(frozen=True)
class SourceFrame:
    """One frame from a source.

    ``image`` is ``(height, width)`` greyscale or ``(height, width, 3)`` RGB ``uint8``.
    ``media_ts`` is seconds on the source's media clock since it started; it is the
    timestamp annotations refer to. ``captured_at`` is :func:`time.perf_counter` when
    the frame was produced, for latency measurement.
    """

    image: np.ndarray
    index: int
    media_ts: float
    captured_at: float
    #: The privacy mask applied to ``image`` (set by the station pipeline).
    mask: MaskPlan | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    def display_array(self) -> np.ndarray:
        """The (masked) pixels, greyscale or RGB, for display."""
        return self.image


@dataclass
class SourceInfo:
    """What a source is, for the user and for the far end."""

    description: str
    width: int
    height: int
    fps: float
    calibration: Calibration | None = None
    #: Image regions in pixels (from DICOM); outside them is never image.
    image_regions: tuple[ImageRegion, ...] = ()
    warnings: list[str] = field(default_factory=list)


class VideoSource(ABC):
    """Base of every source. Subclasses implement :meth:`start` and :meth:`next_frame`."""

    info: SourceInfo

    @abstractmethod
    async def start(self) -> None:
        """Open the device or file; raise :class:`SourceError` with advice on failure."""

    @abstractmethod
    async def next_frame(self) -> SourceFrame:
        """The next frame, waiting for it if needed; raises :class:`SourceError` on loss."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Release the device or file."""


class PacedSource(VideoSource):
    """A source that renders frame *n* on demand and is paced by the clock.

    Frame *n* is due at ``start + n / fps``. If the consumer is late by more than a
    frame, it skips to the frame due now, as a live source would.
    """

    def __init__(self, info: SourceInfo) -> None:
        self.info = info
        self._t0: float | None = None
        self._next_index = 0

    @abstractmethod
    def render(self, index: int) -> np.ndarray:
        """Frame ``index`` as an image array (runs in a worker thread)."""

    async def start(self) -> None:
        self._t0 = time.perf_counter()
        self._next_index = 0

    async def next_frame(self) -> SourceFrame:
        if self._t0 is None:
            await self.start()
        assert self._t0 is not None
        period = 1.0 / self.info.fps
        now = time.perf_counter()
        due_index = int((now - self._t0) / period)
        index = max(self._next_index, due_index)
        delay = self._t0 + index * period - now
        if delay > 0:
            await asyncio.sleep(delay)
        self._next_index = index + 1
        loop = asyncio.get_running_loop()
        image = await loop.run_in_executor(None, self.render, index)
        return SourceFrame(
            image=image,
            index=index,
            media_ts=index * period,
            captured_at=time.perf_counter(),
        )
