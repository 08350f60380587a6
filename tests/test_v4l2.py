"""Listing a capture card's modes through the V4L2 enumeration ioctls.

No capture card can be plugged in here, so the driver is emulated at the ioctl: the
structs are packed and unpacked by the same code that talks to a real device.
"""

from __future__ import annotations

import errno
import struct

import pytest

from ultrasound_consult.media import v4l2
from ultrasound_consult.media.capture import list_capture_devices


def code(fourcc: str) -> int:
    return int.from_bytes(fourcc.encode(), "little")


class FakeDriver:
    """A scanner-output capture card: YUYV in discrete modes, MJPG stepwise."""

    def __init__(self) -> None:
        self.formats = [(code("YUYV"), b"YUYV 4:2:2"), (code("MJPG"), b"Motion-JPEG")]
        self.sizes = {code("YUYV"): [(1920, 1080), (1024, 768)]}
        self.rates = {
            (1920, 1080): [(1, 60), (1001, 60000), (1, 50), (1, 30)],
            (1024, 768): [(1, 60)],
        }

    def __call__(self, fd: int, request: int, buffer: bytearray) -> None:
        if fd == 2:
            raise OSError(errno.EINVAL, "metadata node")
        if request == v4l2.VIDIOC_ENUM_FMT:
            index, kind = struct.unpack_from("=II", buffer)
            assert kind == v4l2.BUF_TYPE_VIDEO_CAPTURE
            if index >= len(self.formats):
                raise OSError(errno.EINVAL, "end")
            pixel, desc = self.formats[index]
            v4l2.FMTDESC.pack_into(buffer, 0, index, kind, 0, desc, pixel, 0, 0, 0, 0)
        elif request == v4l2.VIDIOC_ENUM_FRAMESIZES:
            index, pixel = struct.unpack_from("=II", buffer)
            if pixel == code("MJPG"):  # stepwise: 640..1920 x 480..1080, step 8
                if index:
                    raise OSError(errno.EINVAL, "end")
                v4l2.FRMSIZE.pack_into(buffer, 0, 0, pixel, 3, 640, 1920, 8, 480, 1080, 8, 0, 0)
                return
            sizes = self.sizes[pixel]
            if index >= len(sizes):
                raise OSError(errno.EINVAL, "end")
            v4l2.FRMSIZE.pack_into(buffer, 0, index, pixel, 1, *sizes[index], 0, 0, 0, 0, 0, 0)
        elif request == v4l2.VIDIOC_ENUM_FRAMEINTERVALS:
            index, pixel, w, h = struct.unpack_from("=IIII", buffer)
            if pixel == code("MJPG"):  # continuous 1/60 .. 1/25 s
                if index:
                    raise OSError(errno.EINVAL, "end")
                v4l2.FRMIVAL.pack_into(buffer, 0, 0, pixel, w, h, 2, 1, 60, 1, 25, 1, 1, 0, 0)
                return
            rates = self.rates[(w, h)]
            if index >= len(rates):
                raise OSError(errno.EINVAL, "end")
            v4l2.FRMIVAL.pack_into(
                buffer, 0, index, pixel, w, h, 1, *rates[index], 0, 0, 0, 0, 0, 0
            )
        else:  # pragma: no cover - a request the code should not make
            raise AssertionError(hex(request))


def test_the_kernel_struct_layouts_and_request_codes():
    # Sizes and request numbers from linux/videodev2.h.
    assert (v4l2.FMTDESC.size, v4l2.FRMSIZE.size, v4l2.FRMIVAL.size) == (64, 44, 52)
    assert v4l2.VIDIOC_ENUM_FMT == 0xC0405602
    assert v4l2.VIDIOC_ENUM_FRAMESIZES == 0xC02C564A
    assert v4l2.VIDIOC_ENUM_FRAMEINTERVALS == 0xC034564B


def test_modes_of_a_capture_card():
    modes = v4l2.modes_of(1, FakeDriver())
    yuyv = [m for m in modes if m.pixel_format == "YUYV"]
    assert [(m.width, m.height, m.fps) for m in yuyv] == [
        (1920, 1080, (60.0, 59.94, 50.0, 30.0)),
        (1024, 768, (60.0,)),
    ]
    mjpg = {(m.width, m.height): m.fps for m in modes if m.pixel_format == "MJPG"}
    assert (1920, 1080) in mjpg and (1024, 768) in mjpg and (1280, 1024) in mjpg
    assert mjpg[(1920, 1080)] == (60.0, 59.94, 50.0, 30.0, 29.97, 25.0), "15 fps is below 25"
    assert str(yuyv[0]) == "1920x1080@60,59.94,50,30 YUYV"


def test_listing_devices_skips_metadata_nodes_and_reports_busy_ones(tmp_path, monkeypatch):
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    dev.mkdir()
    names = {
        "video0": "Magewell USB Capture HDMI",
        "video1": "Magewell (metadata)",
        "video2": "Busy Cam",
    }
    for node, name in names.items():
        (sysfs / node).mkdir(parents=True)
        (sysfs / node / "name").write_text(name + "\n")
        (dev / node).write_bytes(b"")
    driver = FakeDriver()
    fds = {}
    real_open = v4l2.os.open

    def fake_open(path, flags):
        node = path.rsplit("/", 1)[-1]
        if node == "video2":
            raise OSError(errno.EBUSY, "Device or resource busy")
        fd = real_open(path, flags)
        fds[fd] = node
        return fd

    def ioctl(fd, request, buffer):
        driver(2 if fds[fd] == "video1" else 1, request, buffer)

    monkeypatch.setattr(v4l2.os, "open", fake_open)
    devices = list_capture_devices(sysfs, dev, ioctl)
    assert [(d.index, d.name) for d in devices] == [
        (0, "Magewell USB Capture HDMI"),
        (2, "Busy Cam"),
    ]
    card, busy = devices
    assert card.modes[0].width == 1920 and card.problem is None
    assert busy.modes == () and "busy" in busy.problem
    assert card.to_dict()["modes"][0] == {
        "format": "YUYV",
        "width": 1920,
        "height": 1080,
        "fps": (60.0, 59.94, 50.0, 30.0),
    }


def test_a_driver_error_other_than_the_end_is_raised():
    def failing(fd, request, buffer):
        raise OSError(errno.EIO, "I/O error")

    with pytest.raises(OSError, match="I/O"):
        v4l2.modes_of(1, failing)
