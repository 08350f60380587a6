"""What a Linux capture device can deliver: pixel formats, sizes and frame rates (V4L2).

OpenCV opens a device but cannot list its modes, and a scanner's output may be
1920x1080 at 59.94 fps or 1024x768 at 30; the sonographer (or the IT person) needs
to see which modes exist to pick the native one. This asks the driver directly
with the three enumeration ioctls of the V4L2 API (``VIDIOC_ENUM_FMT``,
``VIDIOC_ENUM_FRAMESIZES``, ``VIDIOC_ENUM_FRAMEINTERVALS``), packing the kernel's
structs with :mod:`struct`. The ioctl function is a parameter so the decoding can
be tested without a capture card.
"""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

Ioctl = Callable[[int, int, bytearray], None]


def _iowr(nr: int, size: int) -> int:
    return (3 << 30) | (size << 16) | (ord("V") << 8) | nr


# struct v4l2_fmtdesc: index, type, flags, description[32], pixelformat, mbus_code, reserved[3]
FMTDESC = struct.Struct("=III32sII3I")
# struct v4l2_frmsizeenum: index, pixel_format, type, union{6 x u32}, reserved[2]
FRMSIZE = struct.Struct("=III6I2I")
# struct v4l2_frmivalenum: index, pixel_format, width, height, type, union{6 x u32}, reserved[2]
FRMIVAL = struct.Struct("=IIIII6I2I")
VIDIOC_ENUM_FMT = _iowr(2, FMTDESC.size)
VIDIOC_ENUM_FRAMESIZES = _iowr(74, FRMSIZE.size)
VIDIOC_ENUM_FRAMEINTERVALS = _iowr(75, FRMIVAL.size)
BUF_TYPE_VIDEO_CAPTURE = 1
DISCRETE = 1
#: Sizes offered for a stepwise/continuous device: the common video output sizes it allows.
COMMON_SIZES = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1280, 1024), (1920, 1080))
#: Interval limits are reported as the standard rates between them.
COMMON_RATES = tuple(
    Fraction(r)
    for r in (Fraction(60), Fraction(60000, 1001), 50, 30, Fraction(30000, 1001), 25, 15)
)


@dataclass(frozen=True)
class DeviceMode:
    pixel_format: str  # fourcc, e.g. "YUYV", "MJPG"
    width: int
    height: int
    fps: tuple[float, ...]  # highest first

    def __str__(self) -> str:
        rates = ",".join(f"{f:g}" for f in self.fps) or "?"
        return f"{self.width}x{self.height}@{rates} {self.pixel_format}"


def fourcc(code: int) -> str:
    return code.to_bytes(4, "little").decode("ascii", "replace").strip()


def _system_ioctl(fd: int, request: int, buffer: bytearray) -> None:
    import fcntl

    fcntl.ioctl(fd, request, buffer, True)


def _blank(layout: struct.Struct, *head: int) -> bytearray:
    """A zeroed struct with its first fields (index, then what the call needs) set."""
    buffer = bytearray(layout.size)
    struct.pack_into(f"={len(head)}I", buffer, 0, *head)
    return buffer


def _enumerate(
    ioctl: Ioctl, fd: int, request: int, layout: struct.Struct, *head: int
) -> list[tuple]:
    """Call an enumeration ioctl with index 0, 1, ... until the driver says EINVAL."""
    results = []
    for index in range(256):
        buffer = _blank(layout, index, *head)
        try:
            ioctl(fd, request, buffer)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                break
            raise
        results.append(layout.unpack(bytes(buffer)))
    return results


def device_modes(path: str, ioctl: Ioctl | None = None) -> list[DeviceMode]:
    """Every capture mode the device at ``path`` lists (empty for metadata-only nodes).

    Raises :class:`OSError` if the device cannot be opened (busy, no permission).
    """
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        return modes_of(fd, ioctl or _system_ioctl)
    finally:
        os.close(fd)


def modes_of(fd: int, ioctl: Ioctl) -> list[DeviceMode]:
    modes: list[DeviceMode] = []
    for fmt in _enumerate(ioctl, fd, VIDIOC_ENUM_FMT, FMTDESC, BUF_TYPE_VIDEO_CAPTURE):
        pixel_format = fmt[4]
        for size in _sizes(ioctl, fd, pixel_format):
            rates = _rates(ioctl, fd, pixel_format, *size)
            modes.append(DeviceMode(fourcc(pixel_format), size[0], size[1], rates))
    return modes


def _sizes(ioctl: Ioctl, fd: int, pixel_format: int) -> list[tuple[int, int]]:
    sizes: list[tuple[int, int]] = []
    for entry in _enumerate(ioctl, fd, VIDIOC_ENUM_FRAMESIZES, FRMSIZE, pixel_format):
        kind, union = entry[2], entry[3:9]
        if kind == DISCRETE:
            sizes.append((union[0], union[1]))
        else:  # stepwise or continuous: min_w, max_w, step_w, min_h, max_h, step_h
            min_w, max_w, step_w, min_h, max_h, step_h = union
            for w, h in COMMON_SIZES:
                if (
                    min_w <= w <= max_w
                    and min_h <= h <= max_h
                    and (w - min_w) % max(1, step_w) == 0
                    and (h - min_h) % max(1, step_h) == 0
                ):
                    sizes.append((w, h))
            break  # one entry describes them all
    return sizes


def _rates(ioctl: Ioctl, fd: int, pixel_format: int, width: int, height: int) -> tuple[float, ...]:
    rates: list[float] = []
    request = VIDIOC_ENUM_FRAMEINTERVALS
    for entry in _enumerate(ioctl, fd, request, FRMIVAL, pixel_format, width, height):
        kind, union = entry[4], entry[5:11]
        if kind == DISCRETE:
            if union[0]:
                rates.append(round(union[1] / union[0], 2))
        else:  # min, max, step intervals as fractions: the standard rates between them
            fastest = Fraction(union[1], union[0] or 1)  # the shortest interval
            slowest = Fraction(union[3], union[2] or 1)  # the longest
            rates.extend(round(float(r), 2) for r in COMMON_RATES if slowest <= r <= fastest)
            break
    return tuple(sorted(set(rates), reverse=True))
