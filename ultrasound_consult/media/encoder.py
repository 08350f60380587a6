"""The VP8 encoder the station sends with: aiortc's packetizer, our rate control.

aiortc's own encoder caps VP8 at 1.5 Mbps with module constants (aiortc issue 402),
turns libvpx's denoiser on (``noise-sensitivity 4``, which smooths speckle) and
never emits a periodic keyframe. This one follows a :class:`QualityPreset` through
a :class:`BitratePolicy`, implementing aiortc's ``Encoder`` interface so an
``RTCRtpSender`` uses it unchanged (:func:`install_encoder`).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from fractions import Fraction
from typing import Any

import av
from aiortc.codecs.base import Encoder
from aiortc.codecs.vpx import number_of_threads
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase

from ultrasound_consult.media.quality import BitratePolicy
from ultrasound_consult.media.seams import Vp8Packetizer, set_sender_encoder

logger = logging.getLogger(__name__)

#: Keyframe requests closer together than this are answered by one keyframe.
MIN_KEYFRAME_GAP_S = 0.3
#: The encoder's own clock never runs slower than this fraction of real time.
MIN_RATE_SCALE = 0.04
#: libvpx's rate buffer, in seconds of the rate it was opened at.
BUFFER_S = 0.5


class PresetVp8Encoder(Encoder):
    def __init__(self, policy: BitratePolicy, fps: float, *, clock: Any = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        #: The options the encoder was last opened with (PyAV consumes them).
        self.options: dict[str, str] = {}
        self.fps = fps
        self.codec: av.CodecContext | None = None
        self._packetizer = Vp8Packetizer()
        #: The rate libvpx was opened at; the policy's rate is reached by scaling time.
        self._open_bps = 0
        self._encoder_pts = 0.0  # the encoder's own time line, 90 kHz
        self._last_pts: float | None = None  # the last frame's real time, seconds
        self.frames = 0
        self.keyframes = 0
        self.bytes = 0
        self.reconfigurations = 0
        self._last_keyframe_at = -1e9
        self._keyframe_wanted = False

    def request_keyframe(self) -> None:
        """The next frame is a keyframe (a viewer asked for a clean picture)."""
        self._keyframe_wanted = True

    # aiortc's RTCRtpSender sets this from each REMB it receives.
    @property
    def target_bitrate(self) -> int:
        return self.policy.current

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        self.policy.on_estimate(bitrate)

    def encode(self, frame: av.VideoFrame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        if self.codec is not None and (
            frame.width != self.codec.width
            or frame.height != self.codec.height
            or self.policy.ceiling != self._open_bps
        ):
            # A new size or a new preset needs a new encoder (its first frame is a
            # keyframe). A new rate within the preset does not: see _encoder_time.
            self.codec = None
            self.reconfigurations += 1
        now = self._clock()
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            force_keyframe, self._last_keyframe_at = True, -1e9
        if force_keyframe and now - self._last_keyframe_at >= MIN_KEYFRAME_GAP_S:
            # Several requests (PLIs) for one loss would each cost a keyframe otherwise.
            frame.pict_type = av.video.frame.PictureType.I
            self._last_keyframe_at = now
        if self.codec is None:
            self.codec = self._open(frame.width, frame.height)
        timestamp = convert_timebase(frame.pts, frame.time_base, VIDEO_TIME_BASE)
        frame.pts, frame.time_base = self._encoder_time(frame), Fraction(1, 90_000)
        data = b"".join(bytes(p) for p in self.codec.encode(frame))
        if data:
            self.frames += 1
            self.bytes += len(data)
            if data[0] & 0x01 == 0:  # VP8 frame tag: bit 0 clear means a keyframe
                self.keyframes += 1
                self._last_keyframe_at = now
        return self._packetizer.packetize(data), timestamp

    @property
    def rate_scale(self) -> float:
        """The policy's rate as a fraction of the rate libvpx was opened at."""
        if not self._open_bps:
            return 1.0
        return max(MIN_RATE_SCALE, min(1.0, self.policy.current / self._open_bps))

    def _encoder_time(self, frame: av.VideoFrame) -> int:
        """The frame's time on the encoder's clock, which runs at ``rate_scale`` of real time.

        libvpx takes a new bitrate only in a new encoder (measured: setting it on an
        open one changes nothing), and a new encoder starts with a keyframe: on a
        narrow link every change of rate set off a keyframe. libvpx does follow the
        frame durations it is given, spending ``bitrate x duration`` on each frame,
        so the encoder is opened once at the preset's ceiling and its clock is slowed
        instead: at scale 0.2 a 5 Mbps encoder gives 1.0 Mbps (measured 1.03) with
        the quality of an encoder opened at 1 Mbps (PSNR equal to 0.01 dB), from the
        next frame on and without a keyframe.
        """
        now = float(frame.pts * frame.time_base) if frame.pts is not None else None
        if now is None or self._last_pts is None or now <= self._last_pts:
            step = 1.0 / self.fps
        else:
            step = min(now - self._last_pts, 1.0)
        self._last_pts = now
        self._encoder_pts += max(1.0, step * 90_000 * self.rate_scale)
        return int(self._encoder_pts)

    def _open(self, width: int, height: int) -> av.CodecContext:
        self._open_bps = bitrate = self.policy.ceiling
        preset = self.policy.preset
        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height = width, height
        codec.pix_fmt = "yuv420p"
        codec.bit_rate = bitrate
        codec.time_base = Fraction(1, 90_000)
        codec.framerate = Fraction(round(self.fps * 1000), 1000)
        codec.gop_size = max(1, round(preset.keyframe_interval_s * self.fps))
        codec.qmin, codec.qmax = 2, 56
        codec.options = self.options = {
            "bufsize": str(int(bitrate * BUFFER_S)),
            # Measured at 1024x768, 5 Mbps: -8 encodes in 5.5 ms instead of 7.2 ms with
            # the same SSIM (0.977); faster settings gain little more.
            "cpu-used": "-8",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(bitrate),
            "maxrate": str(bitrate),
            "noise-sensitivity": str(preset.denoise),
            "overshoot-pct": "15",
            "undershoot-pct": "100",
            "partitions": "0",
            "static-thresh": "1",
            # A keyframe at most 3x a frame's share: uncapped, one took several times
            # the capacity of a narrow link and set off a storm of losses and PLIs.
            "max-intra-rate": "300",
        }
        # aiortc's thread count (one on a two-core machine). Measured in a real call
        # at 1024x768: two threads cut the encode time in isolation, but with the
        # machine busy their synchronisation spun (station CPU 56% against 43%) and
        # the latency p95 rose from 24 to 38 ms.
        codec.thread_count = number_of_threads(width * height, multiprocessing.cpu_count())
        logger.info(
            "VP8 encoder %dx%d opened at %.2f Mbps (%s), sending %.2f Mbps",
            width,
            height,
            bitrate / 1e6,
            preset.name,
            self.policy.current / 1e6,
        )
        return codec

    def pack(self, packet: Any) -> tuple[list[bytes], int]:  # pragma: no cover - not used
        raise NotImplementedError("the station sends raw frames, not packets")


def install_encoder(sender: Any, encoder: Encoder | None) -> bool:
    """Make an ``RTCRtpSender`` use ``encoder`` (before its first frame); returns success.

    ``None`` gives the slot back to aiortc, which then creates its default encoder.
    """
    return set_sender_encoder(sender, encoder)
