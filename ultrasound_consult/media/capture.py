"""Capture cards and cameras as a source (``device:N``), through OpenCV's VideoCapture.

OpenCV rather than PyAV: PyAV's wheels ship no V4L2/DirectShow input, while OpenCV
opens V4L2 on Linux, Media Foundation on Windows and AVFoundation on macOS.

A reader thread pulls frames as fast as the device delivers them and keeps only the
newest, so the driver's buffer never fills and a slow consumer never sees a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ultrasound_consult.media.source import SourceError, SourceFrame, SourceInfo, VideoSource
from ultrasound_consult.media.v4l2 import DeviceMode, Ioctl, device_modes

logger = logging.getLogger(__name__)

#: A device that delivers nothing for this long counts as unplugged.
STALL_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class CaptureDevice:
    index: int
    name: str
    path: str
    modes: tuple[DeviceMode, ...] = ()
    #: Why the modes could not be listed (busy, no permission), if so.
    problem: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "source": f"device:{self.index}",
            "name": self.name,
            "path": self.path,
            "modes": [
                {"format": m.pixel_format, "width": m.width, "height": m.height, "fps": m.fps}
                for m in self.modes
            ],
            "problem": self.problem,
        }


def list_capture_devices(
    sysfs: Path = Path("/sys/class/video4linux"),
    dev: Path = Path("/dev"),
    ioctl: Ioctl | None = None,
) -> list[CaptureDevice]:
    """Video capture devices with the names their drivers give and the modes they list.

    Linux only (V4L2); nodes that list no video format (a webcam's metadata node) are
    left out. Elsewhere the list is empty and ``device:N`` opens the N-th camera.
    """
    devices: list[CaptureDevice] = []
    if not sys.platform.startswith("linux"):
        return devices
    for node in sorted(sysfs.glob("video*"), key=lambda n: n.name):
        try:
            index = int(node.name.removeprefix("video"))
            name = (node / "name").read_text().strip()
        except (ValueError, OSError):
            continue
        path = str(dev / node.name)
        try:
            modes = tuple(device_modes(path, ioctl))
        except OSError as exc:
            devices.append(CaptureDevice(index, name, path, problem=exc.strerror or str(exc)))
            continue
        if modes:
            devices.append(CaptureDevice(index, name, path, modes))
    return devices


def device_name(index: int, sysfs: Path = Path("/sys/class/video4linux")) -> str | None:
    """The driver's name for device ``index`` (Linux), or None."""
    try:
        return (sysfs / f"video{index}" / "name").read_text().strip() or None
    except OSError:
        return None


def _backend() -> int:
    if sys.platform.startswith("linux"):
        return cv2.CAP_V4L2
    if sys.platform == "win32":
        return cv2.CAP_MSMF
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    return cv2.CAP_ANY


class CaptureSource(VideoSource):
    """Frames from an OpenCV ``VideoCapture``: a device index, or a URL/file for tests."""

    def __init__(
        self,
        device: int | str,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
    ) -> None:
        self.device = device
        self._requested = (width, height, fps)
        self._capture: cv2.VideoCapture | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._lock = threading.Lock()
        self._latest: tuple[np.ndarray, float] | None = None
        self._error: str | None = None
        self._index = 0
        self._t0 = 0.0
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.info = SourceInfo(
            description=self._label(), width=width or 0, height=height or 0, fps=fps or 0.0
        )

    def _label(self) -> str:
        if isinstance(self.device, int):
            names = {d.index: d.name for d in list_capture_devices()}
            return f"Capture device {self.device}" + (
                f" ({names[self.device]})" if self.device in names else ""
            )
        return f"Capture {self.device}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._wake = loop, asyncio.Event()
        self._capture = await loop.run_in_executor(None, self._open)
        self._running.set()
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._read_loop, name="capture-reader", daemon=True)
        self._thread.start()

    def _open(self) -> cv2.VideoCapture:
        if isinstance(self.device, int):
            capture = cv2.VideoCapture(self.device, _backend())
        else:
            capture = cv2.VideoCapture(self.device)
        if not capture.isOpened():
            capture.release()
            raise SourceError(
                f"no capture device {self.device} could be opened. Check that the capture "
                "card is plugged in and powered and that no other program is using it, "
                "then choose it again."
            )
        width, height, fps = self._requested
        # Ask for the mode, then read back what the driver really gives: never rescale.
        if width and height:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            capture.set(cv2.CAP_PROP_FPS, fps)
        self.info.width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.info.height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.info.fps = float(capture.get(cv2.CAP_PROP_FPS) or fps or 30.0)
        self.info.description = (
            f"{self._label()} {self.info.width}x{self.info.height} @ {self.info.fps:.4g} fps"
        )
        return capture

    def _read_loop(self) -> None:
        assert self._capture is not None
        while self._running.is_set():
            ok, bgr = self._capture.read()
            if not ok:
                self._error = (
                    f"the capture device {self.device} stopped delivering video (unplugged or "
                    "switched off?). Reconnect it, or switch to another source."
                )
                self._notify()
                return
            with self._lock:
                self._latest = (bgr, time.perf_counter())
            self._notify()

    def _notify(self) -> None:
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(self._wake.set)

    async def next_frame(self) -> SourceFrame:
        assert self._wake is not None, "start() first"
        while True:
            with self._lock:
                latest, self._latest = self._latest, None
            if latest is not None:
                break
            if self._error:
                raise SourceError(self._error)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=STALL_TIMEOUT_S)
            except TimeoutError:
                raise SourceError(
                    f"the capture device {self.device} has delivered no video for "
                    f"{STALL_TIMEOUT_S:.0f} s. Check the cable and the scanner's video output."
                ) from None
        bgr, captured_at = latest
        rgb = await asyncio.get_running_loop().run_in_executor(
            None, cv2.cvtColor, bgr, cv2.COLOR_BGR2RGB
        )
        frame = SourceFrame(rgb, self._index, captured_at - self._t0, captured_at)
        self._index += 1
        return frame

    async def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 2.0)
        if self._capture is not None:
            self._capture.release()
