"""The viewer's frame path: drain the remote track and keep the newest frame.

aiortc's receive queue is unbounded: a consumer slower than the stream accumulates
seconds of delay. :class:`RemoteVideoSink` pulls every frame as soon as it is
decoded (cheap) and hands it on; whoever displays or records keeps only the latest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ultrasound_consult.media.convert import video_frame_to_display
from ultrasound_consult.media.rtp_clock import RTP_WRAP, media_time, receiver_rtp_origin

logger = logging.getLogger(__name__)


@dataclass
class ReceivedFrame:
    frame: av.VideoFrame
    #: RTP timestamp (90 kHz, the sender's random origin), or None if unknown.
    rtp_ts: int | None
    #: Station media time of this frame, once the station told us the RTP origin.
    media_ts: float | None
    received_at: float
    _rgb: np.ndarray | None = field(default=None, repr=False)

    @property
    def width(self) -> int:
        return int(self.frame.width)

    @property
    def height(self) -> int:
        return int(self.frame.height)

    def display_array(self) -> np.ndarray:
        """Grey or RGB pixels, converted on first use (only frames shown pay for it)."""
        if self._rgb is None:
            self._rgb = video_frame_to_display(self.frame)
        return self._rgb


class RemoteVideoSink:
    def __init__(
        self,
        track: MediaStreamTrack,
        on_frame: Callable[[ReceivedFrame], None],
        *,
        receiver: Any = None,
    ) -> None:
        self.track = track
        self.receiver = receiver
        self._on_frame = on_frame
        self._task: asyncio.Task[None] | None = None
        self.rtp_origin: int | None = None
        self.frames = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.width = 0
        self.height = 0
        self.ended = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="remote-video-sink")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def fps(self) -> float:
        if self.frames < 2 or self.first_at is None or self.last_at is None:
            return 0.0
        span = self.last_at - self.first_at
        return (self.frames - 1) / span if span > 0 else 0.0

    def _timestamps(self, frame: av.VideoFrame) -> tuple[int | None, float | None]:
        base = receiver_rtp_origin(self.receiver)
        if base is None or frame.pts is None:
            return None, None
        rtp_ts = (frame.pts + base) % RTP_WRAP
        if self.rtp_origin is None:
            return rtp_ts, None
        return rtp_ts, media_time(rtp_ts, self.rtp_origin)

    async def _drain(self) -> None:
        try:
            while True:
                frame = await self.track.recv()
                now = time.perf_counter()
                self.frames += 1
                if self.first_at is None:
                    self.first_at = now
                self.last_at = now
                self.width, self.height = frame.width, frame.height
                rtp_ts, ts = self._timestamps(frame)
                try:
                    self._on_frame(ReceivedFrame(frame, rtp_ts, ts, now))
                except Exception:
                    logger.exception("a frame consumer failed")
        except MediaStreamError:
            logger.info("remote video ended after %d frames", self.frames)
        finally:
            self.ended.set()
