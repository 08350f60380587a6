"""Image array <-> av.VideoFrame conversions on the per-frame path, chosen by measurement.

At 1024x768 on the reference machine: RGB through swscale costs about 7 ms a frame,
OpenCV's RGB->I420 1.3 ms, and greyscale written straight into the Y plane 0.7 ms.
Both paths produce BT.601 limited range (Y 16..235), which is what decoders assume.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np

if TYPE_CHECKING:
    from ultrasound_consult.media.privacy import MaskPlan

#: RTP video clock: 90 kHz.
VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = Fraction(1, VIDEO_CLOCK_RATE)


def even_crop(image: np.ndarray) -> np.ndarray:
    """4:2:0 needs even width and height; drop the last row/column if odd."""
    h, w = image.shape[:2]
    if h % 2 or w % 2:
        return image[: h - h % 2, : w - w % 2]
    return image


def to_video_frame(
    image: np.ndarray,
    media_ts: float,
    *,
    mask: MaskPlan | None = None,
    size: tuple[int, int] | None = None,
) -> av.VideoFrame:
    """A yuv420p frame for the encoder, stamped on the 90 kHz media clock.

    With ``mask``, masked pixels get sub-black luma so that no codec rounding can
    make them arrive brighter than black (see :mod:`ultrasound_consult.media.privacy`).
    With ``size`` (even width and height), the picture is scaled to it, after masking.
    """
    image = even_crop(image)
    h, w = image.shape[:2]
    if image.ndim == 2:
        i420 = np.empty((h * 3 // 2, w), dtype=np.uint8)
        # Full-range grey -> limited-range luma, exactly as swscale does it.
        cv2.convertScaleAbs(image, dst=i420[:h], alpha=219.0 / 255.0, beta=16.0)
        i420[h:] = 128
    else:
        i420 = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YUV_I420)
    if mask is not None:
        mask.apply_to_luma(i420[:h])
    if size is not None and size != (w, h):
        i420 = resize_i420(i420, w, h, *size)
    frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
    frame.pts = round(media_ts * VIDEO_CLOCK_RATE)
    frame.time_base = VIDEO_TIME_BASE
    return frame


def video_frame_to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame as ``(h, w, 3)`` RGB for display (OpenCV: ~5x faster than swscale)."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        return cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2RGB_I420)
    return frame.to_ndarray(format="rgb24")


def i420_planes(i420: np.ndarray, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of an I420 buffer of a ``w`` x ``h`` picture."""
    flat = i420.reshape(-1)
    c = (w // 2) * (h // 2)
    return (
        flat[: w * h].reshape(h, w),
        flat[w * h : w * h + c].reshape(h // 2, w // 2),
        flat[w * h + c : w * h + 2 * c].reshape(h // 2, w // 2),
    )


def resize_i420(i420: np.ndarray, w: int, h: int, out_w: int, out_h: int) -> np.ndarray:
    """Scale an I420 picture plane by plane (area filter: speckle does not alias)."""
    out = np.empty((out_h * 3 // 2, out_w), dtype=np.uint8)
    for src, dst in zip(i420_planes(i420, w, h), i420_planes(out, out_w, out_h), strict=True):
        cv2.resize(src, (dst.shape[1], dst.shape[0]), dst=dst, interpolation=cv2.INTER_AREA)
    return out


#: Limited-range luma (16..235) to full-range grey (0..255).
_LIMITED_TO_FULL = np.clip((np.arange(256) - 16) * 255.0 / 219.0 + 0.5, 0, 255).astype(np.uint8)
#: Chroma this close to neutral everywhere means the picture is grey (B-mode).
GREY_CHROMA_TOLERANCE = 3


def video_frame_to_display(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame for display: greyscale when it is grey, else RGB.

    Most ultrasound is B-mode grey: its luma plane alone is the picture, which skips
    the YUV->RGB conversion and lets the view scale and paint one channel (measured:
    about a third of the paint cost). Colour (Doppler) frames come back as RGB.
    """
    if frame.format.name != "yuv420p" or frame.width % 2 or frame.height % 2:
        return frame.to_ndarray(format="rgb24")
    i420 = frame.to_ndarray()
    y, u, v = i420_planes(i420, frame.width, frame.height)
    step = 7  # a sparse sample of chroma decides; a flat frame has none off neutral
    if (
        np.abs(u[::step, ::step].astype(np.int16) - 128).max() <= GREY_CHROMA_TOLERANCE
        and np.abs(v[::step, ::step].astype(np.int16) - 128).max() <= GREY_CHROMA_TOLERANCE
    ):
        return cv2.LUT(y, _LIMITED_TO_FULL)
    return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)
