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
from aiortc.codecs.vpx import Vp8Encoder, number_of_threads
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase

from ultrasound_consult.media.quality import BitratePolicy

logger = logging.getLogger(__name__)

_SENDER_ENCODER = "_RTCRtpSender__encoder"
#: Keyframe requests closer together than this are answered by one keyframe.
MIN_KEYFRAME_GAP_S = 0.3


class PresetVp8Encoder(Encoder):
    def __init__(self, policy: BitratePolicy, fps: float, *, clock: Any = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        #: The options the encoder was last opened with (PyAV consumes them).
        self.options: dict[str, str] = {}
        self.fps = fps
        self.codec: av.CodecContext | None = None
        self._packetizer = Vp8Encoder()  # only for its picture id and packetizer
        self._bitrate = policy.current
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
            or self.policy.current != self._bitrate
        ):
            # libvpx only takes a new bitrate in a new encoder (measured: setting it on
            # an open one changes nothing); the new encoder starts with a keyframe.
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
        data = b"".join(bytes(p) for p in self.codec.encode(frame))
        if data:
            self.frames += 1
            self.bytes += len(data)
            if data[0] & 0x01 == 0:  # VP8 frame tag: bit 0 clear means a keyframe
                self.keyframes += 1
                self._last_keyframe_at = now
        payloads = self._packetizer._packetize(data, self._packetizer.picture_id)
        self._packetizer.picture_id = (self._packetizer.picture_id + 1) % (1 << 15)
        timestamp = convert_timebase(frame.pts, frame.time_base, VIDEO_TIME_BASE)
        return payloads, timestamp

    def _open(self, width: int, height: int) -> av.CodecContext:
        self._bitrate = bitrate = self.policy.current
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
            "bufsize": str(bitrate),  # a one-second buffer
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
            "VP8 encoder %dx%d at %.2f Mbps (%s)", width, height, bitrate / 1e6, preset.name
        )
        return codec

    def pack(self, packet: Any) -> tuple[list[bytes], int]:  # pragma: no cover - not used
        raise NotImplementedError("the station sends raw frames, not packets")


def install_encoder(sender: Any, encoder: Encoder | None) -> bool:
    """Make an ``RTCRtpSender`` use ``encoder`` (before its first frame); returns success.

    ``None`` gives the slot back to aiortc, which then creates its default encoder.
    """
    if not hasattr(sender, _SENDER_ENCODER):
        logger.warning("aiortc's sender has no encoder slot where expected; its defaults apply")
        return False
    setattr(sender, _SENDER_ENCODER, encoder)
    return True
