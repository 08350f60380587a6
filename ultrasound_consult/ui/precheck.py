"""The pre-call check on the first screen: is the picture masked, does the microphone
hear, can this computer reach the server?

* :class:`SourcePreview` runs the station's real pipeline (source -> privacy mask) on
  the engine thread and shows what the expert would see, mask included, so the
  sonographer can check that the patient's name is covered before anyone joins.
* :class:`MicMeter` opens the microphone the call will use and shows its level.
* :class:`NetworkTest` opens a WebSocket to the server and pings it
  (:func:`~ultrasound_consult.session.server_check.check_server`).

Everything is released before the call opens the same devices.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

from ultrasound_consult.media.audio import AudioCapture, AudioError, open_capture
from ultrasound_consult.media.pipeline import StationPipeline
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.server_check import ServerCheck, check_server
from ultrasound_consult.ui.bridge import LatestFrameSlot
from ultrasound_consult.ui.devices import remembered_mask
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.messages import error_advice, error_headline, plain_detail
from ultrasound_consult.ui.theme import restyle
from ultrasound_consult.ui.video_view import VideoView

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


class SourcePreview(QObject):
    """The masked source in a :class:`VideoView`, until :meth:`stop`."""

    frame_ready = Signal()
    failed = Signal(str, str)

    def __init__(self, engine: EngineThread, view: VideoView, parent: QObject | None = None):
        super().__init__(parent)
        self.engine, self.view = engine, view
        self.slot: LatestFrameSlot = LatestFrameSlot(self.frame_ready.emit)
        self.frame_ready.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self.pipeline: StationPipeline | None = None
        self.spec = ""
        self.frames = 0

    def start(self, spec: str) -> bool:
        """Show ``spec`` (stopping what was shown); False and ``failed`` if it cannot open."""
        self.stop()
        self.view.clear_frame()
        self.spec = spec
        mask, problem = remembered_mask(spec)
        if problem:
            self.failed.emit("mask", problem)
        try:
            source = open_source(spec)
        except (SourceError, ValueError) as exc:
            self.view.set_placeholder(tr("No picture from this source"))
            self.failed.emit("source_unavailable", str(exc))
            return False
        pipeline = StationPipeline(source, mask, on_error=self._lost)
        pipeline.add_sink(self.slot.put)
        try:
            self.engine.submit(pipeline.start()).result(STOP_TIMEOUT_S)
        except (SourceError, TimeoutError) as exc:
            busy = "busy" in str(exc).lower() or "in use" in str(exc).lower()
            self.view.set_placeholder(tr("No picture from this source"))
            self.failed.emit("device_busy" if busy else "source_unavailable", str(exc))
            return False
        self.pipeline = pipeline
        return True

    def _lost(self, message: str) -> None:  # engine thread
        self.failed.emit("source_lost", message)

    def _show(self) -> None:
        frame = self.slot.take()
        if frame is not None and self.pipeline is not None:
            self.frames += 1
            self.view.set_frame(frame.display_array())

    def stop(self) -> None:
        """Release the source (the call is about to open it)."""
        pipeline, self.pipeline = self.pipeline, None
        if pipeline is None:
            return
        try:
            self.engine.submit(pipeline.stop()).result(STOP_TIMEOUT_S)
        except Exception:  # a device that will not close is logged, not fatal here
            logger.warning("the preview source did not stop cleanly", exc_info=True)


class MicMeter(QObject):
    """The microphone's level in a progress bar (10 updates a second)."""

    def __init__(self, bar: QProgressBar, label: QLabel, parent: QObject | None = None):
        super().__init__(parent)
        self.bar, self.label = bar, label
        self.capture: AudioCapture | None = None
        self._level = 0.0
        self.peak = 0.0
        self._lock = threading.Lock()
        self._timer = QTimer(self, interval=100, timeout=self._refresh)  # type: ignore[call-arg]

    def start(self, spec: str) -> bool:
        self.stop()
        try:
            capture = open_capture(spec)
            if capture is None:
                self.label.setText(tr("Microphone off (settings)"))
                return False
            capture.start(self._deliver)
        except (AudioError, ValueError) as exc:
            logger.info("no microphone for the pre-call check: %s", exc)
            self.label.setText(tr("No microphone found: the others will not hear you."))
            restyle(self.label, "warn")
            self.bar.setValue(0)
            return False
        self.capture = capture
        self.label.setText(tr("Speak: the bar should move."))
        restyle(self.label, "")
        self._timer.start()
        return True

    def _deliver(self, block: np.ndarray) -> None:  # the audio thread
        rms = float(np.sqrt(np.mean(block.astype(np.float32) ** 2))) / 32768
        with self._lock:
            self._level = max(rms, self._level * 0.7)

    def _refresh(self) -> None:
        with self._lock:
            level = self._level
        # A speaking voice sits around -30..-10 dBFS; show -60..0 dBFS.
        db = 20 * np.log10(max(level, 1e-6))
        value = int(max(0.0, min(100.0, (db + 60) / 60 * 100)))
        self.peak = max(self.peak, value)
        self.bar.setValue(value)

    def stop(self) -> None:
        self._timer.stop()
        self.bar.setValue(0)
        with self._lock:
            self._level = 0.0
        capture, self.capture = self.capture, None
        if capture is not None:
            try:
                capture.stop()
            except Exception:
                logger.warning("the microphone did not stop cleanly", exc_info=True)


class NetworkTest(QObject):
    """Reach the server and say how it went, in words."""

    finished = Signal(object)

    def __init__(self, engine: EngineThread, label: QLabel, parent: QWidget | None = None):
        super().__init__(parent)
        self.engine, self.label = engine, label
        self.result: ServerCheck | None = None
        self.running = False
        self.finished.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def run(self, url: str) -> None:
        if self.running:
            return
        self.running = True
        restyle(self.label, "")
        self.label.setText(tr("Testing the connection to the server…"))
        self.engine.submit(self._check(url))

    async def _check(self, url: str) -> None:  # on the engine
        try:
            result = await check_server(url)
        except Exception as exc:  # network failures are in the result; this is a bug
            logger.exception("the network test failed")
            result = ServerCheck(False, url, "internal", str(exc))
        self.finished.emit(result)

    def _show(self, result: ServerCheck) -> None:
        self.running = False
        self.result = result
        if not result.ok:
            text = f"✗ {error_headline(result.code)}"
            style = "error"
        else:
            ms = result.median_ms or 0.0
            words = {
                "good": tr("✓ Server reached: {ms:.0f} ms round trip. Good for a consult."),
                "fair": tr("✓ Server reached: {ms:.0f} ms round trip. Usable; marks may lag."),
                "poor": tr(
                    "! Server reached, but slowly: {ms:.0f} ms round trip. "
                    "Choose the Weak network quality."
                ),
            }
            text = words[result.verdict].format(ms=ms)
            style = "ok" if result.verdict == "good" else "warn"
        self.label.setText(text)
        if result.ok:
            self.label.setToolTip(result.message)
        else:  # what to do, not the socket's errno (that goes to the log)
            logger.info("network test: %s: %s", result.code, result.message)
            self.label.setToolTip(error_advice(result.code) or plain_detail(result.message))
        restyle(self.label, style)
