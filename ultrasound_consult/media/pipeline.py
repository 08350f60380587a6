"""The station's frame path: source -> privacy mask -> preview, outgoing tracks, recorder.

:class:`StationPipeline` is the only reader of the source. It masks each frame
before handing it to anyone, so nothing downstream can see an unmasked pixel.
Consumers are callbacks on the engine loop that must return at once: each keeps
only the newest frame (see :class:`OutgoingVideoTrack`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ultrasound_consult.media.convert import to_video_frame
from ultrasound_consult.media.privacy import MaskPlan, PrivacyMask
from ultrasound_consult.media.quality import BitratePolicy, QualityPreset, output_size
from ultrasound_consult.media.rtp_clock import rtp_origin, sender_last_rtp_timestamp
from ultrasound_consult.media.source import SourceError, SourceFrame, SourceInfo, VideoSource

logger = logging.getLogger(__name__)

FrameSink = Callable[[SourceFrame], None]


class StationPipeline:
    def __init__(
        self,
        source: VideoSource,
        mask: PrivacyMask | None = None,
        *,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.mask = mask or PrivacyMask()
        self._on_error = on_error
        self._sinks: list[FrameSink] = []
        self._plan: MaskPlan | None = None
        self._task: asyncio.Task[None] | None = None
        self.frames = 0
        self.error: str | None = None
        self.started = asyncio.Event()
        #: Added to the source's media time, so that it runs on across a switch of source.
        self._ts_offset = 0.0
        self._last_ts: float | None = None
        self.switches = 0

    @property
    def info(self) -> SourceInfo:
        return self.source.info

    def add_sink(self, sink: FrameSink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: FrameSink) -> None:
        with contextlib.suppress(ValueError):
            self._sinks.remove(sink)

    async def start(self) -> None:
        """Open the source (raises :class:`SourceError`) and start pumping frames."""
        await self.source.start()
        self._task = asyncio.create_task(self._pump(), name="station-pipeline")

    async def stop(self) -> None:
        await self._stop_pump()
        await self.source.stop()

    async def _stop_pump(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def switch_source(self, source: VideoSource, mask: PrivacyMask | None = None) -> None:
        """Carry on from another source (the cable moved, another scanner): every
        consumer keeps its place, media time runs on without a jump back, and the
        new source's own mask applies from its first frame.

        Raises :class:`SourceError` if the new source cannot start; the pipeline then
        still has no running source and a later switch may be tried.
        """
        await self._stop_pump()
        old = self.source
        with contextlib.suppress(Exception):
            await old.stop()
        await source.start()
        if self._last_ts is not None:
            period = 1.0 / (old.info.fps or 30.0)
            self._ts_offset = self._last_ts + period
        self.source = source
        if mask is not None:
            self.mask = mask
        self._plan = None
        self.error = None
        self.switches += 1
        self._task = asyncio.create_task(self._pump(), name="station-pipeline")
        logger.info("switched the ultrasound source to %s", source.info.description)

    def mask_plan(self, width: int, height: int) -> MaskPlan:
        if self._plan is None or (self._plan.width, self._plan.height) != (width, height):
            self._plan = self.mask.plan(width, height, self.source.info.image_regions)
            logger.info(
                "privacy mask for %dx%d covers %.1f%% of the frame",
                width,
                height,
                100 * self._plan.fraction,
            )
        return self._plan

    async def _pump(self) -> None:
        try:
            while True:
                frame = await self.source.next_frame()
                plan = self.mask_plan(frame.width, frame.height)
                plan.apply(frame.image)
                frame = replace(frame, mask=plan, media_ts=frame.media_ts + self._ts_offset)
                self._last_ts = frame.media_ts
                self.frames += 1
                if self.frames == 1:
                    self.started.set()
                for sink in tuple(self._sinks):
                    try:
                        sink(frame)
                    except Exception:
                        logger.exception("a frame consumer failed; it keeps getting frames")
        except SourceError as exc:
            self.error = str(exc)
            logger.error("source stopped: %s", exc)
            if self._on_error is not None:
                self._on_error(str(exc))


class OutgoingVideoTrack(MediaStreamTrack):
    """An aiortc video track fed by the pipeline, one per receiving peer.

    Latest frame wins: if the encoder is still busy when new frames arrive, the
    older ones are dropped, so a slow encoder lowers the frame rate rather than
    adding delay.
    """

    kind = "video"

    def __init__(self, preset: QualityPreset | None = None) -> None:
        super().__init__()
        self.preset = preset
        self._latest: SourceFrame | None = None
        self._fresh = asyncio.Event()
        self.frames_sent = 0
        self.frames_dropped = 0
        self.last_sent_size = (0, 0)
        self._last_pushed_ts: float | None = None
        self.last_sent: SourceFrame | None = None
        self.last_sent_pts: int | None = None
        #: The RTCRtpSender sending this track, set by the call once it is added.
        self.sender: Any = None
        #: RTP timestamp origin of that sender, known after the first frame went out.
        self.rtp_origin: int | None = None
        self.on_rtp_origin: Callable[[int], None] | None = None
        #: The rate policy whose ladder rung limits lines and frame rate (tuned calls).
        self.rate_policy: Callable[[], BitratePolicy | None] | None = None

    def _policy(self) -> BitratePolicy | None:
        return self.rate_policy() if self.rate_policy is not None else None

    def push(self, frame: SourceFrame) -> None:
        policy = self._policy()
        if policy is not None:
            max_fps = policy.max_fps()
        else:
            max_fps = self.preset.max_fps if self.preset is not None else None
        # Keep frames on a grid of 1/max_fps (with slack for the source's jitter).
        if (
            max_fps
            and self._last_pushed_ts is not None
            and frame.media_ts - self._last_pushed_ts < 0.9 / max_fps
        ):
            return
        self._last_pushed_ts = frame.media_ts
        if self._latest is not None:
            self.frames_dropped += 1
        self._latest = frame
        self._fresh.set()

    async def recv(self) -> av.VideoFrame:
        while self._latest is None:
            if self.readyState != "live":
                raise MediaStreamError
            self._fresh.clear()
            await self._fresh.wait()
        frame, self._latest = self._latest, None
        self._learn_rtp_origin()
        size = None
        policy = self._policy()
        if policy is not None:
            size = output_size(frame.width, frame.height, policy.rung.max_height)
        elif self.preset is not None:
            size = self.preset.output_size(frame.width, frame.height)
        if size == (frame.width - frame.width % 2, frame.height - frame.height % 2):
            size = None
        video = to_video_frame(frame.image, frame.media_ts, mask=frame.mask, size=size)
        self.last_sent_size = (video.width, video.height)
        self.frames_sent += 1
        self.last_sent = frame
        self.last_sent_pts = video.pts
        return video

    def _learn_rtp_origin(self) -> None:
        # aiortc asks for the next frame only after sending every packet of the last
        # one, so the sender's last RTP timestamp belongs to ``last_sent_pts``.
        if self.rtp_origin is not None or self.last_sent_pts is None or self.sender is None:
            return
        last = sender_last_rtp_timestamp(self.sender)
        if last is None:
            return
        self.rtp_origin = rtp_origin(last, self.last_sent_pts)
        if self.on_rtp_origin is not None:
            self.on_rtp_origin(self.rtp_origin)

    def stop(self) -> None:
        super().stop()
        self._fresh.set()
