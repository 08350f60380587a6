"""This side's recording as the call sees it: started, stopped, fed and logged into.

The call starts and stops the :class:`CallRecording` here; everything else logs
through the journal, which drops what it is given while nothing records. The
recording is pushed what it keeps (participants, calibration, source, frames): it
never reads the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ultrasound_consult.session.recording import CallRecording, Person, RecordingStart

if TYPE_CHECKING:
    from ultrasound_consult.media.pipeline import StationPipeline
    from ultrasound_consult.media.receiver import ReceivedFrame
    from ultrasound_consult.protocol.channel import CalibrationSet, ChannelMessage


class Journal:
    def __init__(
        self,
        *,
        on_change: Callable[[bool], None],
        on_failed: Callable[[str, str], None],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        """``on_change(on)``: this side started or stopped recording (tell everyone);
        ``on_failed(code, message)``: the recording stopped on its own (disk full...)."""
        self._on_change = on_change
        self._on_failed = on_failed
        self._spawn = spawn
        self.recording: CallRecording | None = None
        self._pipeline: StationPipeline | None = None
        self._camera: StationPipeline | None = None

    @property
    def active(self) -> bool:
        return self.recording is not None

    # --- start and stop ---------------------------------------------------------------

    def start(
        self,
        folder: Path,
        start: RecordingStart,
        *,
        pipeline: StationPipeline | None,
        camera: StationPipeline | None,
    ) -> Path:
        """Start recording (on the engine loop); raises :class:`RecordingFailed`
        (folder not writable, not empty...)."""
        if self.recording is not None:
            return self.recording.folder
        loop = asyncio.get_running_loop()

        def on_problem(code: str, message: str) -> None:  # the recorder's thread
            loop.call_soon_threadsafe(self._stopped_by_itself, code, message)

        recording = CallRecording(folder, start, on_problem=on_problem)
        recording.start()
        if pipeline is not None:
            pipeline.add_sink(recording.station_frame)
        if camera is not None:
            camera.add_sink(recording.camera_frame)
        self.recording, self._pipeline, self._camera = recording, pipeline, camera
        self._on_change(True)
        return recording.folder

    async def stop(self, reason: str) -> Path | None:
        """Stop recording; the bundle's folder (None if nothing recorded)."""
        recording = self._detach()
        if recording is None:
            return None
        await recording.stop(reason)
        return recording.folder

    def _stopped_by_itself(self, code: str, message: str) -> None:
        recording = self._detach()
        if recording is not None:
            self._spawn(recording.stop(message))
            self._on_failed(code, message)

    def _detach(self) -> CallRecording | None:
        """Stop feeding the recording (it still has to be stopped); returns it."""
        recording, self.recording = self.recording, None
        if recording is not None:
            if self._pipeline is not None:
                self._pipeline.remove_sink(recording.station_frame)
            if self._camera is not None:
                self._camera.remove_sink(recording.camera_frame)
        self._pipeline = self._camera = None
        if recording is not None:
            self._on_change(False)
        return recording

    # --- what the call pushes ---------------------------------------------------------

    def people(self, people: tuple[Person, ...]) -> None:
        if self.recording is not None:
            self.recording.participants_changed(people)

    def calibration_changed(self, calibration: CalibrationSet | None) -> None:
        if self.recording is not None:
            self.recording.calibration_changed(calibration)

    def source_changed(self, label: str) -> None:
        if self.recording is not None:
            self.recording.source_changed(label)

    def remote_frame(self, frame: ReceivedFrame) -> None:
        if self.recording is not None:
            self.recording.remote_frame(frame)

    def camera_frame(self, frame: ReceivedFrame) -> None:
        if self.recording is not None:
            self.recording.camera_frame(frame)

    # --- the log ----------------------------------------------------------------------

    def message(self, msg: ChannelMessage, by: str, *, anchor: float | None = None) -> None:
        if self.recording is not None:
            self.recording.message(msg, by, anchor=anchor)

    def event(self, kind: str, *, by: str = "", **data: Any) -> None:
        if self.recording is not None:
            self.recording.event(kind, by=by, **data)

    def marker(self, label: str, by: str) -> None:
        if self.recording is not None:
            self.recording.marker(label, by)

    def attach(self, relative: str, data: bytes) -> None:
        """A file into the recording's folder (an opinion, say), as it is."""
        if self.recording is not None:
            self.recording.attach(relative, data)

    def snapshot(self, snapshot_id: str, jpeg: bytes, by: str, data: dict[str, Any]) -> None:
        """A snapshot's JPEG as it was sent or received (never encoded again)."""
        if self.recording is not None:
            self.recording.snapshot(snapshot_id, jpeg, by, data)
