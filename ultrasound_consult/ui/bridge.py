"""The one place where the engine thread meets the Qt GUI thread.

:class:`EngineBridge` is the call's observer: the engine calls it on its own thread
and it re-emits everything as Qt signals, which Qt queues to the GUI thread. Frames
do not travel through the event queue: each goes into a :class:`LatestFrameSlot`
and at most one "frame ready" notification is pending at a time, so a GUI that
paints slower than the stream shows the newest frame instead of falling behind.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.observer import CallObserver, CallState

logger = logging.getLogger(__name__)

F = TypeVar("F")


class LatestFrameSlot(Generic[F]):
    """Holds the newest frame; calls ``notify`` only when no notification is pending."""

    def __init__(self, notify: Callable[[], None]) -> None:
        self._notify = notify
        self._lock = threading.Lock()
        self._frame: F | None = None
        self._pending = False
        self.put_count = 0
        self.replaced_count = 0

    def put(self, frame: F) -> None:
        with self._lock:
            self.put_count += 1
            if self._pending:
                self.replaced_count += 1
            self._frame = frame
            notify = not self._pending
            self._pending = True
        if notify:
            self._notify()

    def take(self) -> F | None:
        with self._lock:
            self._pending = False
            return self._frame


class EngineBridge(QObject, CallObserver):
    state_changed = Signal(str, str)
    server_changed = Signal(bool, str)
    peers_changed = Signal(object)
    local_frame_ready = Signal()
    remote_frame_ready = Signal()
    camera_frame_ready = Signal()
    stream_info_changed = Signal(object)
    annotations_changed = Signal(object)
    pointers_changed = Signal(object)
    ack_received = Signal(str, bool, float, str)
    cues_changed = Signal(object, object)
    calibration_changed = Signal(object)
    snapshot_received = Signal(object)
    chat_changed = Signal(object)
    opinions_changed = Signal(object)
    stats_changed = Signal(object)
    error_raised = Signal(str, str)
    recording_changed = Signal(object, bool)
    quality_changed = Signal(str, str)
    lecture_changed = Signal(object)
    roster_changed = Signal(object)

    def __init__(self, engine: EngineThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.local_frames: LatestFrameSlot[Any] = LatestFrameSlot(self.local_frame_ready.emit)
        self.remote_frames: LatestFrameSlot[Any] = LatestFrameSlot(self.remote_frame_ready.emit)
        self.camera_frames: LatestFrameSlot[Any] = LatestFrameSlot(self.camera_frame_ready.emit)

    # --- engine -> GUI (called on the engine thread) ----------------------------

    def on_state(self, state: CallState, detail: str) -> None:
        self.state_changed.emit(state.value, detail)

    def on_peers(self, peers: Any) -> None:
        self.peers_changed.emit(peers)

    def on_server(self, connected: bool, detail: str) -> None:
        self.server_changed.emit(connected, detail)

    def on_local_frame(self, frame: Any) -> None:
        self.local_frames.put(frame)

    def on_remote_frame(self, frame: Any) -> None:
        self.remote_frames.put(frame)

    def on_camera_frame(self, frame: Any) -> None:
        self.camera_frames.put(frame)

    def on_stream_info(self, info: Any) -> None:
        self.stream_info_changed.emit(info)

    def on_annotations(self, annotations: Any, pending: frozenset[str]) -> None:
        self.annotations_changed.emit((annotations, pending))

    def on_pointers(self, pointers: Any) -> None:
        self.pointers_changed.emit(pointers)

    def on_ack(self, op: str, ok: bool, rtt_ms: float, reason: str) -> None:
        self.ack_received.emit(op, ok, rtt_ms, reason)

    def on_cues(self, entries: Any, active: Any) -> None:
        self.cues_changed.emit(entries, active)

    def on_calibration(self, calibration: Any) -> None:
        self.calibration_changed.emit(calibration)

    def on_opinions(self, entries: Any) -> None:
        self.opinions_changed.emit(entries)

    def on_chat(self, lines: Any) -> None:
        self.chat_changed.emit(lines)

    def on_snapshot(self, snapshot: Any) -> None:
        self.snapshot_received.emit(snapshot)

    def on_stats(self, stats: Any) -> None:
        self.stats_changed.emit(stats)

    def on_quality(self, preset: str, by: str) -> None:
        self.quality_changed.emit(preset, by)

    def on_recording(self, recorders: Any, mine: bool) -> None:
        self.recording_changed.emit(recorders, mine)

    def on_lecture(self, status: Any) -> None:
        self.lecture_changed.emit(status)

    def on_roster(self, roster: Any) -> None:
        self.roster_changed.emit(roster)

    def on_error(self, code: str, message: str) -> None:
        self.error_raised.emit(code, message)

    # --- GUI -> engine ------------------------------------------------------------

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        """Run a coroutine on the engine; failures are reported through ``error_raised``."""
        future = self.engine.submit(coro)
        future.add_done_callback(self._report_failure)
        return future

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run a plain function on the engine thread; failures become ``error_raised``."""

        def run() -> None:
            try:
                fn(*args, **kwargs)
            except Exception as exc:  # reported to the user, not raised into the loop
                self._report(exc)

        self.engine.call_soon(run)

    def _report_failure(self, future: concurrent.futures.Future[Any]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self._report(exc)

    def _report(self, exc: BaseException) -> None:
        from ultrasound_consult.session.call import CallError

        if isinstance(exc, CallError):
            self.error_raised.emit("action_refused", str(exc))
        else:
            logger.error("engine action failed", exc_info=exc)
            self.error_raised.emit("internal", f"Something went wrong: {exc}")
