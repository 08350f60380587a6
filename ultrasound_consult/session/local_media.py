"""What one side of a call captures and plays, and what it sends to each peer.

The station has the ultrasound source (through the privacy-masking pipeline) and
may have a second camera; any side may have a microphone and a speaker. For every
peer the station offers to, :meth:`LocalMedia.outgoing` builds that peer's tracks
and encoders; each keeps only the newest frame, so one slow peer never delays
another. The ultrasound source is required; everything else is welcome but
optional: if it fails, the user hears why and the call goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from ultrasound_consult.media.audio import (
    AudioCapture,
    AudioError,
    AudioFanout,
    AudioOutput,
    AudioPlayer,
    OutgoingAudioTrack,
)
from ultrasound_consult.media.camera import CAMERA_PRESET, CameraPolicy, CameraTrack
from ultrasound_consult.media.encoder import PresetVp8Encoder
from ultrasound_consult.media.pipeline import OutgoingVideoTrack, StationPipeline
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.quality import BitratePolicy, QualityPreset, preset
from ultrasound_consult.media.source import SourceError, SourceFrame, VideoSource
from ultrasound_consult.session.config import CallConfig
from ultrasound_consult.session.peer_link import OutgoingMedia

logger = logging.getLogger(__name__)

#: The station's own view of its camera is a confirmation, not a stream: this many fps.
CAMERA_PREVIEW_FPS = 10.0


@dataclass
class MediaEvents:
    """Where :class:`LocalMedia` reports (the call forwards to its observer)."""

    local_frame: Callable[[SourceFrame], None]
    camera_frame: Callable[[SourceFrame], None]
    #: A problem the user must hear about that does not end the call: (code, message).
    problem: Callable[[str, str], None]


#: A microphone that delivers nothing this long in a connected call is said to be silent.
MIC_SILENT_S = 3


def quality_for(config: CallConfig) -> QualityPreset:
    """The preset the config names, with its bitrate override (experiments) applied."""
    chosen = preset(config.quality)
    if config.bitrate_mbps:
        bps = int(config.bitrate_mbps * 1e6)
        chosen = replace(chosen, target_bps=bps, max_bps=bps, min_bps=min(chosen.min_bps, bps))
    return chosen


class LocalMedia:
    def __init__(
        self,
        config: CallConfig,
        events: MediaEvents,
        *,
        source: VideoSource | None = None,
        mask: PrivacyMask | None = None,
        camera: VideoSource | None = None,
        audio: AudioCapture | None = None,
        speaker: AudioOutput | None = None,
    ) -> None:
        self.config = config
        self.quality = quality_for(config)
        self.events = events
        self.source = source
        self.mask = mask or PrivacyMask()
        self.camera_source = camera
        self.audio_capture = audio
        self.pipeline: StationPipeline | None = None
        self.camera: StationPipeline | None = None
        self.fanout: AudioFanout | None = None
        self._mic_blocks = self._mic_quiet_s = 0
        self._mic_reported = False
        self.player = AudioPlayer(speaker) if speaker is not None else None
        #: Every upload handed out and not released, with whether its receiver sends
        #: arrival reports (a peer) or not (the SFU): a quality change reaches them all.
        self._outs: dict[int, tuple[OutgoingMedia, bool]] = {}
        self._preview_ts: float | None = None

    # --- lifecycle ---------------------------------------------------------------

    async def start_video(self) -> None:
        """Open the ultrasound source, if this side has one. Raises :class:`SourceError`."""
        if self.source is None:
            return
        self.pipeline = StationPipeline(self.source, self.mask, on_error=self._source_lost)
        self.pipeline.add_sink(self.events.local_frame)
        await self.pipeline.start()

    async def start_extras(self) -> None:
        """Camera, microphone and speaker: each may fail without ending the call."""
        if self.camera_source is not None:
            # Nothing to mask on a room camera (it shows hands and a probe, not a screen).
            camera = StationPipeline(
                self.camera_source, PrivacyMask(top_band=0.0), on_error=self._camera_lost
            )
            camera.add_sink(self._camera_preview)
            try:
                await camera.start()
                self.camera = camera
            except SourceError as exc:
                self.events.problem(
                    "camera_unavailable",
                    f"The second camera could not be opened ({exc}). The ultrasound "
                    "goes on without it.",
                )
        if self.audio_capture is not None:
            fanout = AudioFanout(self.audio_capture)
            try:
                fanout.start()
                self.fanout = fanout
            except AudioError as exc:
                self.events.problem("microphone_unavailable", str(exc))
        if self.player is not None:
            try:
                self.player.start()
            except AudioError as exc:
                self.player = None
                self.events.problem("speaker_unavailable", str(exc))

    async def stop(self) -> None:
        for pipeline in (self.pipeline, self.camera):
            if pipeline is not None:
                await pipeline.stop()
        if self.fanout is not None:
            self.fanout.stop()
        if self.player is not None:
            await self.player.stop()

    async def switch_source(self, source: VideoSource, mask: PrivacyMask | None = None) -> None:
        """Send another ultrasound source from now on (raises :class:`SourceError`)."""
        if self.pipeline is None:
            raise SourceError("only a station sends an ultrasound source")
        await self.pipeline.switch_source(source, mask)
        self.source = source
        if mask is not None:
            self.mask = mask

    def microphone_went_silent(self, connected: bool) -> bool:
        """Called once a second: True the first time an opened microphone has delivered
        nothing for :data:`MIC_SILENT_S` seconds of a connected call (unplugged, or
        taken by another program)."""
        if self.fanout is None or self._mic_reported:
            return False
        if not connected or self.fanout.blocks > self._mic_blocks:
            self._mic_blocks, self._mic_quiet_s = self.fanout.blocks, 0
            return False
        self._mic_quiet_s += 1
        self._mic_reported = self._mic_quiet_s >= MIC_SILENT_S
        return self._mic_reported

    def mute(self, muted: bool) -> None:
        """Silence (or not) this side's microphone for everyone."""
        if self.fanout is not None:
            self.fanout.muted = muted

    # --- per peer ----------------------------------------------------------------

    def outgoing(self, *, arrival_reports: bool = True) -> OutgoingMedia:
        """Tracks and encoders for one more peer (station), already fed with frames.

        ``arrival_reports=False``: the receiver (Janus, for a lecture) sends no arrival
        reports for the delay-based controller; the rate follows its REMB instead."""
        assert self.pipeline is not None, "only a station sends video"
        tuned = self.config.media_tuning
        video = OutgoingVideoTrack(self.quality if tuned else None)
        encoder = (
            PresetVp8Encoder(self.bitrate_policy(arrival_reports), self.send_fps())
            if tuned and self.config.video_codec == "VP8"
            else None
        )
        out = OutgoingMedia(video=video, encoder=encoder)
        self._outs[id(out)] = (out, arrival_reports)
        if isinstance(encoder, PresetVp8Encoder):
            # The ladder's rung (lines, frame rate) follows the encoder's current policy.
            video.rate_policy = lambda: encoder.policy
        self.pipeline.add_sink(video.push)
        if self.fanout is not None:
            out.audio = self.fanout.track()
        if self.camera is not None:
            policy = None
            if isinstance(encoder, PresetVp8Encoder):
                # Read the ultrasound's policy at each frame: set_quality replaces it.
                policy = CameraPolicy(lambda: encoder.policy)
                out.camera_encoder = PresetVp8Encoder(policy, self.camera_fps())
            out.camera = CameraTrack(policy)
            self.camera.add_sink(out.camera.push)
        return out

    def answer_audio(self) -> OutgoingAudioTrack | None:
        """The microphone's track for a viewer's answer (viewers send only sound)."""
        return self.fanout.track() if self.fanout is not None else None

    def release(self, out: OutgoingMedia) -> None:
        """Stop feeding a peer that has gone."""
        self._outs.pop(id(out), None)
        if self.pipeline is not None:
            self.pipeline.remove_sink(out.video.push)
        if self.camera is not None and out.camera is not None:
            self.camera.remove_sink(out.camera.push)

    def set_quality(self, name: str) -> None:
        """Switch every outgoing ultrasound stream (each peer's, the lecture's upload)
        to another preset (raises ValueError)."""
        self.config.quality = name
        self.quality = quality_for(self.config)
        for out, arrival_reports in self._outs.values():
            out.video.preset = self.quality
            if isinstance(out.encoder, PresetVp8Encoder):
                out.encoder.policy = self.bitrate_policy(arrival_reports)
                out.encoder.fps = self.send_fps()

    # --- rates -------------------------------------------------------------------

    def send_fps(self) -> float:
        assert self.pipeline is not None
        fps = self.pipeline.info.fps or 30.0
        return min(fps, self.quality.max_fps) if self.quality.max_fps else fps

    def camera_fps(self) -> float:
        assert self.camera is not None
        fps = self.camera.info.fps or 15.0
        return min(fps, CAMERA_PRESET.max_fps or fps)

    def bitrate_policy(self, arrival_reports: bool = True) -> BitratePolicy:
        assert self.pipeline is not None
        info = self.pipeline.info
        width, height = self.quality.output_size(info.width or 1024, info.height or 768)
        return BitratePolicy(
            self.quality,
            width * height * self.send_fps(),
            source_fps=info.fps or 30.0,
            delay_controlled=self.config.media_tuning and arrival_reports,
        )

    def _camera_preview(self, frame: SourceFrame) -> None:
        # Painting a 720p webcam 30 times a second cost the station a third of a core
        # (measured); the sonographer only needs to see that it shows the right thing.
        if (
            self._preview_ts is not None
            and 0 <= frame.media_ts - self._preview_ts < 0.9 / CAMERA_PREVIEW_FPS
        ):
            return
        self._preview_ts = frame.media_ts
        self.events.camera_frame(frame)

    # --- problems ----------------------------------------------------------------

    def _source_lost(self, message: str) -> None:
        self.events.problem("source_lost", message)

    def _camera_lost(self, message: str) -> None:
        self.events.problem(
            "camera_lost", f"The second camera stopped ({message}). The ultrasound goes on."
        )
